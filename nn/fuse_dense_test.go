package nn

import "testing"

// TestFuseDenseBlock checks ConvNeXt's block at inference: pwconv1 with its
// gelu, pwconv2 with the LayerScale folded in, the identity and the residual
// Add in its epilogue, give the outputs of running every layer.
func TestFuseDenseBlock(t *testing.T) {
	sc := NewNameScope()
	in := Input([]int{5, 6, 32}, WithScope(sc))
	x := NewLayerNormalization(WithName("ln")).Apply(in)
	x = NewDense(128, WithName("pw1")).Apply(x)
	x = NewActivation("gelu", WithName("gelu")).Apply(x)
	x = NewDense(32, WithName("pw2")).Apply(x)
	x = NewLayerScale(1e-6, 32, WithName("ls")).Apply(x)
	x = NewActivation("linear", WithName("identity")).Apply(x)
	x = NewAdd(WithName("add")).Apply(in, x)
	m, err := NewModel([]*Node{in}, []*Node{x})
	if err != nil {
		t.Fatal(err)
	}
	checkFused(t, "ConvNeXt block", m, foldInput(2, 5, 6, 32),
		map[string]StepMode{"gelu": ModeFused, "ls": ModeFolded, "identity": ModeFused, "add": ModeFused})
}
