package nn

import (
	"slices"
	"testing"
)

// Backprop through the Keras 3 applications' layers inside a plan: the
// per-channel Rescaling, Normalization, swish in a convolution (EfficientNet's
// se_reduce) and as a layer, hard_swish, both hard_sigmoids and the
// broadcasting Multiply of squeeze-and-excitation.
func TestFiniteDifferencesKeras3(t *testing.T) {
	sc := NewKeras3NameScope()
	in := Input([]int{4, 4, 3}, WithScope(sc))
	x := NewRescaling([]float64{0.5, 2, -1}, []float64{0.1}, WithScope(sc)).Apply(in)
	x = NewNormalization([]float64{0.1, -0.2, 0.3}, []float64{2, 0.5, 1.5}, WithScope(sc)).Apply(x)
	x = NewConv2D(4, 3, 3, WithPadding("same"), WithScope(sc)).Apply(x)
	x = NewActivation("hard_silu", WithScope(sc)).Apply(x)
	se := NewGlobalAveragePooling2D(WithKeepDims(true), WithScope(sc)).Apply(x)
	se = NewConv2D(2, 1, 1, WithActivation("silu"), WithScope(sc)).Apply(se)
	se = NewConv2D(4, 1, 1, WithActivation("hard_sigmoid_keras3"), WithScope(sc)).Apply(se)
	y := NewMultiply(WithScope(sc)).Apply(x, se)
	y = NewActivation("swish", WithScope(sc)).Apply(y)
	y = NewDense(3, WithActivation("hard_sigmoid"), WithScope(sc)).Apply(NewFlatten(WithScope(sc)).Apply(y))
	m, err := NewModel([]*Node{in}, []*Node{y})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.flatLayers() {
		for _, v := range l.Weights() {
			if v.name == "bias" {
				v.Set(v.shape, specFill(l.Name(), v.name, v.shape, 1))
			}
		}
	}
	checkFiniteDifferences(t, m, 2)
	want := []string{"input_layer", "rescaling", "normalization", "conv2d", "activation", "global_average_pooling2d",
		"conv2d_1", "conv2d_2", "multiply", "activation_1", "flatten", "dense"}
	var got []string
	for _, l := range m.Layers() {
		got = append(got, l.Name())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Keras 3 auto names %v, want %v", got, want)
	}
}

// Dropout's noise_shape (None, 1, 1, 1) drops whole samples in training and
// is the identity otherwise; its config round-trips.
func TestDropoutNoiseShape(t *testing.T) {
	l := NewDropoutNoise(0.5, []int{-1, 1, 1, 1}, WithSeed(3))
	x := NewTensor(8, 2, 2, 3)
	for i := range x.Data {
		x.Data[i] = 1
	}
	r := runLayer(t, l, []*Tensor{x}, nil, nil, true, false)
	per := 12
	dropped := 0
	for n := 0; n < 8; n++ {
		v := r.y.Data[n*per]
		if v != 0 && v != 2 {
			t.Fatalf("sample %d: value %v, want 0 or 2", n, v)
		}
		if v == 0 {
			dropped++
		}
		for _, w := range r.y.Data[n*per : (n+1)*per] {
			if w != v {
				t.Fatalf("sample %d: mask not shared over H, W, C: %v", n, r.y.Data[n*per:(n+1)*per])
			}
		}
	}
	if dropped == 0 || dropped == 8 {
		t.Errorf("%d of 8 samples dropped", dropped)
	}
	r = runLayer(t, l, []*Tensor{x}, nil, nil, false, false)
	for _, v := range r.y.Data {
		if v != 1 {
			t.Fatalf("inference: %v, want the identity", v)
		}
	}
	cfg := l.Config()
	ns, ok := cfg["noise_shape"].([]any)
	if !ok || len(ns) != 4 || ns[0] != nil || ns[1] != 1 {
		t.Fatalf("noise_shape config %v", cfg["noise_shape"])
	}
	back, err := LayerFromConfig("Dropout", Config{"name": "d", "rate": 0.5, "noise_shape": []any{nil, 1.0, 1.0, 1.0}})
	if err != nil {
		t.Fatal(err)
	}
	if got := back.(*Dropout).NoiseShape(); len(got) != 4 || got[0] != -1 || got[3] != 1 {
		t.Fatalf("noise shape from config %v", got)
	}
}

