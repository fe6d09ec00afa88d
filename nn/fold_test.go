package nn

import (
	"testing"

	"github.com/keelml/keel/internal/splitmix"
)

// foldNet is a small network with what inference folds beyond BN and ReLU:
// ZeroPadding2D before valid convolutions (depthwise and not), residual Adds
// after 1x1 convolutions (MobileNetV2's linear bottleneck, ResNet's
// add-then-relu), and the cases that must not fold (a padding read twice, a
// `same` convolution after a padding, an Add whose inputs are both read
// elsewhere).
func foldNet(t *testing.T, h, w, c int) *Model {
	t.Helper()
	sc := NewNameScope()
	in := Input([]int{h, w, c}, WithScope(sc))
	bn := func(name string) *BatchNormalization { return NewBatchNormalization(WithName(name)) }
	// MobileNetV2-like stem and bottlenecks.
	// ResNet's max pooling over a zero-padded ReLU output; the same over
	// values that may be negative, and with a window wholly in the padding.
	mp := NewReLU(WithName("in_relu")).Apply(in)
	mp = NewZeroPadding2D(1, 1, 2, 1, WithName("mp_pad")).Apply(mp)
	mp = NewMaxPooling2D(3, 4, WithStrides(1), WithName("mp")).Apply(mp)
	mp2 := NewZeroPadding2D(1, 1, 2, 1, WithName("mp2_pad")).Apply(in)
	mp2 = NewMaxPooling2D(3, 4, WithStrides(1), WithName("mp2")).Apply(mp2)
	mp3 := NewReLU(WithName("in_relu3")).Apply(in)
	mp3 = NewZeroPadding2D(2, 2, 2, 2, WithName("mp3_pad")).Apply(mp3)
	mp3 = NewMaxPooling2D(2, 2, WithStrides(1), WithName("mp3")).Apply(mp3)
	mp3 = NewMaxPooling2D(4, 4, WithStrides(1), WithName("mp3b")).Apply(mp3)
	x := NewAdd(WithName("mp_add")).Apply(mp, mp2, mp3)
	x = NewZeroPadding2D(0, 1, 0, 1, WithName("stem_pad")).Apply(x)
	x = NewConv2D(17, 3, 3, WithStrides(2), WithUseBias(false), WithName("stem")).Apply(x)
	x = NewReLU(WithMaxValue(6), WithName("stem_relu")).Apply(bn("stem_bn").Apply(x))
	block := func(name string, x *Node, expand, outC, stride int, residual bool) *Node {
		y := NewConv2D(expand, 1, 1, WithUseBias(false), WithName(name+"_expand")).Apply(x)
		y = NewReLU(WithMaxValue(6), WithName(name+"_expand_relu")).Apply(bn(name + "_expand_bn").Apply(y))
		pad := PaddingSame
		if stride == 2 {
			y = NewZeroPadding2D(0, 1, 0, 1, WithName(name+"_pad")).Apply(y)
			pad = PaddingValid
		}
		y = NewDepthwiseConv2D(3, 3, WithStrides(stride), WithPadding(pad), WithUseBias(false), WithName(name+"_dw")).Apply(y)
		y = NewReLU(WithMaxValue(6), WithName(name+"_dw_relu")).Apply(bn(name + "_dw_bn").Apply(y))
		y = NewConv2D(outC, 1, 1, WithUseBias(false), WithName(name+"_project")).Apply(y)
		y = bn(name + "_project_bn").Apply(y)
		if residual {
			y = NewAdd(WithName(name+"_add")).Apply(x, y)
		}
		return y
	}
	x = block("b1", x, 33, 7, 2, false)
	x = block("b2", x, 42, 7, 1, true)
	x = block("b3", x, 16, 7, 1, true)
	// ResNet-like: conv, BN, add, ReLU; the shortcut a conv too.
	short := bn("r_0_bn").Apply(NewConv2D(32, 1, 1, WithName("r_0_conv")).Apply(x))
	y := NewConv2D(32, 1, 1, WithActivation("linear"), WithName("r_3_conv")).Apply(x)
	y = NewAdd(WithName("r_add")).Apply(short, bn("r_3_bn").Apply(y))
	x = NewActivation("relu", WithName("r_out")).Apply(y)
	// ResNetV2-like: the Add fuses into the convolution before it, so the
	// BatchNormalization after the Add must not fold into that convolution.
	v := NewActivation("relu", WithName("v_preact_relu")).Apply(bn("v_preact_bn").Apply(x))
	v = NewConv2D(32, 1, 1, WithName("v_3_conv")).Apply(v)
	x = NewAdd(WithName("v_out")).Apply(x, v)
	x = NewActivation("relu", WithName("v_post_relu")).Apply(bn("v_post_bn").Apply(x))
	// InceptionResNetV2-like: the scaled residual folds into the branch's
	// 1x1 convolution (and the block's ReLU with it); one whose branch is
	// also read elsewhere does not.
	sb := NewConv2D(32, 1, 1, WithName("s_up")).Apply(NewConv2D(8, 1, 1, WithActivation("relu"), WithName("s_branch")).Apply(x))
	x = NewActivation("relu", WithName("s_ac")).Apply(NewCustomScaleLayer(0.17, WithName("s_scale")).Apply(x, sb))
	sb2 := NewConv2D(32, 1, 1, WithName("s2_up")).Apply(x)
	x = NewCustomScaleLayer(0.3, WithName("s2_scale")).Apply(x, sb2)
	x = NewAdd(WithName("s2_add")).Apply(x, sb2)
	// A padding read twice, and a `same` convolution after a padding: no fold.
	p2 := NewZeroPadding2D(1, 1, 1, 1, WithName("twice_pad")).Apply(x)
	a := NewConv2D(5, 3, 3, WithName("twice_a")).Apply(p2)
	b := NewConv2D(5, 3, 3, WithName("twice_b")).Apply(p2)
	x = NewAdd(WithName("twice_add")).Apply(a, b)
	// An Add of a convolution's input and output; an Add of a value read
	// twice: neither fuses.
	x = NewAdd(WithName("self_add")).Apply(x, NewConv2D(5, 1, 1, WithName("self_conv")).Apply(x))
	u := NewConv2D(5, 1, 1, WithName("used_conv")).Apply(x)
	x = NewAdd(WithName("used_add")).Apply(NewAdd(WithName("used_add0")).Apply(x, u), u)
	x = NewZeroPadding2D(1, 0, 2, 1, WithName("same_pad")).Apply(x)
	x = NewConv2D(9, 3, 3, WithPadding("same"), WithName("same_conv")).Apply(x)
	x = NewZeroPadding2D(2, 1, 1, 2, WithName("big_pad")).Apply(x)
	x = NewConv2D(7, 3, 2, WithStrides(2), WithName("big_conv")).Apply(x)
	x = NewGlobalAveragePooling2D(WithName("gap")).Apply(x)
	x = NewDense(3, WithName("head")).Apply(x)
	return specModel(t, in, x)
}

