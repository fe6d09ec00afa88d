package nn

import (
	"testing"
)

// TestFuseNonlinear checks that inference applies swish, gelu, hard_swish
// and sigmoid layers inside the step before them (conv -> BN -> swish as
// EfficientNet has it, Dense -> gelu as ConvNeXt), with the same outputs as running every layer, and
// not where the value before the activation is read elsewhere.
func TestFuseNonlinear(t *testing.T) {
	sc := NewNameScope()
	in := Input([]int{9, 11, 5}, WithScope(sc))
	bn := func(name string) *BatchNormalization { return NewBatchNormalization(WithName(name)) }
	x := NewConv2D(16, 3, 3, WithUseBias(false), WithName("stem")).Apply(in)
	x = NewActivation("swish", WithName("stem_act")).Apply(bn("stem_bn").Apply(x))
	x = NewDepthwiseConv2D(3, 3, WithPadding(PaddingSame), WithUseBias(false), WithName("dw")).Apply(x)
	x = NewActivation("gelu", WithName("dw_act")).Apply(bn("dw_bn").Apply(x))
	y := NewConv2D(16, 1, 1, WithName("pw")).Apply(x)
	y = NewActivation("hard_swish", WithName("pw_act")).Apply(y)
	// Read twice: the activation cannot run inside pw2's step.
	z := NewConv2D(16, 1, 1, WithName("pw2")).Apply(y)
	za := NewActivation("sigmoid", WithName("pw2_act")).Apply(z)
	x = NewAdd(WithName("add")).Apply(za, z)
	x = NewDense(8, WithName("d1")).Apply(x)
	x = NewActivation("gelu_approximate", WithName("d1_act")).Apply(x)
	x = NewGlobalAveragePooling2D(WithName("gap")).Apply(x)
	m, err := NewModel([]*Node{in}, []*Node{x})
	if err != nil {
		t.Fatal(err)
	}
	checkFused(t, "nonlinear", m, foldInput(2, 9, 11, 5),
		map[string]StepMode{"stem_act": ModeFused, "dw_act": ModeFused, "pw_act": ModeFused, "pw2_act": "inference", "d1_act": ModeFused})
}
