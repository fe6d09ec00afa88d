package nn

import (
	"fmt"
	"slices"

	"github.com/keelml/keel/kernels"
)

// PaddingCausal is Conv1D's causal padding: dilation * (kernel - 1) zeros
// before the first step, none after, so that output t sees no input after t.
const PaddingCausal Padding = "causal"

// Conv1D is Keras' 1-D convolution over (steps, channels) inputs, kernel
// (kernel_size, in, filters). It runs on the 2-D convolution kernels as an
// image one row high.
type Conv1D struct {
	base
	k, stride, dilation int
	padding             string // valid, same or causal
	filters             int
	groups              int // Keras' groups: input channels and filters split into groups convolved apart
	act                 activation
	useBias             bool
	kernel, bias        *Variable
	packed              packedConv
}

// NewGroupedConv1D returns a Conv1D with Keras' groups; kernel
// (kernel_size, in/groups, filters). Options as NewConv1D.
func NewGroupedConv1D(filters, groups, k int, opts ...Option) *Conv1D {
	l := NewConv1D(filters, k, opts...)
	if l.err == nil && (groups < 1 || filters%groups != 0) {
		l.err = fmt.Errorf("nn: Conv1D: groups %d must be positive and divide filters %d", groups, filters)
	}
	l.groups = max(groups, 1)
	return l
}

// NewConv1D returns a Conv1D of filters output channels and a window of k
// steps. Options: WithStrides, WithPadding (valid, same or PaddingCausal),
// WithDilationRate, WithActivation, WithUseBias, WithName, WithTrainable.
func NewConv1D(filters, k int, opts ...Option) *Conv1D {
	causal := given(opts).padding == string(PaddingCausal)
	if causal {
		opts = append(slices.Clone(opts), WithPadding(PaddingValid))
	}
	s, err := collect("Conv1D", opts, "strides", "padding", "dilation_rate", "activation", "use_bias")
	if err == nil && (filters < 1 || k < 1) {
		err = fmt.Errorf("nn: Conv1D: filters %d and kernel size %d must be positive", filters, k)
	}
	if err == nil && causal && s.strides[0] != 1 {
		// Keras allows it; TensorFlow's causal convolutions are used at stride 1.
		err = fmt.Errorf("nn: Conv1D: causal padding with strides %d is not supported", s.strides[0])
	}
	l := &Conv1D{k: k, stride: s.strides[0], dilation: s.dilation[0], padding: s.padding, filters: filters, groups: 1, useBias: s.useBias}
	if causal {
		l.padding = string(PaddingCausal)
	}
	l.act, _ = parseActivation(s.activation)
	l.init(l, "Conv1D", s, err)
	return l
}

// Config is Keras 2's Conv1D config (groups only when above 1, as
// Keras 2.3 had none).
func (l *Conv1D) Config() map[string]any {
	c := l.withBase(map[string]any{
		"filters": l.filters, "kernel_size": []int{l.k}, "strides": []int{l.stride}, "padding": l.padding,
		"data_format": "channels_last", "dilation_rate": []int{l.dilation}, "activation": string(l.act), "use_bias": l.useBias,
	})
	if l.groups > 1 {
		c["groups"] = l.groups
	}
	return c
}

// pads returns the zeros before and after a sequence of n steps.
func (l *Conv1D) pads(n int) (before, after int) {
	switch l.padding {
	case "same":
		return kernels.SamePadding(n, l.k, l.stride, l.dilation)
	case string(PaddingCausal):
		return l.dilation * (l.k - 1), 0
	}
	return 0, 0
}

// params describes one group's convolution.
func (l *Conv1D) params(x *Tensor) kernels.ConvParams {
	before, after := l.pads(x.Shape[1])
	return kernels.ConvParams{
		N: x.Shape[0], H: 1, W: x.Shape[1], C: x.Shape[2] / l.groups, KH: 1, KW: l.k, OutC: l.filters / l.groups,
		StrideH: 1, StrideW: l.stride, DilationH: 1, DilationW: l.dilation, PadLeft: before, PadRight: after,
	}
}

func (l *Conv1D) build(in [][]int) ([]int, error) {
	if err := checkSequence(in); err != nil {
		return nil, err
	}
	p := l.params(&Tensor{Shape: append([]int{1}, in[0]...)})
	if p.OutW() < 1 {
		return nil, fmt.Errorf("a window of %d steps (dilation %d) does not fit %d steps", l.k, l.dilation, in[0][0])
	}
	if in[0][1]%l.groups != 0 {
		return nil, fmt.Errorf("groups %d do not divide the %d input channels", l.groups, in[0][1])
	}
	if l.kernel == nil {
		cg := in[0][1] / l.groups
		l.kernel = l.addWeight("kernel", []int{l.k, cg, l.filters}, true, glorotUniform{l.k * cg, l.k * l.filters})
		if l.useBias {
			l.bias = l.addWeight("bias", []int{l.filters}, true, constant(0))
		}
	}
	return []int{p.OutW(), l.filters}, nil
}

