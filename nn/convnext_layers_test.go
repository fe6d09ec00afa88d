package nn

import (
	"encoding/json"
	"slices"
	"testing"
)

// Backprop through ConvNeXt's layers: grouped convolutions (depthwise form
// with a multiplier, and the general group-by-group form), LayerNormalization,
// Dense on a 4-D input, both gelus, LayerScale, StochasticDepth and a named
// nested Sequential in a residual.
func TestFiniteDifferencesConvNeXtLayers(t *testing.T) {
	sc := NewKeras3NameScope()
	in := Input([]int{5, 5, 4}, WithName(sc.Next("InputLayer")))
	stem, err := NewSequential([]int{5, 5, 4}, []Layer{
		NewGroupedConv2D(8, 4, 3, 3, WithPadding("same"), WithScope(sc)), // depthwise, multiplier 2
		NewLayerNormalization(WithEpsilon(1e-6), WithScope(sc)),
	}, WithName("stem"), WithScope(sc))
	if err != nil {
		t.Fatal(err)
	}
	x := stem.Apply(in)
	y := NewGroupedConv2D(8, 2, 3, 3, WithPadding("same"), WithStrides(1), WithScope(sc)).Apply(x) // two groups of 4
	y = NewLayerNormalization(WithAxis(3), WithEpsilon(1e-6), WithScope(sc)).Apply(y)
	y = NewDense(12, WithScope(sc)).Apply(y)
	y = NewActivation("gelu", WithScope(sc)).Apply(y)
	y = NewDense(8, WithScope(sc)).Apply(y)
	y = NewActivation("gelu_approximate", WithScope(sc)).Apply(y)
	y = NewLayerScale(0.5, 8, WithScope(sc)).Apply(y)
	y = NewStochasticDepth(0, WithScope(sc)).Apply(y)
	out := NewAdd(WithScope(sc)).Apply(x, y)
	out = NewGroupedConv2D(6, 2, 2, 2, WithStrides(2), WithActivation("tanh"), WithScope(sc)).Apply(out)
	m, err := NewModel([]*Node{in}, []*Node{out})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.flatLayers() {
		for _, v := range l.Weights() {
			if v.name != "kernel" {
				v.Set(v.shape, specFill(l.Name(), v.name, v.shape, 1))
			}
		}
	}
	checkFiniteDifferences(t, m, 2)

	var names []string
	for _, l := range m.Layers() {
		names = append(names, l.Name())
	}
	want := []string{"input_layer", "stem", "conv2d_1", "layer_normalization_1", "dense", "activation", "dense_1",
		"activation_1", "layer_scale", "stochastic_depth", "add", "conv2d_2"}
	if !slices.Equal(names, want) {
		t.Errorf("Keras 3 names %v, want %v", names, want)
	}
	var stemWeights []string
	for _, v := range stem.Weights() {
		stemWeights = append(stemWeights, v.Path())
	}
	if w := []string{"conv2d/kernel", "conv2d/bias", "layer_normalization/gamma", "layer_normalization/beta"}; !slices.Equal(stemWeights, w) {
		t.Errorf("stem weights %v, want %v", stemWeights, w)
	}
}

// The new layers round-trip through their Keras configs, groups included.
func TestConvNeXtLayersFromConfig(t *testing.T) {
	sc := NewKeras3NameScope()
	in := Input([]int{8, 8, 4}, WithScope(sc))
	x := NewGroupedConv2D(4, 4, 7, 7, WithPadding("same"), WithName("dw"), WithScope(sc)).Apply(in)
	x = NewLayerNormalization(WithEpsilon(1e-6), WithScope(sc)).Apply(x)
	x = NewLayerScale(1e-6, 4, WithScope(sc)).Apply(x)
	x = NewStochasticDepth(0.1, WithScope(sc)).Apply(x)
	x = NewActivation("gelu", WithScope(sc)).Apply(x)
	m, err := NewModel([]*Node{in}, []*Node{x}, WithName("m"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ModelFromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	dw := back.Layer("dw").(*Conv2D)
	if dw.Groups() != 4 || !slices.Equal(dw.Weight("kernel").Shape(), []int{7, 7, 1, 4}) {
		t.Errorf("groups %d, kernel %v", dw.Groups(), dw.Weight("kernel").Shape())
	}
	raw2, _ := json.Marshal(back)
	if string(raw) != string(raw2) {
		t.Errorf("config changed on the round trip:\n%s\n%s", raw, raw2)
	}
}

// StochasticDepth in a training step drops whole samples with the rate and
// scales the kept ones by 1/(1-rate); backward applies the same mask; at
// inference it is the identity.
func TestStochasticDepthTraining(t *testing.T) {
	l := NewStochasticDepth(0.5, WithName("sd"))
	x := randomTensor("sd-x", 1, 16, 2, 2, 3)
	dy := randomTensor("sd-dy", 1, 16, 2, 2, 3)
	r := runLayer(t, l, []*Tensor{x}, nil, dy, true, false)
	kept := 0
	for s := 0; s < 16; s++ {
		scale := float32(0)
		if r.y.Data[s*12] != 0 {
			scale, kept = 2, kept+1
		}
		for i := s * 12; i < (s+1)*12; i++ {
			if r.y.Data[i] != x.Data[i]*scale || r.dx[0].Data[i] != dy.Data[i]*scale {
				t.Fatalf("sample %d value %d: y %v dx %v for x %v dy %v, scale %v", s, i, r.y.Data[i], r.dx[0].Data[i], x.Data[i], dy.Data[i], scale)
			}
		}
	}
	if kept == 0 || kept == 16 {
		t.Errorf("%d of 16 samples kept at rate 0.5", kept)
	}
	inf := runLayer(t, NewStochasticDepth(0.5), []*Tensor{x}, nil, nil, false, false)
	if !equalFloats(inf.y.Data, x.Data) {
		t.Error("not the identity at inference")
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
