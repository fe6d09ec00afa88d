package nn

import (
	"fmt"
	"testing"
)

// poolFirstNet has 1x1 convolutions before average poolings that
// plan.poolFirst may swap (a DenseNet transition with a folded
// BatchNormalization after the convolution, and a biased one before a
// `same` pooling of an odd size) and ones it must not: with a ReLU fused in,
// its own activation, before a max pooling, read by two steps, and a 3x3
// convolution.
func poolFirstNet(t *testing.T, h, w, c int) *Model {
	t.Helper()
	sc := NewNameScope()
	o := func(name string, more ...Option) []Option {
		return append([]Option{WithScope(sc), WithName(name)}, more...)
	}
	in := Input([]int{h, w, c}, WithScope(sc))
	x := NewBatchNormalization(o("t_bn")...).Apply(in)
	x = NewActivation("relu", o("t_relu")...).Apply(x)
	x = NewConv2D(10, 1, 1, o("t_conv", WithUseBias(false))...).Apply(x)
	x = NewBatchNormalization(o("t_conv_bn")...).Apply(x)
	x = NewAveragePooling2D(2, 2, o("t_pool", WithStrides(2))...).Apply(x)
	x = NewConv2D(8, 1, 1, o("same_conv")...).Apply(x)
	x = NewAveragePooling2D(3, 3, o("same_pool", WithStrides(2), WithPadding("same"))...).Apply(x)
	// Not swapped.
	r := NewConv2D(6, 1, 1, o("relu_conv")...).Apply(x)
	r = NewActivation("relu", o("relu_conv_relu")...).Apply(r)
	r = NewAveragePooling2D(2, 2, o("relu_pool", WithPadding("same"))...).Apply(r)
	a := NewConv2D(6, 1, 1, o("act_conv", WithActivation("sigmoid"))...).Apply(x)
	a = NewAveragePooling2D(2, 2, o("act_pool", WithPadding("same"))...).Apply(a)
	m := NewConv2D(6, 1, 1, o("max_conv")...).Apply(x)
	m = NewMaxPooling2D(2, 2, o("max_pool", WithPadding("same"))...).Apply(m)
	k := NewConv2D(6, 3, 3, o("k3_conv", WithPadding("same"))...).Apply(x)
	k = NewAveragePooling2D(2, 2, o("k3_pool", WithPadding("same"))...).Apply(k)
	d := NewConv2D(6, 1, 1, o("two_conv")...).Apply(x)
	d1 := NewAveragePooling2D(2, 2, o("two_pool", WithPadding("same"))...).Apply(d)
	d2 := NewMaxPooling2D(2, 2, o("two_max", WithPadding("same"))...).Apply(d)
	x = NewConcatenate(o("mix")...).Apply(r, a, m, k, d1, d2)
	return specModel(t, in, x)
}

// TestPoolFirst checks that the inference plan pools before exactly the
// linear 1x1 convolutions, with the outputs of running every layer, at odd
// and even sizes, batches 1 and 2, on 1 and 2 threads.
func TestPoolFirst(t *testing.T) {
	swapped := map[string]bool{"t_conv": true, "same_conv": true}
	forThreadsAndSizes(t, [][4]int{{1, 9, 7, 3}, {2, 12, 12, 5}}, poolFirstNet, func(t *testing.T, sz [4]int, m *Model, x *Tensor) {
		checkFused(t, fmt.Sprint(sz), m, x, map[string]StepMode{"t_conv_bn": ModeFolded, "relu_conv_relu": ModeFused})
		p, err := m.planFor(planKey{batch: sz[0]})
		if err != nil {
			t.Fatal(err)
		}
		at := map[string]int{}
		for i, s := range p.steps {
			at[s.layer.Name()] = i
		}
		for _, conv := range []string{"t_conv", "same_conv", "relu_conv", "act_conv", "max_conv", "k3_conv", "two_conv"} {
			pool := conv[:len(conv)-len("conv")] + "pool"
			if conv == "max_conv" {
				pool = "max_pool"
			}
			if got := at[pool] < at[conv]; got != swapped[conv] {
				t.Errorf("%v: %s pooled first: %v, want %v", sz, conv, got, swapped[conv])
			}
		}
	})
}