// checkSequence checks that in is one (steps, channels) input.
func checkSequence(in [][]int) error {
	if err := needOne(in); err != nil {
		return err
	}
	if len(in[0]) != 2 {
		return fmt.Errorf("needs (steps, channels) inputs")
	}
	return nil
}

func (l *Conv1D) backwardNeeds(_ *call, wantDW bool) (bool, bool) { return wantDW, l.act != actLinear }

func (l *Conv1D) forward(c *call) {
	p := l.params(c.x[0])
	act, after := outputAct(l.act, c)
	if l.groups == 1 {
		kernels.Conv2DPacked(p, c.x[0].Data, l.packed.get(p, l.kernel), biasOf(l.bias), act, c.y.Data)
	} else {
		// As Conv2D's groups: each group's channels and filters copied
		// apart, convolved, and the outputs copied back.
		b, x, bias := &convStateOf(c).grp, c.x[0], biasOf(l.bias)
		cg, fg, steps, out := p.C, p.OutC, p.N*p.W, p.N*p.OutW()
		for g := range l.groups {
			xg := gatherChannels(scratch(&b.x, steps*cg), x.Data, x.Shape[2], g*cg, cg)
			wg := gatherChannels(scratch(&b.w, l.k*cg*fg), l.kernel.data, l.filters, g*fg, fg)
			var bg []float32
			if bias != nil {
				bg = bias[g*fg : (g+1)*fg]
			}
			yg := scratch(&b.y, out*fg)
			kernels.Conv2D(p, xg, wg, bg, act, yg)
			scatterChannels(c.y.Data, l.filters, g*fg, yg, fg)
		}
	}
	c.forwardKernel(p.FLOPs() * float64(l.groups))
	if after {
		applyKeep(l.act, c, c.y.Data, l.filters)
	}
}

func (l *Conv1D) backward(c *call) {
	st := convStateOf(c)
	g := preActivationGrad(l.act, c, &st.dpre, l.filters)
	p, x, db := l.params(c.x[0]), c.x[0], biasGrad(c, l.bias, 1)
	if l.groups == 1 {
		if c.dw[0] != nil {
			kernels.Conv2DBackwardWeights(p, x.Data, g, c.dw[0], db)
			c.backwardKernel(p.FLOPs())
		}
		if c.dx[0] != nil {
			kernels.Conv2DBackwardInput(p, g, l.kernel.data, c.dx[0].Data)
			c.backwardKernel(p.FLOPs())
		}
		return
	}
	b := &st.grp
	cg, fg, steps, out := p.C, p.OutC, p.N*p.W, p.N*p.OutW()
	for gi := range l.groups {
		dyg := gatherChannels(scratch(&b.dy, out*fg), g, l.filters, gi*fg, fg)
		if c.dw[0] != nil {
			xg := gatherChannels(scratch(&b.x, steps*cg), x.Data, x.Shape[2], gi*cg, cg)
			dwg := scratch(&b.dw, l.k*cg*fg)
			var dbg []float32
			if db != nil {
				dbg = db[gi*fg : (gi+1)*fg]
			}
			kernels.Conv2DBackwardWeights(p, xg, dyg, dwg, dbg)
			scatterChannels(c.dw[0], l.filters, gi*fg, dwg, fg)
		}
		if c.dx[0] != nil {
			wg := gatherChannels(scratch(&b.w, l.k*cg*fg), l.kernel.data, l.filters, gi*fg, fg)
			dxg := scratch(&b.dx, steps*cg)
			kernels.Conv2DBackwardInput(p, dyg, wg, dxg)
			scatterChannels(c.dx[0].Data, x.Shape[2], gi*cg, dxg, cg)
		}
		c.backwardKernel(2 * p.FLOPs())
	}
}

func init() {
	conv1D := func(r *reader, o []Option) Layer {
		return NewGroupedConv1D(r.int("filters", 0), r.int("groups", 1), r.single("kernel_size", 1), append(o,
			WithStrides(r.single("strides", 1)), WithDilationRate(r.single("dilation_rate", 1)),
			WithPadding(Padding(r.str("padding", "valid"))), WithActivation(ActivationName(r.str("activation", "linear"))),
			WithUseBias(r.boolean("use_bias", true)))...)
	}
	registerConfig("Conv1D", conv1D)
	// Keras 2's alias: Convolution1D = Conv1D.
	registerConfig("Convolution1D", conv1D)
}
