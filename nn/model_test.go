package nn

import (
	"github.com/keelml/keel/internal/race"
	"slices"
	"strings"
	"testing"
)

func TestSnakeCase(t *testing.T) {
	for class, want := range map[string]string{
		"Conv2D": "conv2d", "MaxPooling2D": "max_pooling2d", "GlobalAveragePooling2D": "global_average_pooling2d",
		"ReLU": "re_lu", "BatchNormalization": "batch_normalization", "DepthwiseConv2D": "depthwise_conv2d",
		"ZeroPadding2D": "zero_padding2d", "Activation": "activation", "Add": "add", "Dense": "dense",
	} {
		if got := snakeCase(class); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", class, got, want)
		}
	}
}

// TestAutoNames checks Keras 2.3.1's automatic names: per class, from 1,
// per scope.
func TestAutoNames(t *testing.T) {
	sc := NewNameScope()
	in := Input([]int{4, 4, 3}, WithScope(sc))
	a := NewActivation("relu", WithScope(sc))
	b := NewActivation("relu", WithScope(sc))
	p := NewMaxPooling2D(2, 2, WithScope(sc))
	g := NewGlobalAveragePooling2D(WithScope(sc))
	r := NewReLU(WithScope(sc))
	got := []string{in.Layer().Name(), a.Name(), b.Name(), p.Name(), g.Name(), r.Name()}
	want := []string{"input_1", "activation_1", "activation_2", "max_pooling2d_1", "global_average_pooling2d_1", "re_lu_1"}
	if !slices.Equal(got, want) {
		t.Errorf("names %v, want %v", got, want)
	}
	if n := NewActivation("relu", WithScope(NewNameScope())).Name(); n != "activation_1" {
		t.Errorf("a fresh scope starts again: got %q", n)
	}
}

// TestKerasLayerOrder builds resnet_common's projection block and checks
// model.layers against the order Keras lists.
func TestKerasLayerOrder(t *testing.T) {
	sc := NewNameScope()
	in := Input([]int{8, 8, 4}, WithScope(sc))
	name := "conv2_block1"
	conv := func(f, k int, suffix string) *Conv2D {
		return NewConv2D(f, k, k, WithPadding("same"), WithName(name+suffix))
	}
	bn := func(suffix string) *BatchNormalization {
		return NewBatchNormalization(WithEpsilon(1.001e-5), WithName(name+suffix))
	}
	short := bn("_0_bn").Apply(conv(16, 1, "_0_conv").Apply(in))
	x := NewActivation("relu", WithName(name+"_1_relu")).Apply(bn("_1_bn").Apply(conv(4, 1, "_1_conv").Apply(in)))
	x = NewActivation("relu", WithName(name+"_2_relu")).Apply(bn("_2_bn").Apply(conv(4, 3, "_2_conv").Apply(x)))
	x = bn("_3_bn").Apply(conv(16, 1, "_3_conv").Apply(x))
	x = NewAdd(WithName(name+"_add")).Apply(short, x)
	x = NewActivation("relu", WithName(name+"_out")).Apply(x)
	m, err := NewModel([]*Node{in}, []*Node{x})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range m.Layers() {
		got = append(got, strings.TrimPrefix(l.Name(), name))
	}
	want := []string{"input_1", "_1_conv", "_1_bn", "_1_relu", "_2_conv", "_2_bn", "_2_relu", "_0_conv", "_3_conv", "_0_bn", "_3_bn", "_add", "_out"}
	if !slices.Equal(got, want) {
		t.Errorf("layers %v\nwant   %v", got, want)
	}
}

