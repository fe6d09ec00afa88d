package nn

import (
	"fmt"
	"testing"
)

// sepNet is a small network of Xception's and NASNet's SeparableConv2D
// patterns: SeparableConv2D, BatchNormalization, ReLU (folded and fused);
// ReLU before the convolution, the block's residual Add after its last
// BatchNormalization; a ZeroPadding2D before a strided `valid` one with a
// bias; a depth multiplier; and convolutions with activations of their own,
// after which a BatchNormalization must not fold.
func sepNet(t *testing.T, h, w, c int) *Model {
	t.Helper()
	in := Input([]int{h, w, c}, WithScope(NewNameScope()))
	bn := func(name string, x *Node) *Node { return NewBatchNormalization(WithName(name)).Apply(x) }
	relu := func(name string, x *Node) *Node { return NewActivation("relu", WithName(name)).Apply(x) }
	sep := func(name string, x *Node, filters int, opts ...Option) *Node {
		o := append([]Option{WithPadding("same"), WithUseBias(false), WithName(name)}, opts...)
		return NewSeparableConv2D(filters, 3, 3, o...).Apply(x)
	}
	x := NewConv2D(16, 3, 3, WithStrides(2), WithUseBias(false), WithName("stem")).Apply(in)
	x = relu("stem_act", bn("stem_bn", x))
	// Xception's entry block.
	res := bn("e_res_bn", NewConv2D(32, 1, 1, WithStrides(2), WithPadding("same"), WithUseBias(false), WithName("e_res")).Apply(x))
	y := relu("e_sep2_act", bn("e_sep1_bn", sep("e_sep1", x, 32)))
	y = bn("e_sep2_bn", sep("e_sep2", y, 32))
	y = NewMaxPooling2D(3, 3, WithStrides(2), WithPadding("same"), WithName("e_pool")).Apply(y)
	x = NewAdd(WithName("e_add")).Apply(y, res)
	// Xception's middle block: ReLU, SeparableConv2D, BN; then the Add.
	r := x
	for j := 1; j <= 2; j++ {
		name := fmt.Sprintf("m_sep%d", j)
		x = bn(name+"_bn", sep(name, relu(name+"_act", x), 32))
	}
	x = NewAdd(WithName("m_add")).Apply(x, r)
	// NASNet's strided separable convolution after a padding.
	x = NewZeroPadding2D(0, 1, 0, 1, WithName("n_pad")).Apply(relu("n_act", x))
	x = sep("n_sep", x, 24, WithStrides(2), WithPadding("valid"), WithUseBias(true))
	x = NewReLU(WithMaxValue(6), WithName("n_relu")).Apply(bn("n_sep_bn", x))
	x = relu("dm_act", bn("dm_bn", sep("dm_sep", x, 16, WithDepthMultiplier(2), WithUseBias(true))))
	x = bn("tanh_bn", sep("tanh_sep", x, 8, WithActivation("tanh")))
	x = bn("relu_sep_bn", sep("relu_sep", x, 8, WithActivation("relu")))
	x = NewGlobalAveragePooling2D(WithName("gap")).Apply(x)
	x = NewDense(3, WithName("head")).Apply(x)
	return specModel(t, in, x)
}

// sepModes is what inference does with sepNet's layers.
var sepModes = map[string]StepMode{
	"e_sep1":      "inference",
	"e_sep1_bn":   "folded",
	"e_sep2_act":  "fused",
	"e_sep2_bn":   "folded",
	"m_sep1_act":  "inference", // the Add reads its input too
	"m_sep1_bn":   "folded",
	"m_sep2_act":  "fused",
	"m_sep2_bn":   "folded",
	"m_add":       "fused",
	"n_act":       "fused",
	"n_pad":       "folded",
	"n_sep_bn":    "folded",
	"n_relu":      "fused",
	"dm_bn":       "folded",
	"dm_act":      "fused",
	"tanh_bn":     "inference",
	"relu_sep_bn": "inference",
}

// TestInferenceFoldsSeparable checks that folding BatchNormalization, ReLU,
// padding and residual Adds into SeparableConv2D changes the outputs by
// rounding only, at odd sizes, batches 1 and 2, on 1 and 2 threads; and that
// the one-kernel SeparableConv2D of inference computes what the two kernels
// of a training step do.
func TestInferenceFoldsSeparable(t *testing.T) {
	forThreadsAndSizes(t, [][4]int{{1, 23, 21, 3}, {2, 32, 32, 1}, {2, 19, 26, 5}}, sepNet, func(t *testing.T, _ [4]int, m *Model, x *Tensor) {
		refOf := runEveryLayer(t, m, x, "folded")
		for _, s := range m.StepStats() {
			if w, ok := sepModes[s.Layer]; ok && s.Mode != w {
				t.Errorf("%s: mode %q, want %q", s.Layer, s.Mode, w)
			}
		}
		// Each SeparableConv2D alone, as a training step runs it
		// (depthwise output kept, then the pointwise convolution).
		for _, l := range m.Layers()[1:] {
			sl, ok := l.(*SeparableConv2D)
			if !ok {
				continue
			}
			in := refOf[sl.InboundNodes()[0].Inputs()[0].Layer().Name()]
			r := runLayer(t, sl, []*Tensor{in}, nil, NewTensor(refOf[sl.Name()].Shape...), false, true)
			if e := relErr(refOf[sl.Name()].Data, r.y.Data); e > 1e-6 {
				t.Errorf("%s: one kernel vs two: relative error %.3g", sl.Name(), e)
			}
		}
	})
}