// The Keras 3 configs of the new layers are read back.
func TestKeras3LayerConfigs(t *testing.T) {
	r, err := LayerFromConfig("Rescaling", Config{"name": "rescaling_1", "scale": []any{2.0, 3.0, 4.0}, "offset": 0.0})
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Config()["scale"].([]any); len(s) != 3 || s[1] != 3.0 {
		t.Fatalf("scale %v", r.Config()["scale"])
	}
	n, err := LayerFromConfig("Normalization", Config{"name": "normalization", "axis": []any{3.0}, "invert": false,
		"mean": []any{0.485, 0.456, 0.406}, "variance": []any{0.052441, 0.050176, 0.050625}})
	if err != nil {
		t.Fatal(err)
	}
	out := n.Apply(Input([]int{2, 2, 3}, WithScope(NewNameScope())))
	if out.Err() != nil || len(n.Weights()) != 0 {
		t.Fatalf("constant Normalization: %v, weights %v", out.Err(), n.Weights())
	}
	w, err := LayerFromConfig("Normalization", Config{"name": "normalization", "axis": -1.0, "mean": nil, "variance": nil})
	if err != nil {
		t.Fatal(err)
	}
	w.Apply(Input([]int{2, 2, 3}, WithScope(NewNameScope())))
	var names []string
	for _, v := range w.Weights() {
		names = append(names, v.Name())
	}
	if len(names) != 3 || names[0] != "mean" || names[1] != "variance" || names[2] != "count" || len(w.Weights()[2].Shape()) != 0 {
		t.Fatalf("weights %v", names)
	}
	for _, a := range []string{"silu", "swish", "hard_silu", "hard_swish", "hard_sigmoid", "hard_sigmoid_keras3"} {
		if _, err := LayerFromConfig("Activation", Config{"name": "a", "activation": a}); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
}

// The two hard_sigmoids: Keras 2's clip(0.2x + 0.5, 0, 1) and Keras 3's
// relu6(x + 3) / 6.
func TestHardSigmoids(t *testing.T) {
	x := []float32{-4, -2, 0, 1, 2.4, 4}
	k2 := append([]float32(nil), x...)
	actHardSigmoid.apply(k2, 1)
	k3 := append([]float32(nil), x...)
	actHardSigmoid3.apply(k3, 1)
	want2 := []float32{0, 0.1, 0.5, 0.7, 0.98, 1}
	want3 := []float32{0, 1.0 / 6, 0.5, 4.0 / 6, 5.4 / 6, 1}
	for i := range x {
		if d := k2[i] - want2[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("Keras 2 hard_sigmoid(%v) = %v, want %v", x[i], k2[i], want2[i])
		}
		if d := k3[i] - want3[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("Keras 3 hard_sigmoid(%v) = %v, want %v", x[i], k3[i], want3[i])
		}
	}
}

// Multiply broadcasts in general: along any axis, either input, three inputs.
func TestFiniteDifferencesMultiplyBroadcast(t *testing.T) {
	sc := NewNameScope()
	a := Input([]int{3, 4, 2}, WithScope(sc))
	b := Input([]int{3, 1, 2}, WithScope(sc))
	c := Input([]int{1, 4, 1}, WithScope(sc))
	y := NewMultiply(WithScope(sc)).Apply(b, a, c)
	m, err := NewModel([]*Node{a, b, c}, []*Node{y})
	if err != nil {
		t.Fatal(err)
	}
	if got := y.Shape(); !slices.Equal(got, []int{3, 4, 2}) {
		t.Fatalf("shape %v", got)
	}
	checkFiniteDifferences(t, m, 2)
	if out := NewMultiply(WithScope(sc)).Apply(a, Input([]int{2, 4, 2}, WithScope(sc))); out.Err() == nil {
		t.Error("shapes (3, 4, 2) and (2, 4, 2) broadcast")
	}
}
