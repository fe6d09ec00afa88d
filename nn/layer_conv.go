package nn

import (
	"fmt"

	"github.com/keelml/keel/kernels"
)

// convGeometry is what Conv2D, DepthwiseConv2D and SeparableConv2D share:
// window, strides, dilation and Keras' padding.
type convGeometry struct {
	kh, kw   int
	strides  [2]int
	dilation [2]int
	padding  string
}

// pads returns TensorFlow's padding for an h x w input.
func (g convGeometry) pads(h, w int) (top, bottom, left, right int) {
	if g.padding != "same" {
		return 0, 0, 0, 0
	}
	top, bottom = kernels.SamePadding(h, g.kh, g.strides[0], g.dilation[0])
	left, right = kernels.SamePadding(w, g.kw, g.strides[1], g.dilation[1])
	return
}

func (g convGeometry) outHW(h, w int) (int, int, error) {
	t, b, l, r := g.pads(h, w)
	oh := kernels.ConvOutSize(h, g.kh, g.strides[0], g.dilation[0], t, b)
	ow := kernels.ConvOutSize(w, g.kw, g.strides[1], g.dilation[1], l, r)
	if oh < 1 || ow < 1 {
		return 0, 0, fmt.Errorf("a %dx%d window does not fit a %dx%d input", g.kh, g.kw, h, w)
	}
	return oh, ow, nil
}

// outImage checks that in is one (height, width, channels) input and returns
// the output's height and width and the input's channels.
func (g convGeometry) outImage(in [][]int) (oh, ow, ch int, err error) {
	if err := checkImage(in); err != nil {
		return 0, 0, 0, err
	}
	if oh, ow, err = g.outHW(in[0][0], in[0][1]); err != nil {
		return 0, 0, 0, err
	}
	return oh, ow, in[0][2], nil
}

func (g convGeometry) config() map[string]any {
	return map[string]any{
		"kernel_size": []int{g.kh, g.kw}, "strides": g.strides[:], "padding": g.padding,
		"data_format": "channels_last", "dilation_rate": g.dilation[:],
	}
}

func (g convGeometry) convParams(x *Tensor, outC int) kernels.ConvParams {
	t, b, l, r := g.pads(x.Shape[1], x.Shape[2])
	return kernels.ConvParams{
		N: x.Shape[0], H: x.Shape[1], W: x.Shape[2], C: x.Shape[3], KH: g.kh, KW: g.kw, OutC: outC,
		StrideH: g.strides[0], StrideW: g.strides[1], DilationH: g.dilation[0], DilationW: g.dilation[1],
		PadTop: t, PadBottom: b, PadLeft: l, PadRight: r,
	}
}

func (g convGeometry) depthwiseParams(x *Tensor, mult int) kernels.DepthwiseParams {
	t, b, l, r := g.pads(x.Shape[1], x.Shape[2])
	return kernels.DepthwiseParams{
		N: x.Shape[0], H: x.Shape[1], W: x.Shape[2], C: x.Shape[3], KH: g.kh, KW: g.kw, Multiplier: mult,
		StrideH: g.strides[0], StrideW: g.strides[1], DilationH: g.dilation[0], DilationW: g.dilation[1],
		PadTop: t, PadBottom: b, PadLeft: l, PadRight: r,
	}
}

func checkImage(in [][]int) error {
	if err := needOne(in); err != nil {
		return err
	}
	if len(in[0]) != 3 {
		return fmt.Errorf("needs (height, width, channels) inputs")
	}
	return nil
}

// outputAct returns the activation the kernel applies and whether the layer
// must still apply its own activation afterwards.
func outputAct(a activation, c *call) (kernels.Activation, bool) {
	if k, ok := a.fused(); ok {
		if k == kernels.ActNone {
			k = c.postAct
		}
		return k, false
	}
	return kernels.ActNone, true
}

