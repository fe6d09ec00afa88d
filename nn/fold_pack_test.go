package nn

import "testing"

// A convolution whose BatchNormalization folds packs only the folded
// weights: the unfolded kernel, which inference never reads, is not packed
// beside them (a second packed copy of every such layer's weights).
func TestFoldedConvolutionsPackOnce(t *testing.T) {
	in := Input([]int{12, 12, 3}, WithScope(NewNameScope()))
	bnRelu := func(name string, x *Node) *Node {
		return NewActivation("relu", WithName(name+"_act")).Apply(NewBatchNormalization(WithName(name + "_bn")).Apply(x))
	}
	x := bnRelu("c1", NewConv2D(8, 3, 3, WithPadding("same"), WithUseBias(false), WithName("c1")).Apply(in))
	x = bnRelu("dw", NewDepthwiseConv2D(3, 3, WithPadding("same"), WithUseBias(false), WithName("dw")).Apply(x))
	x = bnRelu("pw", NewConv2D(16, 1, 1, WithUseBias(false), WithName("pw")).Apply(x))
	x = bnRelu("sep", NewSeparableConv2D(8, 3, 3, WithPadding("same"), WithUseBias(false), WithName("sep")).Apply(x))
	x = NewDense(3, WithName("head")).Apply(NewGlobalAveragePooling2D(WithName("gap")).Apply(x))
	m := specModel(t, in, x)
	if _, err := m.Run(foldInput(1, 12, 12, 3)); err != nil {
		t.Fatal(err)
	}
	modes := stepModes(m)
	// pw runs inside dw's step (DepthwiseConv2D.forwardSeparable).
	for name, want := range map[string]StepMode{"c1_bn": "folded", "pw": "fused", "pw_bn": "folded", "sep_bn": "folded"} {
		if modes[name] != want {
			t.Fatalf("%s: mode %q, want %q (the test needs these paths)", name, modes[name], want)
		}
	}
	for _, name := range []string{"c1", "pw"} {
		if m.Layer(name).(*Conv2D).packed.pc != nil {
			t.Errorf("%s: the unfolded kernel was packed too", name)
		}
	}
	if m.Layer("sep").(*SeparableConv2D).packed.pc != nil {
		t.Error("sep: the unfolded pointwise kernel was packed too")
	}
}
