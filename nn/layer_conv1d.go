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
	act                 activation
	useBias             bool
	kernel, bias        *Variable
	packed              packedConv
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
	l := &Conv1D{k: k, stride: s.strides[0], dilation: s.dilation[0], padding: s.padding, filters: filters, useBias: s.useBias}
	if causal {
		l.padding = string(PaddingCausal)
	}
	l.act, _ = parseActivation(s.activation)
	l.init(l, "Conv1D", s, err)
	return l
}

// Config is Keras 2's Conv1D config.
func (l *Conv1D) Config() map[string]any {
	return l.withBase(map[string]any{
		"filters": l.filters, "kernel_size": []int{l.k}, "strides": []int{l.stride}, "padding": l.padding,
		"data_format": "channels_last", "dilation_rate": []int{l.dilation}, "activation": string(l.act), "use_bias": l.useBias,
	})
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

func (l *Conv1D) params(x *Tensor) kernels.ConvParams {
	before, after := l.pads(x.Shape[1])
	return kernels.ConvParams{
		N: x.Shape[0], H: 1, W: x.Shape[1], C: x.Shape[2], KH: 1, KW: l.k, OutC: l.filters,
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
	if l.kernel == nil {
		shape := []int{l.k, in[0][1], l.filters}
		l.kernel = l.addWeight("kernel", shape, true, glorotUniform{l.k * in[0][1], l.k * l.filters})
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
	kernels.Conv2DPacked(p, c.x[0].Data, l.packed.get(p, l.kernel), biasOf(l.bias), act, c.y.Data)
	c.forwardKernel(p.FLOPs())
	if after {
		applyKeep(l.act, c, c.y.Data, l.filters)
	}
}

func (l *Conv1D) backward(c *call) {
	g := preActivationGrad(l.act, c, &convStateOf(c).dpre, l.filters)
	p := l.params(c.x[0])
	if c.dw[0] != nil {
		kernels.Conv2DBackwardWeights(p, c.x[0].Data, g, c.dw[0], biasGrad(c, l.bias, 1))
		c.backwardKernel(p.FLOPs())
	}
	if c.dx[0] != nil {
		kernels.Conv2DBackwardInput(p, g, l.kernel.data, c.dx[0].Data)
		c.backwardKernel(p.FLOPs())
	}
}

func init() {
	conv1D := func(r *reader, o []Option) Layer {
		if g := r.int("groups", 1); g != 1 {
			r.keep(fmt.Errorf("groups %d: only 1 is supported", g))
		}
		return NewConv1D(r.int("filters", 0), r.single("kernel_size", 1), append(o,
			WithStrides(r.single("strides", 1)), WithDilationRate(r.single("dilation_rate", 1)),
			WithPadding(Padding(r.str("padding", "valid"))), WithActivation(ActivationName(r.str("activation", "linear"))),
			WithUseBias(r.boolean("use_bias", true)))...)
	}
	registerConfig("Conv1D", conv1D)
	// Keras 2's alias: Convolution1D = Conv1D.
	registerConfig("Convolution1D", conv1D)
}