// kernelAct is outputAct for the kernels that apply a smooth activation
// (swish, hard_swish, gelu...) as they write their output (kernels.Then):
// the layer's own, at inference, where backward needs no copy of the
// activation's input, or an activation layer fused into the step
// (c.postNonlinear, which the step then leaves to the kernel). The
// activation then runs on each block while it is in cache instead of in a
// pass over the whole output afterwards.
func kernelAct(a activation, c *call) (kernels.Activation, bool) {
	act, after := outputAct(a, c)
	switch {
	case after && !c.backward:
		if f, ok := a.nonlinear(); ok {
			return kernels.Then(f), false
		}
	case !after && act == kernels.ActNone && c.postNonlinear != 0:
		c.nonlinearFused = true
		return kernels.Then(c.postNonlinear), false
	}
	return act, after
}

// Conv2D is Keras' 2-D convolution, NHWC with an HWIO kernel.
type Conv2D struct {
	base
	convGeometry
	filters int
	groups  int // Keras 3's groups; 0 or 1: an ordinary convolution (layer_conv_grouped.go)
	act     activation
	useBias bool
	kernel  *Variable
	bias    *Variable
	packed  packedConv
}

// NewConv2D returns a Conv2D of filters output channels and a kh x kw
// window. Options: WithStrides, WithPadding, WithDilationRate,
// WithActivation, WithUseBias, WithName, WithTrainable.
func NewConv2D(filters, kh, kw int, opts ...Option) *Conv2D {
	s, err := collect("Conv2D", opts, "strides", "padding", "dilation_rate", "activation", "use_bias")
	if err == nil && (filters < 1 || kh < 1 || kw < 1) {
		err = fmt.Errorf("nn: Conv2D: filters %d and kernel %dx%d must be positive", filters, kh, kw)
	}
	l := &Conv2D{convGeometry: convGeometry{kh, kw, s.strides, s.dilation, s.padding}, filters: filters, useBias: s.useBias}
	l.act, _ = parseActivation(s.activation)
	l.init(l, "Conv2D", s, err)
	return l
}

// Config is Keras' Conv2D config.
func (l *Conv2D) Config() map[string]any {
	c := l.withBase(l.convGeometry.config())
	c["filters"], c["activation"], c["use_bias"] = l.filters, string(l.act), l.useBias
	if l.groups > 1 {
		c["groups"] = l.groups
	}
	return c
}

func (l *Conv2D) activation() activation { return l.act }
func (l *Conv2D) canFold() bool          { return l.act == actLinear && l.groups <= 1 }
func (l *Conv2D) canFuseAct() bool       { return l.act == actLinear && l.groups <= 1 }
func (l *Conv2D) canAddResidual() bool   { return l.act == actLinear && l.groups <= 1 }

// pointwise says whether the layer is a 1x1 convolution at stride 1 (its
// padding is then none).
func (l *Conv2D) pointwise() bool {
	return l.kh == 1 && l.kw == 1 && l.strides[0] <= 1 && l.strides[1] <= 1 && l.groups <= 1
}
func (l *Conv2D) outChannels() int { return l.filters }

// backwardNeeds: the input for the weight gradient, the output for a
// non-linear activation's derivative.
func (l *Conv2D) backwardNeeds(_ *call, wantDW bool) (bool, bool) { return wantDW, l.act != actLinear }

func (l *Conv2D) build(in [][]int) ([]int, error) {
	oh, ow, ch, err := l.outImage(in)
	if err != nil {
		return nil, err
	}
	if err := l.checkGroups(ch); err != nil {
		return nil, err
	}
	if l.kernel == nil {
		shape := []int{l.kh, l.kw, ch / max(l.groups, 1), l.filters}
		fi, fo := convFans(shape)
		l.kernel = l.addWeight("kernel", shape, true, glorotUniform{fi, fo})
		if l.useBias {
			l.bias = l.addWeight("bias", []int{l.filters}, true, constant(0))
		}
	}
	return []int{oh, ow, l.filters}, nil
}

// biasGrad is the gradient buffer of bias, the call's weight i: nil without
// a bias, or when its gradient is not wanted.
func biasGrad(c *call, bias *Variable, i int) []float32 {
	if bias == nil {
		return nil
	}
	return c.dw[i]
}

func biasOf(v *Variable) []float32 {
	if v == nil {
		return nil
	}
	return v.data
}

