package nn

import "testing"

// checkFused sets m's weights from the spec fill, runs xin through the
// inference plan and layer by layer (which fuses nothing), and checks the
// outputs agree and that the named layers ran in the given modes.
func checkFused(t *testing.T, what string, m *Model, xin *Tensor, modes map[string]StepMode) {
	t.Helper()
	for _, l := range m.Layers() {
		for _, v := range l.Weights() {
			fan := 0
			if v.name == "kernel" || v.name == "depthwise_kernel" {
				fan = numElements(v.shape[:len(v.shape)-1])
			}
			v.Set(v.shape, specFill(l.Name(), v.name, v.shape, fan))
		}
	}
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
		t.Errorf("%s: fused output: relative error %.3g", what, e)
	}
	ran := map[string]StepMode{}
	for _, s := range m.StepStats() {
		ran[s.Layer] = s.Mode
	}
	for l, w := range modes {
		if ran[l] != w {
			t.Errorf("%s: %s: mode %q, want %q", what, l, ran[l], w)
		}
	}
}
