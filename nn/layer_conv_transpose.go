package nn

import (
	"fmt"
	"slices"

	"github.com/keelml/keel/kernels"
)

// Conv2DTranspose is Keras' transposed convolution, kernel (kh, kw,
// filters, in): the gradient of a convolution with respect to its input,
// which maps the (larger) output back to this layer's input. It runs on
// the convolution kernels with those roles swapped: forward is their
// input gradient, backward their forward pass and weight gradient.
type Conv2DTranspose struct {
	base
	kh, kw, filters int
	strides         [2]int
	padding         string
	outPad          []int // Keras' output_padding; nil: None
	act             activation
	useBias         bool
	kernel, bias    *Variable
	h, w            int // input size
}

// NewConv2DTranspose returns a Conv2DTranspose of filters outputs and a kh x
// kw window. outputPadding is Keras' output_padding (nil for None, else
// rows and columns, each below its stride). Options: WithStrides,
// WithPadding, WithActivation, WithUseBias, WithName, WithTrainable.
func NewConv2DTranspose(filters, kh, kw int, outputPadding []int, opts ...Option) *Conv2DTranspose {
	s, err := collect("Conv2DTranspose", opts, "strides", "padding", "dilation_rate", "activation", "use_bias")
	switch {
	case err != nil:
	case filters < 1 || kh < 1 || kw < 1:
		err = fmt.Errorf("nn: Conv2DTranspose: filters %d and kernel %dx%d must be positive", filters, kh, kw)
	case s.dilation != [2]int{1, 1}:
		err = fmt.Errorf("nn: Conv2DTranspose: dilation_rate %v: only 1 is supported", s.dilation)
	case outputPadding != nil && (len(outputPadding) != 2 || outputPadding[0] < 0 || outputPadding[1] < 0 ||
		outputPadding[0] >= s.strides[0] || outputPadding[1] >= s.strides[1]):
		err = fmt.Errorf("nn: Conv2DTranspose: output_padding %v must be two values, each below its stride %v", outputPadding, s.strides)
	}
	l := &Conv2DTranspose{kh: kh, kw: kw, filters: filters, strides: s.strides, padding: s.padding, outPad: slices.Clone(outputPadding), useBias: s.useBias}
	l.act, _ = parseActivation(s.activation)
	l.init(l, "Conv2DTranspose", s, err)
	return l
}

// Config is Keras' Conv2DTranspose config.
func (l *Conv2DTranspose) Config() map[string]any {
	var op any
	if l.outPad != nil {
		op = slices.Clone(l.outPad)
	}
	return l.withBase(map[string]any{
		"filters": l.filters, "kernel_size": []int{l.kh, l.kw}, "strides": l.strides[:], "padding": l.padding,
		"data_format": "channels_last", "dilation_rate": []int{1, 1}, "output_padding": op,
		"activation": string(l.act), "use_bias": l.useBias,
	})
}

// outLen is Keras' deconv_output_length for one dimension.
func (l *Conv2DTranspose) outLen(in, k, stride, dim int) int {
	if l.outPad == nil {
		if l.padding == "same" {
			return in * stride
		}
		return in*stride + max(k-stride, 0)
	}
	pad := 0
	if l.padding == "same" {
		pad = k / 2
	}
	return (in-1)*stride + k - 2*pad + l.outPad[dim]
}

// params describes the convolution from this layer's output (as its
// input) back to this layer's input, with TensorFlow's padding for it.
func (l *Conv2DTranspose) params(n int) kernels.ConvParams {
	oh, ow := l.outLen(l.h, l.kh, l.strides[0], 0), l.outLen(l.w, l.kw, l.strides[1], 1)
	p := kernels.ConvParams{N: n, H: oh, W: ow, C: l.filters, KH: l.kh, KW: l.kw, OutC: l.kernel.shape[3],
		StrideH: l.strides[0], StrideW: l.strides[1], DilationH: 1, DilationW: 1}
	if l.padding == "same" {
		th, tw := max((l.h-1)*l.strides[0]+l.kh-oh, 0), max((l.w-1)*l.strides[1]+l.kw-ow, 0)
		p.PadTop, p.PadBottom, p.PadLeft, p.PadRight = th/2, th-th/2, tw/2, tw-tw/2
	}
	return p
}

func (l *Conv2DTranspose) build(in [][]int) ([]int, error) {
	if err := checkImage(in); err != nil {
		return nil, err
	}
	l.h, l.w = in[0][0], in[0][1]
	if l.kernel == nil {
		shape := []int{l.kh, l.kw, l.filters, in[0][2]}
		l.kernel = l.addWeight("kernel", shape, true, glorotUniform{l.kh * l.kw * l.filters, l.kh * l.kw * in[0][2]})
		if l.useBias {
			l.bias = l.addWeight("bias", []int{l.filters}, true, constant(0))
		}
	}
	p := l.params(1)
	if p.H < 1 || p.W < 1 || p.OutH() != l.h || p.OutW() != l.w {
		return nil, fmt.Errorf("no %dx%d output maps back onto a %dx%d input", p.H, p.W, l.h, l.w)
	}
	return []int{p.H, p.W, l.filters}, nil
}

func (l *Conv2DTranspose) backwardNeeds(_ *call, wantDW bool) (bool, bool) {
	return wantDW, l.act != actLinear
}

func (l *Conv2DTranspose) forward(c *call) {
	p := l.params(c.x[0].Batch())
	kernels.Conv2DBackwardInput(p, c.x[0].Data, l.kernel.data, c.y.Data)
	c.forwardKernel(p.FLOPs())
	if l.bias != nil {
		for r := 0; r < len(c.y.Data); r += l.filters {
			kernels.Add(c.y.Data[r:r+l.filters], l.bias.data, c.y.Data[r:r+l.filters])
		}
	}
	applyKeep(l.act, c, c.y.Data, l.filters)
}

func (l *Conv2DTranspose) backward(c *call) {
	g := preActivationGrad(l.act, c, &convStateOf(c).dpre, l.filters)
	p := l.params(c.x[0].Batch())
	if c.dw[0] != nil {
		kernels.Conv2DBackwardWeights(p, g, c.x[0].Data, c.dw[0], nil)
		c.backwardKernel(p.FLOPs())
	}
	if db := biasGrad(c, l.bias, 1); db != nil {
		kernels.BiasGrad(g, db)
	}
	if c.dx[0] != nil {
		kernels.Conv2D(p, g, l.kernel.data, nil, kernels.ActNone, c.dx[0].Data)
		c.backwardKernel(p.FLOPs())
	}
}

func init() {
	registerConfig("Conv2DTranspose", func(r *reader, o []Option) Layer {
		k, s, d := r.pair("kernel_size", 1), r.pair("strides", 1), r.pair("dilation_rate", 1)
		var op []int
		if r.c.has("output_padding") {
			v := r.pair("output_padding", 0)
			op = v[:]
		}
		return NewConv2DTranspose(r.int("filters", 0), k[0], k[1], op, append(o, WithStrides(s[0], s[1]), WithDilationRate(d[0], d[1]),
			WithPadding(Padding(r.str("padding", "valid"))), WithActivation(ActivationName(r.str("activation", "linear"))),
			WithUseBias(r.boolean("use_bias", true)))...)
	})
}