// canFoldPad says whether a ZeroPadding2D before the layer can become its
// own padding: it pads `valid`.
func (l *Conv2D) canFoldPad(_, _, _, _ int, _ bool) bool          { return l.padding != "same" }
func (l *DepthwiseConv2D) canFoldPad(_, _, _, _ int, _ bool) bool { return l.padding != "same" }

// withPad adds a folded ZeroPadding2D's padding to the kernel's.
func (c *call) withPad(t, b, l, r *int) {
	if c.pad != nil {
		*t += c.pad[0]
		*b += c.pad[1]
		*l += c.pad[2]
		*r += c.pad[3]
	}
}

func (l *Conv2D) forward(c *call) {
	if l.groups > 1 {
		l.forwardGrouped(c)
		return
	}
	if c.gate {
		l.forwardGated(c)
		return
	}
	p := l.convParams(c.x[0], l.filters)
	c.withPad(&p.PadTop, &p.PadBottom, &p.PadLeft, &p.PadRight)
	pw, bias := l.packedFor(c, p)
	act, after := kernelAct(l.act, c)
	switch {
	case c.preNorm != nil:
		var res []float32
		if c.residual {
			res = c.x[1].Data
		}
		ldx := c.xStride
		if ldx == 0 {
			ldx = p.C
		}
		kernels.Conv2DPackedPre(p, c.x[0].Data, ldx, c.preNorm.affine(), pw, bias, res, act, c.y.Data)
	case c.residual:
		kernels.Conv2DPackedAdd(p, c.x[0].Data, pw, bias, c.x[1].Data, act, c.y.Data)
	default:
		kernels.Conv2DPacked(p, c.x[0].Data, pw, bias, act, c.y.Data)
	}
	c.forwardKernel(p.FLOPs())
	if after {
		applyKeep(l.act, c, c.y.Data, l.filters)
	}
}

// isLinearPointwise says whether the layer maps each pixel alone through
// one affine map in this call (plan.poolFirst): a 1x1 convolution at stride
// 1 with no activation of its own or fused, and nothing folded in but a
// BatchNormalization after it.
func (l *Conv2D) isLinearPointwise(c *call) bool {
	return l.pointwise() && l.act == actLinear && c.postAct == kernels.ActNone && c.postNonlinear == 0 &&
		!c.residual && !c.gate && c.pad == nil && c.sep == nil && c.preNorm == nil && c.mask == nil
}

// canPreNorm says whether an inference BatchNormalization before the layer
// can fuse into it (call.preNorm): a 1x1 convolution at stride 1 with no
// padding or gate folded in.
func (l *Conv2D) canPreNorm(c *call) bool {
	return l.pointwise() && c.pad == nil && !c.gate && c.sep == nil && c.preNorm == nil
}

// readsStrided: with a BatchNormalization fused into it, the layer reads
// its input's rows with a stride (call.xStride), as the BatchNormalization
// did.
func (l *Conv2D) readsStrided(c *call) bool { return c.preNorm != nil }

// canGate says whether a squeeze-and-excitation Multiply before the layer
// can fuse into it: a 1x1 convolution at stride 1 with no padding folded in.
func (l *Conv2D) canGate(c *call) bool { return l.pointwise() && c.pad == nil && c.sep == nil }

