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
	for _, l := range m.Layers() {
		for _, v := range l.Weights() {
			fan := 0
			if v.name == "kernel" {
				fan = numElements(v.shape[:len(v.shape)-1])
			}
			v.Set(v.shape, specFill(l.Name(), v.name, v.shape, fan))
		}
	}
	xin := foldInput(2, 5, 6, 32)
	var names []string
	for _, l := range m.Layers()[1:] {
		names = append(names, l.Name())
	}
	ref, err := m.RunLayers(names, xin)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Run(xin)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(got[0].Data, ref[len(ref)-1].Data); e > 1e-5 {
		t.Errorf("fused output: relative error %.3g", e)
	}
	modes := map[string]StepMode{}
	for _, s := range m.StepStats() {
		modes[s.Layer] = s.Mode
	}
	for l, w := range map[string]StepMode{"gelu": ModeFused, "ls": ModeFolded, "identity": ModeFused, "add": ModeFused} {
		if modes[l] != w {
			t.Errorf("%s: mode %q, want %q", l, modes[l], w)
		}
	}
}