func foldInput(n, h, w, c int) *Tensor {
	x := NewTensor(n, h, w, c)
	r := splitmix.FromString("fold")
	for i := range x.Data {
		x.Data[i] = float32(2*r.U() - 1)
	}
	return x
}

// TestInferenceFolds checks that folding paddings and residual Adds into
// convolutions changes the outputs by rounding only, at odd sizes, batches 1
// and 2, on 1 and 2 threads, and that it folds exactly where it may.
func TestInferenceFolds(t *testing.T) {
	forThreadsAndSizes(t, [][4]int{{1, 15, 13, 3}, {2, 16, 16, 1}, {2, 11, 17, 5}}, foldNet, func(t *testing.T, _ [4]int, m *Model, x *Tensor) {
		refOf := runEveryLayer(t, m, x, "folded")
		modes := stepModes(m)
		for l, w := range foldModes {
			if modes[l] != w {
				t.Errorf("%s: mode %q, want %q", l, modes[l], w)
			}
		}
		// Requested values in the middle stay exact.
		checkRequested(t, m, x, refOf, "b1_pad", "b2_project_bn", "r_add", "stem_pad")
		modes = stepModes(m)
		// (A requested Add may still fuse into the convolution
		// before it, as a requested BatchNormalization folds: its
		// value is the convolution's plus the shortcut. An Add after
		// a requested value may not.)
		for _, n := range []string{"b1_pad", "stem_pad", "b2_add"} {
			if modes[n] != "inference" {
				t.Errorf("requested %s: mode %q", n, modes[n])
			}
		}
	})
}

// foldModes is what inference does with foldNet's layers.
var foldModes = map[string]StepMode{
	"b1_project": "fused",
	"b2_project": "fused",
	"b3_project": "fused",
	"mp_pad":     "folded",
	"mp2_pad":    "inference",
	"mp3_pad":    "inference",
	"stem_pad":   "folded",
	"stem":       "inference",
	"b1_pad":     "folded",
	"b1_dw":      "inference",
	"twice_pad":  "inference",
	"same_pad":   "inference",
	"big_pad":    "folded",
	"big_conv":   "inference",
	"r_out":      "fused",
	"b2_add":     "fused",
	"b3_add":     "fused",
	"r_add":      "fused",
	"twice_add":  "fused",
	"self_add":   "inference",
	"used_add0":  "inference",
	"used_add":   "inference",
	"r_0_bn":     "folded",
	"r_3_bn":     "folded",
	"v_out":      "fused",
	"v_post_bn":  "inference",
	"s_scale":    "fused",
	"s_ac":       "fused",
	"s2_scale":   "inference",
}