// forwardGated computes the convolution of x * gate, sample by sample:
// (x * g) W = x (diag(g) W). Where the image has more pixels than twice the
// output channels, scaling the weights (C x OutC products) costs less than
// scaling the input (H x W x C); otherwise the input is scaled into a buffer.
// The products of tiny gates that fall below the smallest normal float32
// become zeros, as TensorFlow computes them (kernels.FlushDenormals).
func (l *Conv2D) forwardGated(c *call) {
	x, g := c.x[0], c.x[len(c.x)-1]
	var res []float32
	if c.residual {
		res = c.x[1].Data
	}
	p := l.convParams(x, l.filters)
	n, f := p.N, l.filters
	p.N = 1
	w, bias := l.kernel.data, biasOf(l.bias)
	if c.fold != nil {
		w, bias = c.fold.weights(l.kernel, l.bias, f)
	}
	act, after := kernelAct(l.act, c)
	st := convStateOf(c)
	pix, opix := p.H*p.W*p.C, p.H*p.W*f
	scaleWeights := p.H*p.W >= 2*f
	for b := 0; b < n; b++ {
		gb, xb, yb := g.Data[b*p.C:(b+1)*p.C], x.Data[b*pix:(b+1)*pix], c.y.Data[b*opix:(b+1)*opix]
		var rb []float32
		if res != nil {
			rb = res[b*opix : (b+1)*opix]
		}
		if scaleWeights {
			ws := scratch(&st.gw, len(w))
			for k, s := range gb {
				row, out := w[k*f:(k+1)*f], ws[k*f:(k+1)*f]
				for o, v := range row {
					out[o] = v * s
				}
			}
			kernels.FlushDenormals(ws)
			kernels.Conv2DAdd(p, xb, ws, bias, rb, act, yb)
			continue
		}
		xs := scratch(&st.gw, pix)
		kernels.MulRows(xb, gb, xs)
		kernels.FlushDenormals(xs)
		pw, _ := l.packedFor(c, p)
		kernels.Conv2DPackedAdd(p, xs, pw, bias, rb, act, yb)
	}
	p.N = n
	c.forwardKernel(p.FLOPs())
	if after {
		applyKeep(l.act, c, c.y.Data, f)
	}
}

type convState struct {
	dpre []float32
	grp  groupedBufs // a grouped convolution's per-group copies
	gw   []float32   // gated weights or input (forwardGated)
}

// preActivationGrad returns the gradient before the layer's activation.
func preActivationGrad(a activation, c *call, buf *[]float32, cols int) []float32 {
	if a == actLinear || c.lossFused {
		return c.dy.Data
	}
	g := scratch(buf, len(c.dy.Data))
	a.backward(c.pre, c.y.Data, c.dy.Data, g, cols)
	return g
}

func (l *Conv2D) backward(c *call) {
	st := convStateOf(c)
	g := preActivationGrad(l.act, c, &st.dpre, l.filters)
	if l.groups > 1 {
		l.backwardGrouped(c, g)
		return
	}
	p := l.convParams(c.x[0], l.filters)
	if c.dw[0] != nil {
		db := biasGrad(c, l.bias, 1)
		kernels.Conv2DBackwardWeights(p, c.x[0].Data, g, c.dw[0], db)
		c.backwardKernel(p.FLOPs())
	}
	if c.dx[0] != nil {
		kernels.Conv2DBackwardInput(p, g, l.kernel.data, c.dx[0].Data)
		c.backwardKernel(p.FLOPs())
	}
}

// packedFor is the packed kernel and the bias a step of the layer runs
// with: the folded ones if a BatchNormalization (or a scale) folds into it,
// else its own. Only those are packed: packing the unfolded kernel beside
// the folded one would keep a second packed copy of the layer's weights.
func (l *Conv2D) packedFor(c *call, p kernels.ConvParams) (*kernels.PackedConv, []float32) {
	return l.packed.forCall(c, p, l.kernel, l.bias)
}

// forCall is packedFor for the cache of any convolution whose (pointwise)
// kernel and bias are kernel and bias.
func (p *packedConv) forCall(c *call, cp kernels.ConvParams, kernel, bias *Variable) (*kernels.PackedConv, []float32) {
	if c.fold != nil {
		return c.fold.conv(cp, kernel, bias)
	}
	return p.get(cp, kernel), biasOf(bias)
}

// packedConv caches a Conv2D kernel packed for Conv2DPacked.
type packedConv struct {
	pc      *kernels.PackedConv
	version uint64
	c       int
}

func (p *packedConv) get(cp kernels.ConvParams, v *Variable) *kernels.PackedConv {
	if p.pc == nil || p.version != v.version || p.c != cp.C {
		p.pc = kernels.PackConvWeights(cp, v.data)
		p.version, p.c = v.version, cp.C
	}
	return p.pc
}

