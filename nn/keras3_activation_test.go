package nn

import (
	"encoding/json"
	"testing"
)

// Keras 3 configs name relu6(x + 3) / 6 "hard_sigmoid"; Keras 2 configs
// mean clip(0.2x + 0.5) by it. A model of both forms saved as Keras 3 JSON
// and read back computes the same.
func TestKeras3HardSigmoidNames(t *testing.T) {
	for _, tc := range []struct {
		module, name string
		want         activation
	}{
		{"", "hard_sigmoid", actHardSigmoid},
		{"keras.layers", "hard_sigmoid", actHardSigmoid3},
		{"keras.layers", keras2HardSigmoid, actHardSigmoid},
		{"keras.layers", "relu", actReLU},
	} {
		s := layerSpec{Module: tc.module, Config: Config{"activation": tc.name, "recurrent_activation": tc.name}}
		got := s.keras3Activations()
		if got["activation"] != string(tc.want) || got["recurrent_activation"] != string(tc.want) {
			t.Errorf("module %q, %q: got %v, want %q", tc.module, tc.name, got, tc.want)
		}
		if tc.module != "" && s.Config["activation"] != tc.name {
			t.Errorf("the spec's own config changed: %v", s.Config)
		}
	}
	for _, act := range []string{"hard_sigmoid", "hard_sigmoid_keras3"} {
		x := Input([]int{3})
		y := NewDense(2, WithActivation(ActivationName(act))).Apply(x)
		m, err := NewModel([]*Node{x}, []*Node{y})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := m.Keras3JSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ModelFromJSON(raw)
		if err != nil {
			t.Fatalf("%s: %v\n%s", act, err, raw)
		}
		for i, v := range m.Weights() {
			data := make([]float32, len(v.data))
			for j := range data {
				data[j] = float32(j%3-1) / 8
			}
			if err := v.Set(v.Shape(), data); err != nil {
				t.Fatal(err)
			}
			if err := back.Weights()[i].Set(v.Shape(), data); err != nil {
				t.Fatal(err)
			}
		}
		in := NewTensor(1, 3)
		copy(in.Data, []float32{-4, 0.5, 3})
		a, _ := m.Run(in)
		b, _ := back.Run(in)
		ja, _ := json.Marshal(a[0].Data)
		jb, _ := json.Marshal(b[0].Data)
		if a[0].Data[0] == 0 || a[0].Data[0] == 1 {
			t.Fatalf("%s: %v saturates: the test tells nothing", act, a[0].Data)
		}
		if string(ja) != string(jb) {
			t.Errorf("%s: %s, read back %s", act, ja, jb)
		}
	}
}