// TestRequestedOutputsAreExact checks that inference folds BatchNormalization
// and ReLU into the convolution, never across a requested layer, and that
// folding changes the result only by rounding.
func TestRequestedOutputsAreExact(t *testing.T) {
	m := smallCNN(t)
	x, _ := trainBatch(3)
	// Reference: each layer run on its own, nothing folded.
	ref := map[string]*Tensor{}
	cur := x
	for _, l := range m.Layers()[1:] {
		r := runLayer(t, l.(kernelLayer), []*Tensor{cur}, nil, nil, false, false)
		ref[l.Name()] = r.y
		cur = r.y
	}
	outs, err := m.RunLayers([]string{"conv1", "relu1", "bn2", "head"}, x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(outs[0].Data, ref["conv1"].Data) {
		t.Error("conv1's requested output differs from the convolution alone")
	}
	for i, name := range []string{"relu1", "bn2", "head"} {
		if e := relErr(outs[i+1].Data, ref[name].Data); e > 1e-6 {
			t.Errorf("%s: relative error %.3g", name, e)
		}
	}
	modes := map[string]StepMode{}
	for _, s := range m.StepStats() {
		modes[s.Layer] = s.Mode
	}
	// conv1 is requested: bn1 cannot fold into it. bn2 is requested: it
	// takes conv2 in, but relu2 cannot fuse into it.
	want := map[string]StepMode{"conv1": "inference", "bn1": "inference", "relu1": "fused", "conv2": "inference", "bn2": "folded", "relu2": "inference"}
	for l, w := range want {
		if modes[l] != w {
			t.Errorf("%s: mode %q, want %q", l, modes[l], w)
		}
	}
	full, err := m.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(full[0].Data, ref["head"].Data); e > 1e-6 {
		t.Errorf("folded model output: relative error %.3g", e)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func() *Node
		want  string
	}{
		{"option a layer does not take", func() *Node {
			return NewDense(3, WithStrides(2)).Apply(Input([]int{4}))
		}, "Dense does not take strides"},
		{"bad activation", func() *Node {
			return NewDense(3, WithActivation("mish")).Apply(Input([]int{4}))
		}, `unknown activation "mish"`},
		{"window too large", func() *Node {
			return NewConv2D(3, 5, 5).Apply(Input([]int{3, 3, 1}))
		}, "does not fit"},
		{"merge shapes", func() *Node {
			return NewAdd().Apply(Input([]int{3}), Input([]int{4}))
		}, "different shapes"},
		{"error travels down the graph", func() *Node {
			x := NewConv2D(3, 5, 5, WithName("too_big")).Apply(Input([]int{3, 3, 1}))
			return NewDense(2).Apply(NewFlatten().Apply(x))
		}, `"too_big"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.build()
			_, err := NewModel([]*Node{Input([]int{1})}, []*Node{out})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSetWeightChecksShapes(t *testing.T) {
	in := Input([]int{4, 4, 3})
	conv := NewConv2D(8, 3, 3, WithName("c"))
	conv.Apply(in)
	if err := conv.SetWeight("kernel", []int{3, 3, 3, 8}, make([]float32, 216)); err != nil {
		t.Error(err)
	}
	if err := conv.SetWeight("kernel", []int{3, 3, 8, 3}, make([]float32, 216)); err == nil || !strings.Contains(err.Error(), "c/kernel") {
		t.Errorf("transposed shape: error %v", err)
	}
	if err := conv.SetWeight("gamma", []int{8}, make([]float32, 8)); err == nil {
		t.Error("no error for a weight the layer lacks")
	}
	names := []string{}
	for _, v := range conv.Weights() {
		names = append(names, v.Path())
	}
	if !slices.Equal(names, []string{"c/kernel", "c/bias"}) {
		t.Errorf("weights %v", names)
	}
}

func TestNestedModelLayers(t *testing.T) {
	m, _ := cnn3(t, true)
	if m.Layer("bb_conv2") == nil {
		t.Error("Layer does not find a layer of the nested backbone")
	}
	if _, err := m.OutputsOf("bb_conv2"); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Errorf("OutputsOf a nested layer: %v", err)
	}
	var names []string
	for _, l := range m.Layers() {
		names = append(names, l.Name()+":"+l.ClassName())
	}
	want := []string{"input_2:InputLayer", "backbone:Model", "head_gap:GlobalAveragePooling2D", "head_dense1:Dense", "head_dense2:Dense"}
	if !slices.Equal(names, want) {
		t.Errorf("layers %v, want %v", names, want)
	}
	cfg := m.Config()
	if len(cfg["layers"].([]any)) != 5 {
		t.Errorf("config has %d layers", len(cfg["layers"].([]any)))
	}
}

// TestSteadyStateAllocations checks that a training step on a cached plan
// allocates next to nothing (buffers are reused).
func TestSteadyStateAllocations(t *testing.T) {
	if race.Enabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	m := smallCNN(t)
	m.Compile(NewAdam(AdamConfig{}), CategoricalCrossentropy{}, NewAccuracy())
	x, y := trainBatch(4)
	if _, err := m.TrainStep(x, y); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(5, func() { m.TrainStep(x, y) })
	t.Logf("%.0f allocations per training step", allocs)
	if allocs > 150 {
		t.Errorf("%.0f allocations per training step", allocs)
	}
}