// DepthwiseConv2D is Keras' depthwise convolution: kernel (kh, kw, C,
// depth_multiplier), output channel c*multiplier+m.
type DepthwiseConv2D struct {
	base
	convGeometry
	mult    int
	act     activation
	useBias bool
	kernel  *Variable
	bias    *Variable
}

// NewDepthwiseConv2D returns a DepthwiseConv2D with a kh x kw window.
// Options: WithDepthMultiplier, WithStrides, WithPadding, WithDilationRate,
// WithActivation, WithUseBias, WithName, WithTrainable.
func NewDepthwiseConv2D(kh, kw int, opts ...Option) *DepthwiseConv2D {
	s, err := collect("DepthwiseConv2D", opts, "depth_multiplier", "strides", "padding", "dilation_rate", "activation", "use_bias")
	if err == nil && (kh < 1 || kw < 1 || s.depthMult < 1) {
		err = fmt.Errorf("nn: DepthwiseConv2D: kernel %dx%d and depth multiplier %d must be positive", kh, kw, s.depthMult)
	}
	l := &DepthwiseConv2D{convGeometry: convGeometry{kh, kw, s.strides, s.dilation, s.padding}, mult: s.depthMult, useBias: s.useBias}
	l.act, _ = parseActivation(s.activation)
	l.init(l, "DepthwiseConv2D", s, err)
	return l
}

// Config is Keras' DepthwiseConv2D config.
func (l *DepthwiseConv2D) Config() map[string]any {
	c := l.withBase(l.convGeometry.config())
	c["depth_multiplier"], c["activation"], c["use_bias"] = l.mult, string(l.act), l.useBias
	return c
}

func (l *DepthwiseConv2D) activation() activation { return l.act }
func (l *DepthwiseConv2D) canFold() bool          { return l.act == actLinear }
func (l *DepthwiseConv2D) canFuseAct() bool       { return l.act == actLinear }
func (l *DepthwiseConv2D) outChannels() int       { return l.kernel.shape[2] * l.mult }

// canFusePointwise: a following 1x1 Conv2D runs inside the depthwise
// kernel when both apply their activations in their kernels.
func (l *DepthwiseConv2D) canFusePointwise(c *call, next *step) bool {
	cl, ok := next.layer.(*Conv2D)
	if !ok || !cl.pointwise() {
		return false
	}
	_, after := outputAct(l.act, c)
	_, nextAfter := outputAct(cl.act, &next.c)
	return !after && !nextAfter
}

func (l *DepthwiseConv2D) backwardNeeds(_ *call, wantDW bool) (bool, bool) {
	return wantDW, l.act != actLinear
}

func (l *DepthwiseConv2D) build(in [][]int) ([]int, error) {
	oh, ow, ch, err := l.outImage(in)
	if err != nil {
		return nil, err
	}
	if l.kernel == nil {
		shape := []int{l.kh, l.kw, ch, l.mult}
		// Keras' fans for a depthwise kernel: fan_in kh*kw*C, fan_out kh*kw*multiplier.
		fi, fo := convFans(shape)
		l.kernel = l.addWeight("depthwise_kernel", shape, true, glorotUniform{fi, fo})
		if l.useBias {
			l.bias = l.addWeight("bias", []int{ch * l.mult}, true, constant(0))
		}
	}
	return []int{oh, ow, ch * l.mult}, nil
}

func (l *DepthwiseConv2D) forward(c *call) {
	p := l.depthwiseParams(c.x[0], l.mult)
	c.withPad(&p.PadTop, &p.PadBottom, &p.PadLeft, &p.PadRight)
	w, bias := l.kernel.data, biasOf(l.bias)
	if c.fold != nil {
		w, bias = c.fold.weights(l.kernel, l.bias, p.OutC())
	}
	if c.sep != nil {
		act, _ := outputAct(l.act, c)
		l.forwardSeparable(c, p, w, bias, act)
		return
	}
	act, after := kernelAct(l.act, c)
	kernels.DepthwiseConv2D(p, c.x[0].Data, w, bias, act, c.y.Data)
	c.forwardKernel(p.FLOPs())
	if after {
		applyKeep(l.act, c, c.y.Data, p.OutC())
	}
}

