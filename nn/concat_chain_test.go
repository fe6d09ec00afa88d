package nn

import (
	"fmt"
	"testing"
)

// chainNet is a small DenseNet: two dense blocks (each conv block
// BN-ReLU-1x1-BN-ReLU-3x3 and a Concatenate of its input and the new
// features) around a transition, a Concatenate of three inputs, and the
// cases that must not chain: an output read by a convolution, one along
// another axis, a value that two Concatenates extend, one read as a second
// input, and one of rank 1 after no chain.
func chainNet(t *testing.T, h, w, c int) *Model {
	t.Helper()
	sc := NewNameScope()
	o := func(name string, more ...Option) []Option {
		return append([]Option{WithScope(sc), WithName(name)}, more...)
	}
	bnRelu := func(x *Node, name string) *Node {
		x = NewBatchNormalization(o(name + "_bn")...).Apply(x)
		return NewActivation("relu", o(name+"_relu")...).Apply(x)
	}
	convBlock := func(x *Node, name string, growth int) *Node {
		y := bnRelu(x, name+"_0")
		y = NewConv2D(8, 1, 1, o(name+"_1_conv", WithUseBias(false))...).Apply(y)
		y = bnRelu(y, name+"_1")
		y = NewConv2D(growth, 3, 3, o(name+"_2_conv", WithUseBias(false), WithPadding("same"))...).Apply(y)
		return NewConcatenate(o(name+"_concat")...).Apply(x, y)
	}
	in := Input([]int{h, w, c}, WithScope(sc))
	x := NewConv2D(6, 3, 3, o("stem", WithPadding("same"))...).Apply(in)
	for i := 1; i <= 4; i++ {
		x = convBlock(x, fmt.Sprintf("b1_%d", i), 3+i%2) // growths 4, 3, 4, 3
	}
	x = bnRelu(x, "t")
	x = NewConv2D(9, 1, 1, o("t_conv", WithUseBias(false))...).Apply(x)
	x = NewAveragePooling2D(2, 2, o("t_pool", WithStrides(2))...).Apply(x)
	x = convBlock(x, "b2_1", 5)
	// Three inputs, the first the previous Concatenate's output.
	y := bnRelu(x, "b2_2_0")
	y = NewConv2D(3, 3, 3, o("b2_2_conv", WithPadding("same"))...).Apply(y)
	extra := NewConv2D(2, 1, 1, o("b2_extra")...).Apply(y)
	x = NewConcatenate(o("b2_3way")...).Apply(x, y, extra)
	// Read by a convolution too: the chain ends here.
	x = convBlock(x, "b2_3", 4)
	side := NewConv2D(3, 1, 1, o("side")...).Apply(x)
	x = convBlock(x, "b2_4", 4)
	x = convBlock(x, "b2_5", 4)
	// Along the width: not chained; it ends the chain before it.
	x = NewConcatenate(o("wide", WithAxis(2))...).Apply(x, x)
	// A value two Concatenates extend does not chain; one read as a second
	// input does not either.
	side2 := NewConv2D(3, 1, 1, o("side2")...).Apply(x)
	f := NewConcatenate(o("fork_in")...).Apply(x, side2)
	a := NewConcatenate(o("fork_a")...).Apply(f, side2)
	b := NewConcatenate(o("fork_b")...).Apply(f, side2)
	x = NewConcatenate(o("fork")...).Apply(a, b)
	x = bnRelu(x, "final")
	x = NewGlobalAveragePooling2D(o("gap")...).Apply(x)
	// Rank 1, and not extending a chain.
	x = NewConcatenate(o("gap_concat")...).Apply(x, NewGlobalAveragePooling2D(o("side_gap")...).Apply(side))
	x = NewDense(3, o("head")...).Apply(x)
	return specModel(t, in, x)
}

// chainWant is how chainConcats treats chainNet's Concatenates: the row
// stride of the shared buffer they write, and whether their first input is
// in place already. The others are not chained.
var chainWant = map[string]struct {
	stride  int
	inPlace bool
}{
	"b1_1_concat": {20, false}, "b1_2_concat": {20, true}, "b1_3_concat": {20, true}, "b1_4_concat": {20, true},
	"b2_1_concat": {23, false}, "b2_3way": {23, true}, "b2_3_concat": {23, true},
	"b2_4_concat": {31, false}, "b2_5_concat": {31, true},
	"fork_a": {74, false}, "fork": {74, true},
}

// TestConcatChains checks that chained Concatenates (DenseNet's dense
// blocks sharing one buffer) give what unchained ones give, at odd sizes,
// batches 1 and 2, on 1 and 2 threads, that they chain exactly where they
// may, and that a training plan chains only below its trainable layers.
func TestConcatChains(t *testing.T) {
	forThreadsAndSizes(t, [][4]int{{1, 9, 7, 3}, {2, 8, 8, 2}}, chainNet, func(t *testing.T, sz [4]int, m *Model, x *Tensor) {
		ref := runEveryLayer(t, m, x, "chained")
		head := ref["head"]
		p, err := m.planFor(planKey{batch: sz[0]})
		if err != nil {
			t.Fatal(err)
		}
		checkChains(t, p, chainWant)

		// A requested value in a chain ends it there, and stays exact.
		checkRequested(t, m, x, ref, "b1_2_concat", "b2_4_concat")

		// Training: nothing chains where gradients flow; below a
		// trainable head, the frozen blocks chain and compute the same.
		tp, err := m.planFor(planKey{training: true, batch: sz[0]})
		if err != nil {
			t.Fatal(err)
		}
		checkChains(t, tp, nil)
		for _, l := range m.Layers() {
			l.SetTrainable(l.Name() == "head")
		}
		defer m.SetTrainable(true)
		tp, err = m.planFor(planKey{training: true, batch: sz[0]})
		if err != nil {
			t.Fatal(err)
		}
		checkChains(t, tp, chainWant)
		tp.forward([]*Tensor{x})
		if e := relErr(tp.slots[tp.outputs[0]].val.Data, head.Data); e > 1e-5 {
			t.Errorf("frozen training forward: relative error %.3g", e)
		}
	})
}

// checkChains checks every Concatenate step of p against want.
func checkChains(t *testing.T, p *plan, want map[string]struct {
	stride  int
	inPlace bool
}) {
	t.Helper()
	for _, s := range p.steps {
		if _, ok := s.layer.(*Concatenate); !ok {
			continue
		}
		w := want[s.layer.Name()]
		if s.c.rowStride != w.stride || s.c.inPlace != w.inPlace {
			t.Errorf("%s: row stride %d, in place %v; want %d, %v", s.layer.Name(), s.c.rowStride, s.c.inPlace, w.stride, w.inPlace)
		}
	}
}
