package nn

import (
	"fmt"
	"testing"
)

// preBNNet is a small DenseNet: two dense blocks of two conv blocks (BN,
// ReLU, 1x1 conv, BN, ReLU, 3x3 conv, Concatenate) around a transition (BN,
// ReLU, 1x1 conv, AveragePooling2D), then the cases that must not fuse: a
// BatchNormalization read twice, one before a 3x3 and one before a strided
// 1x1 convolution, one with a swish after it, and one before pooling.
func preBNNet(t *testing.T, h, w, c int) *Model {
	t.Helper()
	sc := NewNameScope()
	o := func(name string, more ...Option) []Option {
		return append([]Option{WithScope(sc), WithName(name)}, more...)
	}
	bnAct := func(x *Node, name, act string) *Node {
		x = NewBatchNormalization(o(name + "_bn")...).Apply(x)
		return NewActivation(ActivationName(act), o(name+"_"+act)...).Apply(x)
	}
	convBlock := func(x *Node, name string, growth int) *Node {
		y := bnAct(x, name+"_0", "relu")
		y = NewConv2D(12, 1, 1, o(name+"_1_conv", WithUseBias(false))...).Apply(y)
		y = bnAct(y, name+"_1", "relu")
		y = NewConv2D(growth, 3, 3, o(name+"_2_conv", WithUseBias(false), WithPadding("same"))...).Apply(y)
		return NewConcatenate(o(name+"_concat")...).Apply(x, y)
	}
	in := Input([]int{h, w, c}, WithScope(sc))
	x := NewConv2D(9, 3, 3, o("stem", WithPadding("same"))...).Apply(in)
	x = convBlock(x, "b1_1", 5)
	x = convBlock(x, "b1_2", 7)
	x = bnAct(x, "t", "relu")
	x = NewConv2D(10, 1, 1, o("t_conv", WithUseBias(false))...).Apply(x)
	x = NewAveragePooling2D(2, 2, o("t_pool", WithStrides(2))...).Apply(x)
	x = convBlock(x, "b2_1", 4)
	x = convBlock(x, "b2_2", 8)
	// Read twice: by a 1x1 and a 3x3 convolution.
	y := bnAct(x, "two", "relu")
	a := NewConv2D(6, 1, 1, o("two_a")...).Apply(y)
	b := NewConv2D(6, 3, 3, o("two_b", WithPadding("same"))...).Apply(y)
	x = NewConcatenate(o("two_concat")...).Apply(a, b)
	// Before a 3x3 convolution, and a swish.
	k := NewConv2D(7, 3, 3, o("k3_conv", WithPadding("same"))...).Apply(bnAct(x, "k3", "relu"))
	sw := NewConv2D(7, 1, 1, o("sw_conv")...).Apply(bnAct(x, "sw", "swish"))
	x = NewConcatenate(o("mix")...).Apply(k, sw)
	// Before a strided 1x1 convolution, and a pooling.
	s2 := NewConv2D(7, 1, 1, o("s2_conv", WithStrides(2))...).Apply(bnAct(x, "s2", "relu"))
	s2 = NewGlobalAveragePooling2D(o("s2_gap")...).Apply(s2)
	x = NewGlobalAveragePooling2D(o("gap")...).Apply(bnAct(x, "final", "relu"))
	x = NewConcatenate(o("head")...).Apply(x, s2)
	return specModel(t, in, x)
}