// forwardSeparable runs the depthwise convolution and the 1x1 convolution
// fused into it (c.sep) in one kernel.
func (l *DepthwiseConv2D) forwardSeparable(c *call, p kernels.DepthwiseParams, w, bias []float32, act kernels.Activation) {
	cl, cc := c.sep.layer.(*Conv2D), &c.sep.c
	pp := kernels.ConvParams{N: p.N, H: p.OutH(), W: p.OutW(), C: p.OutC(), KH: 1, KW: 1, OutC: cl.filters}
	pw, pb := cl.packedFor(cc, pp)
	pact, _ := outputAct(cl.act, cc)
	var res []float32
	if c.residual {
		res = c.x[1].Data
	}
	kernels.DepthwisePointwise(p, c.x[0].Data, w, bias, act, pw, pb, res, pact, c.y.Data)
	c.forwardKernel(p.FLOPs())
	c.forwardKernel(pp.FLOPs())
}

func (l *DepthwiseConv2D) backward(c *call) {
	st := convStateOf(c)
	p := l.depthwiseParams(c.x[0], l.mult)
	g := preActivationGrad(l.act, c, &st.dpre, p.OutC())
	if c.dw[0] != nil {
		db := biasGrad(c, l.bias, 1)
		kernels.DepthwiseConv2DBackwardWeights(p, c.x[0].Data, g, c.dw[0], db)
		c.backwardKernel(p.FLOPs())
	}
	if c.dx[0] != nil {
		kernels.DepthwiseConv2DBackwardInput(p, g, l.kernel.data, c.dx[0].Data)
		c.backwardKernel(p.FLOPs())
	}
}

// SeparableConv2D is Keras' depthwise-then-pointwise convolution: weights
// depthwise_kernel (kh, kw, C, multiplier), pointwise_kernel (1, 1,
// C*multiplier, filters), bias (filters).
type SeparableConv2D struct {
	base
	convGeometry
	filters   int
	mult      int
	act       activation
	useBias   bool
	depthwise *Variable
	pointwise *Variable
	bias      *Variable
	packed    packedConv
}

// NewSeparableConv2D returns a SeparableConv2D. Options as Conv2D's plus
// WithDepthMultiplier.
func NewSeparableConv2D(filters, kh, kw int, opts ...Option) *SeparableConv2D {
	s, err := collect("SeparableConv2D", opts, "depth_multiplier", "strides", "padding", "dilation_rate", "activation", "use_bias")
	if err == nil && (filters < 1 || kh < 1 || kw < 1 || s.depthMult < 1) {
		err = fmt.Errorf("nn: SeparableConv2D: filters %d, kernel %dx%d and depth multiplier %d must be positive", filters, kh, kw, s.depthMult)
	}
	l := &SeparableConv2D{convGeometry: convGeometry{kh, kw, s.strides, s.dilation, s.padding}, filters: filters, mult: s.depthMult, useBias: s.useBias}
	l.act, _ = parseActivation(s.activation)
	l.init(l, "SeparableConv2D", s, err)
	return l
}

// Config is Keras' SeparableConv2D config.
func (l *SeparableConv2D) Config() map[string]any {
	c := l.withBase(l.convGeometry.config())
	c["filters"], c["depth_multiplier"], c["activation"], c["use_bias"] = l.filters, l.mult, string(l.act), l.useBias
	return c
}

func (l *SeparableConv2D) activation() activation { return l.act }

// A BatchNormalization folds into the pointwise kernel and bias, and an
// activation or residual Add applies after the pointwise convolution, as
// for Conv2D.
func (l *SeparableConv2D) canFold() bool        { return l.act == actLinear }
func (l *SeparableConv2D) canFuseAct() bool     { return l.act == actLinear }
func (l *SeparableConv2D) canAddResidual() bool { return l.act == actLinear }
func (l *SeparableConv2D) outChannels() int     { return l.filters }

// canFoldPad: the padding joins the depthwise convolution's (NASNet pads
// before its strided `valid` separable convolutions).
func (l *SeparableConv2D) canFoldPad(_, _, _, _ int, _ bool) bool { return l.padding != "same" }

