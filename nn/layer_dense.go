package nn

import (
	"fmt"

	"github.com/keelml/keel/kernels"
)

// Dense is Keras' fully connected layer: y = activation(x kernel + bias) on
// the last axis, kernel (in, units).
type Dense struct {
	base
	units   int
	act     activation
	useBias bool
	kinit   Initializer // "" : glorot_uniform, not written in the config
	in      int
	kernel  *Variable
	bias    *Variable
	packed  packedB
	// convPacked: the kernel packed for the convolution kernels
	// (forwardPointwise).
	convPacked packedConv
}

// NewDense returns a Dense layer of the given units. Options: WithActivation,
// WithUseBias, WithKernelInitializer, WithName, WithTrainable.
func NewDense(units int, opts ...Option) *Dense {
	s, err := collect("Dense", opts, "activation", "use_bias", "kernel_initializer")
	if err == nil && units < 1 {
		err = fmt.Errorf("nn: Dense: units %d must be positive", units)
	}
	l := &Dense{units: units, useBias: s.useBias, kinit: s.kernelInit}
	if l.kinit == GlorotUniform {
		l.kinit = "" // Keras' default, which configs leave out
	}
	l.act, _ = parseActivation(s.activation)
	l.init(l, "Dense", s, err)
	return l
}

// Config is Keras' Dense config.
func (l *Dense) Config() map[string]any {
	c := l.withBase(map[string]any{"units": l.units, "activation": string(l.act), "use_bias": l.useBias})
	if l.kinit != "" {
		c["kernel_initializer"] = l.kinit.config()
	}
	return c
}

func (l *Dense) activation() activation { return l.act }

// canFuseNonlinear lets inference apply a gelu or swish layer after the
// GEMM in the same step (ConvNeXt's pwconv1 -> gelu).
func (l *Dense) canFuseNonlinear() bool { return l.act == actLinear }

func (l *Dense) backwardNeeds(_ *call, wantDW bool) (bool, bool) { return wantDW, l.act != actLinear }

// At inference a Dense is a 1x1 convolution over its rows (the kernel (in,
// units) is the HWIO kernel (1, 1, in, units)): the plan may fold a
// per-channel scale into it, add a residual in its epilogue, and have it
// apply gelu as it writes each block (ConvNeXt's pwconv1 -> gelu and
// pwconv2 -> LayerScale -> + x), all through the convolution's kernels.
func (l *Dense) canFold() bool        { return l.act == actLinear }
func (l *Dense) outChannels() int     { return l.units }
func (l *Dense) canAddResidual() bool { return l.act == actLinear }

// forwardPointwise is forward for a step with such fusions.
func (l *Dense) forwardPointwise(c *call) {
	x := c.x[0].Data
	p := kernels.ConvParams{N: len(x) / l.in, H: 1, W: 1, C: l.in, KH: 1, KW: 1, OutC: l.units}
	var pw *kernels.PackedConv
	bias := biasOf(l.bias)
	if c.fold != nil {
		pw, bias = c.fold.conv(p, l.kernel, l.bias)
	} else {
		pw = l.convPacked.get(p, l.kernel)
	}
	var res []float32
	if c.residual {
		res = c.x[1].Data
	}
	act, after := kernelAct(l.act, c)
	kernels.Conv2DPackedAdd(p, x, pw, bias, res, act, c.y.Data)
	c.forwardKernel(p.FLOPs())
	if after {
		applyKeep(l.act, c, c.y.Data, l.units)
	}
}

func (l *Dense) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if len(in[0]) < 1 {
		return nil, fmt.Errorf("needs at least one dimension")
	}
	out := append([]int(nil), in[0]...)
	l.in = out[len(out)-1]
	out[len(out)-1] = l.units
	if l.kernel == nil {
		var init initializer = glorotUniform{l.in, l.units}
		if l.kinit != "" {
			init = kernelInit{l.kinit, l.in, l.units}
		}
		l.kernel = l.addWeight("kernel", []int{l.in, l.units}, true, init)
		if l.useBias {
			l.bias = l.addWeight("bias", []int{l.units}, true, constant(0))
		}
	}
	return out, nil
}

func (l *Dense) biasData() []float32 {
	if l.bias == nil {
		return nil
	}
	return l.bias.data
}

func (l *Dense) forward(c *call) {
	if c.fold != nil || c.residual || (c.postNonlinear != 0 && len(c.x[0].Data) > l.in) {
		l.forwardPointwise(c)
		return
	}
	x, y := c.x[0].Data, c.y.Data
	rows := len(x) / l.in
	pb := l.packed.get(l.kernel, l.in, l.units)
	kernels.SgemmPacked(false, rows, l.units, l.in, 1, x, l.in, pb, 0, y, l.units)
	c.forwardKernel(2 * float64(rows) * float64(l.in) * float64(l.units))
	act, fused := l.act.fused()
	switch {
	case l.bias != nil && fused:
		kernels.BiasAdd(y, l.bias.data, act, y)
	case l.bias != nil:
		kernels.BiasAdd(y, l.bias.data, kernels.ActNone, y)
		applyKeep(l.act, c, y, l.units)
	default:
		applyKeep(l.act, c, y, l.units)
	}
}

type denseState struct{ dpre []float32 }

func (l *Dense) backward(c *call) {
	st, _ := c.state.(*denseState)
	if st == nil {
		st = &denseState{}
		c.state = st
	}
	x, y, dy := c.x[0].Data, c.y.Data, c.dy.Data
	rows := len(x) / l.in
	g := dy
	if l.act != actLinear && !c.lossFused {
		g = scratch(&st.dpre, len(dy))
		l.act.backward(c.pre, y, dy, g, l.units)
	}
	flops := 2 * float64(rows) * float64(l.in) * float64(l.units)
	if dk := c.dw[0]; dk != nil {
		kernels.Sgemm(true, false, l.in, l.units, rows, 1, x, l.in, g, l.units, 0, dk, l.units)
		c.backwardKernel(flops)
	}
	if l.bias != nil && c.dw[1] != nil {
		kernels.BiasGrad(g, c.dw[1])
		c.backwardKernel(0)
	}
	if c.dx[0] != nil {
		kernels.Sgemm(false, true, rows, l.in, l.units, 1, g, l.units, l.kernel.data, l.units, 0, c.dx[0].Data, l.in)
		c.backwardKernel(flops)
	}
}

// packedB caches a Dense kernel packed for SgemmPacked, repacked when the
// variable changes.
type packedB struct {
	pb      *kernels.PackedB
	version uint64
	v       *Variable
}

func (p *packedB) get(v *Variable, k, n int) *kernels.PackedB {
	if p.pb == nil || p.v != v || p.version != v.version {
		p.pb = kernels.PackB(false, k, n, v.data, n)
		p.v, p.version = v, v.version
	}
	return p.pb
}