// TestFusePreBN checks that each BatchNormalization and ReLU before a 1x1
// convolution that alone reads them fuse into it, reading a chained
// Concatenate's buffer with its row stride where the dense blocks chain,
// and give the outputs of running every layer, at odd sizes, batches 1
// and 2, on 1 and 2 threads; that the others run as before; and that the
// fused convolution follows a change to the BatchNormalization's weights.
func TestFusePreBN(t *testing.T) {
	const fused, inference = ModeFused, ModeInference
	modes := map[string]StepMode{
		"b1_1_0_bn": fused, "b1_1_0_relu": fused, "b1_1_1_conv": inference,
		"b1_2_0_bn": fused, "b1_2_0_relu": fused, "b1_2_1_conv": inference,
		// The transition pools before its 1x1 convolution (poolFirst), so
		// its BatchNormalization and ReLU run as a step of their own.
		"t_bn": inference, "t_relu": fused, "t_conv": inference,
		"b2_1_0_bn": fused, "b2_2_0_bn": fused,
		// The conv blocks' second BatchNormalization folds into the 1x1
		// convolution before it, as it did.
		"b1_1_1_bn": ModeFolded, "b2_2_1_bn": ModeFolded,
		"two_bn": inference, "k3_bn": inference, "s2_bn": inference, "sw_bn": inference, "final_bn": inference,
	}
	// The convolutions with a BatchNormalization fused in, and the row
	// stride at which they read their input: a chained Concatenate's buffer
	// (its last output is contiguous), 0 for contiguous.
	preNormed := map[string]int{"b1_1_1_conv": 0, "b1_2_1_conv": 21, "b2_1_1_conv": 0, "b2_2_1_conv": 22}
	forThreadsAndSizes(t, [][4]int{{1, 9, 7, 3}, {2, 8, 8, 5}}, preBNNet, func(t *testing.T, sz [4]int, m *Model, x *Tensor) {
		checkFused(t, fmt.Sprint(sz), m, x, modes)
		p, err := m.planFor(planKey{batch: sz[0]})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.steps {
			if _, isConv := s.layer.(*Conv2D); !isConv || s.skip {
				continue
			}
			name := s.layer.Name()
			stride, want := preNormed[name]
			if (s.c.preNorm != nil) != want || s.c.xStride != stride {
				t.Errorf("%s: BatchNormalization fused in %v, row stride %d; want %v, %d", name, s.c.preNorm != nil, s.c.xStride, want, stride)
			}
		}
		checkChains(t, p, map[string]struct {
			stride  int
			inPlace bool
		}{"b1_1_concat": {21, false}, "b1_2_concat": {21, true}, "b2_1_concat": {22, false}, "b2_2_concat": {22, true}})

		// New statistics in place: the fused convolution's scale and shift
		// follow, the plan unchanged.
		bn := m.Layer("b1_2_0_bn").(*BatchNormalization)
		mean := append([]float32(nil), bn.mean.data...)
		for i := range mean {
			mean[i] += 0.25 * float32(i%3)
		}
		if err := bn.mean.Set(bn.mean.shape, mean); err != nil {
			t.Fatal(err)
		}
		if p2, _ := m.planFor(planKey{batch: sz[0]}); p2 != p {
			t.Fatal("setting a weight rebuilt the plan")
		}
		runEveryLayer(t, m, x, "new statistics")
	})
}

// TestFusePreBNKept checks that nothing fuses where the values are needed:
// a BatchNormalization whose output is requested, and a training plan.
func TestFusePreBNKept(t *testing.T) {
	m := preBNNet(t, 6, 6, 3)
	x := foldInput(1, 6, 6, 3)
	if _, err := m.RunLayers([]string{"b1_1_0_relu", "head"}, x); err != nil {
		t.Fatal(err)
	}
	for _, s := range m.StepStats() {
		if s.Layer == "b1_1_0_bn" && s.Mode != ModeInference {
			t.Errorf("requested ReLU output: b1_1_0_bn runs %q", s.Mode)
		}
		if s.Layer == "b1_2_0_bn" && s.Mode != ModeFused {
			t.Errorf("requested elsewhere: b1_2_0_bn runs %q", s.Mode)
		}
	}
	tp, err := m.planFor(planKey{training: true, batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tp.steps {
		if s.c.preNorm != nil {
			t.Errorf("training plan: %s has a BatchNormalization fused in", s.layer.Name())
		}
	}
}