func (l *SeparableConv2D) backwardNeeds(_ *call, wantDW bool) (bool, bool) {
	return wantDW, l.act != actLinear
}

func (l *SeparableConv2D) build(in [][]int) ([]int, error) {
	oh, ow, ch, err := l.outImage(in)
	if err != nil {
		return nil, err
	}
	if l.depthwise == nil {
		ds := []int{l.kh, l.kw, ch, l.mult}
		fi, fo := convFans(ds)
		l.depthwise = l.addWeight("depthwise_kernel", ds, true, glorotUniform{fi, fo})
		ps := []int{1, 1, ch * l.mult, l.filters}
		fi, fo = convFans(ps)
		l.pointwise = l.addWeight("pointwise_kernel", ps, true, glorotUniform{fi, fo})
		if l.useBias {
			l.bias = l.addWeight("bias", []int{l.filters}, true, constant(0))
		}
	}
	return []int{oh, ow, l.filters}, nil
}

type separableState struct {
	mid, dmid, dpre []float32
}

func (l *SeparableConv2D) params(x *Tensor, c *call) (kernels.DepthwiseParams, kernels.ConvParams) {
	dp := l.depthwiseParams(x, l.mult)
	c.withPad(&dp.PadTop, &dp.PadBottom, &dp.PadLeft, &dp.PadRight)
	pp := kernels.ConvParams{N: dp.N, H: dp.OutH(), W: dp.OutW(), C: dp.OutC(), KH: 1, KW: 1, OutC: l.filters}
	return dp, pp
}

func (l *SeparableConv2D) forward(c *call) {
	dp, pp := l.params(c.x[0], c)
	pw, bias := l.packed.forCall(c, pp, l.pointwise, l.bias)
	act, after := outputAct(l.act, c)
	c.forwardKernel(dp.FLOPs())
	c.forwardKernel(pp.FLOPs())
	if !c.backward {
		// Nothing reads the depthwise output later: one kernel, which keeps
		// it in cache band by band where it can.
		var res []float32
		if c.residual {
			res = c.x[1].Data
		}
		kernels.DepthwisePointwise(dp, c.x[0].Data, l.depthwise.data, nil, kernels.ActNone, pw, bias, res, act, c.y.Data)
	} else {
		// Backward reads the depthwise output: keep it.
		st, _ := c.state.(*separableState)
		if st == nil {
			st = &separableState{}
			c.state = st
		}
		mid := scratch(&st.mid, pp.N*pp.H*pp.W*pp.C)
		kernels.DepthwiseConv2D(dp, c.x[0].Data, l.depthwise.data, nil, kernels.ActNone, mid)
		kernels.Conv2DPacked(pp, mid, pw, bias, act, c.y.Data)
	}
	if after {
		applyKeep(l.act, c, c.y.Data, l.filters)
	}
}

func (l *SeparableConv2D) backward(c *call) {
	st := c.state.(*separableState)
	dp, pp := l.params(c.x[0], c)
	g := preActivationGrad(l.act, c, &st.dpre, l.filters)
	if c.dw[1] != nil {
		db := biasGrad(c, l.bias, 2)
		kernels.Conv2DBackwardWeights(pp, st.mid, g, c.dw[1], db)
		c.backwardKernel(pp.FLOPs())
	}
	if c.dw[0] == nil && c.dx[0] == nil {
		return
	}
	dmid := scratch(&st.dmid, len(st.mid))
	kernels.Conv2DBackwardInput(pp, g, l.pointwise.data, dmid)
	c.backwardKernel(pp.FLOPs())
	if c.dw[0] != nil {
		kernels.DepthwiseConv2DBackwardWeights(dp, c.x[0].Data, dmid, c.dw[0], nil)
		c.backwardKernel(dp.FLOPs())
	}
	if c.dx[0] != nil {
		kernels.DepthwiseConv2DBackwardInput(dp, dmid, l.depthwise.data, c.dx[0].Data)
		c.backwardKernel(dp.FLOPs())
	}
}
