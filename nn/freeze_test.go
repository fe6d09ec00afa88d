package nn

import (
	"slices"
	"testing"

	"github.com/keelml/keel/internal/splitmix"
)

// smallCNN is conv1-bn1-relu-conv2-bn2-relu-gap-dense(3, softmax).
func smallCNN(t *testing.T) *Model {
	t.Helper()
	sc := NewNameScope()
	in := Input([]int{8, 8, 3}, WithScope(sc))
	x := NewConv2D(4, 3, 3, WithPadding("same"), WithUseBias(false), WithName("conv1")).Apply(in)
	x = NewBatchNormalization(WithName("bn1")).Apply(x)
	x = NewReLU(WithName("relu1")).Apply(x)
	x = NewConv2D(6, 3, 3, WithStrides(2), WithPadding("same"), WithName("conv2")).Apply(x)
	x = NewBatchNormalization(WithName("bn2")).Apply(x)
	x = NewActivation("relu", WithName("relu2")).Apply(x)
	x = NewGlobalAveragePooling2D(WithName("gap")).Apply(x)
	x = NewDense(3, WithActivation("softmax"), WithName("head")).Apply(x)
	return specModel(t, in, x)
}

func trainBatch(n int) (*Tensor, *Tensor) {
	x := NewTensor(n, 8, 8, 3)
	r := splitmix.FromString("x")
	for i := range x.Data {
		x.Data[i] = float32(2*r.U() - 1)
	}
	y := NewTensor(n, 3)
	for i := 0; i < n; i++ {
		y.Data[i*3+i%3] = 1
	}
	return x, y
}

func statsByLayer(m *Model) map[string]LayerStats {
	out := map[string]LayerStats{}
	for _, s := range m.StepStats() {
		out[s.Layer] = s
	}
	return out
}

// TestFreezingSkipsWork counts the kernel calls of a training step: below
// the lowest trainable layer no backward kernel runs and no activation is
// kept; frozen layers compute no weight gradient; frozen BatchNormalization
// runs in inference mode (here folded into its convolution).
func TestFreezingSkipsWork(t *testing.T) {
	type want struct {
		backwardCalls int  // backward kernel invocations
		weightGrads   bool // computes weight gradients
		kept          bool // keeps activations for backward
		mode          StepMode
	}
	for _, tc := range []struct {
		name   string
		freeze func(m *Model) error
		want   map[string]want
	}{
		{"all trainable", func(m *Model) error { return nil }, map[string]want{
			"conv1": {1, true, true, "backward"}, // no input gradient: the model input needs none
			"bn1":   {1, true, true, "backward"},
			"relu1": {1, false, true, "backward"},
			"conv2": {2, true, true, "backward"},
			"bn2":   {1, true, true, "backward"},
			"relu2": {1, false, true, "backward"},
			"gap":   {1, false, false, "backward"}, // its backward reads no value
			"head":  {3, true, true, "backward"},
		}},
		{"backbone frozen", func(m *Model) error { return m.FreezeUntil("relu2") }, map[string]want{
			"conv1": {0, false, false, "inference"},
			"bn1":   {0, false, false, "folded"},
			"relu1": {0, false, false, "fused"},
			"conv2": {0, false, false, "inference"},
			"bn2":   {0, false, false, "folded"},
			"relu2": {0, false, false, "fused"},
			"gap":   {0, false, false, "inference"}, // no weights and nothing trainable below
			"head":  {2, true, true, "backward"},    // weights and bias: no input gradient
		}},
		{"fine-tune from conv2", func(m *Model) error { return m.UnfreezeFrom("conv2") }, map[string]want{
			"conv1": {0, false, false, "inference"},
			"bn1":   {0, false, false, "folded"},
			"relu1": {0, false, false, "fused"},
			"conv2": {1, true, true, "backward"}, // weights only
			"bn2":   {1, true, true, "backward"},
			"relu2": {1, false, true, "backward"},
			"gap":   {1, false, false, "backward"},
			"head":  {3, true, true, "backward"},
		}},
		{"frozen layer between trainable ones", func(m *Model) error {
			m.Layer("conv2").SetTrainable(false)
			m.Layer("bn2").SetTrainable(false)
			return nil
		}, map[string]want{
			"conv1": {1, true, true, "backward"},
			"bn1":   {1, true, true, "backward"},
			"relu1": {1, false, true, "backward"},
			"conv2": {1, false, false, "backward"}, // input gradient only: needs no value
			"bn2":   {1, false, false, "backward"}, // inference mode: a constant scale
			"relu2": {1, false, true, "backward"},
			"gap":   {1, false, false, "backward"},
			"head":  {3, true, true, "backward"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := smallCNN(t)
			if err := tc.freeze(m); err != nil {
				t.Fatal(err)
			}
			bn1 := m.Layer("bn1").(*BatchNormalization)
			mean0 := slices.Clone(bn1.mean.data)
			m.Compile(NewSGD(SGDConfig{}), CategoricalCrossentropy{})
			x, y := trainBatch(4)
			for range 2 { // the second step runs on the cached plan
				if _, err := m.TrainStep(x, y); err != nil {
					t.Fatal(err)
				}
			}
			stats := statsByLayer(m)
			for layer, w := range tc.want {
				s := stats[layer]
				if s.BackwardCalls != w.backwardCalls || s.WeightGrads != w.weightGrads || (s.KeptValues > 0) != w.kept || s.Mode != w.mode {
					t.Errorf("%s: %d backward calls, weight grads %v, kept %d, mode %s; want %+v",
						layer, s.BackwardCalls, s.WeightGrads, s.KeptValues, s.Mode, w)
				}
			}
			// A frozen BatchNormalization keeps its moving statistics.
			if changed := !slices.Equal(mean0, bn1.mean.data); changed != bn1.Trainable() {
				t.Errorf("bn1 trainable %v, moving mean changed %v", bn1.Trainable(), changed)
			}
		})
	}
}

// TestFrozenBackboneFLOPs compares the backward work of a step with the
// backbone trainable and frozen.
func TestFrozenBackboneFLOPs(t *testing.T) {
	sum := func(m *Model) (fwd, bwd float64, kept int) {
		for _, s := range m.StepStats() {
			fwd += s.ForwardFLOPs
			bwd += s.BackwardFLOPs
			kept += s.KeptValues
		}
		return
	}
	x, y := trainBatch(4)
	full := smallCNN(t)
	full.Compile(NewSGD(SGDConfig{}), CategoricalCrossentropy{})
	if _, err := full.TrainStep(x, y); err != nil {
		t.Fatal(err)
	}
	frozen := smallCNN(t)
	frozen.FreezeUntil("relu2")
	frozen.Compile(NewSGD(SGDConfig{}), CategoricalCrossentropy{})
	if _, err := frozen.TrainStep(x, y); err != nil {
		t.Fatal(err)
	}
	ff, fb, fk := sum(full)
	zf, zb, zk := sum(frozen)
	t.Logf("trainable backbone: forward %.0f FLOPs, backward %.0f FLOPs, %d values kept", ff, fb, fk)
	t.Logf("frozen backbone:    forward %.0f FLOPs, backward %.0f FLOPs, %d values kept", zf, zb, zk)
	head := 2.0 * 4 * 6 * 3 // the head's dW GEMM
	if zb != head || zf != ff {
		t.Errorf("frozen backward FLOPs %.0f (want only the head's %.0f), forward %.0f (want %.0f)", zb, head, zf, ff)
	}
	if zk != 4*6+4*3 {
		t.Errorf("frozen step kept %d values, want only the head's input and output (%d)", zk, 4*6+4*3)
	}
}

// TestFrozenBackboneReusesBuffers checks that the frozen part of a training
// step runs as inference does: its values share a few buffers instead of
// one each.
func TestFrozenBackboneReusesBuffers(t *testing.T) {
	buffers := convChainBuffers(t, func(s *slot) *Tensor { return s.val }, WithTrainable(false))
	// Two alternate along the chain; the last conv's output is kept for the
	// head's backward.
	if len(buffers) > 3 {
		t.Errorf("8 frozen convolutions wrote %d distinct buffers", len(buffers))
	}
}

// TestGradientBuffersAreReused checks that the gradients of a trainable
// chain share a few buffers: each is dead once its producer's backward ran.
func TestGradientBuffersAreReused(t *testing.T) {
	buffers := convChainBuffers(t, func(s *slot) *Tensor { return s.grad })
	if len(buffers) > 2 {
		t.Errorf("8 convolutions' gradients use %d distinct buffers", len(buffers))
	}
}

// convChainBuffers runs one SGD training step of eight 3x3 ReLU convolutions
// (with the options more as well), global pooling and a softmax Dense, on a
// batch of 2, and returns the distinct buffers that tensor picks from the
// convolutions' output slots.
func convChainBuffers(t *testing.T, tensor func(*slot) *Tensor, more ...Option) map[*float32]bool {
	t.Helper()
	sc := NewNameScope()
	in := Input([]int{8, 8, 4}, WithScope(sc))
	opts := append([]Option{WithPadding("same"), WithActivation("relu"), WithScope(sc)}, more...)
	x := in
	for range 8 {
		x = NewConv2D(4, 3, 3, opts...).Apply(x)
	}
	x = NewDense(2, WithActivation("softmax"), WithScope(sc)).Apply(NewGlobalAveragePooling2D(WithScope(sc)).Apply(x))
	m, err := NewModel([]*Node{in}, []*Node{x})
	if err != nil {
		t.Fatal(err)
	}
	m.Compile(NewSGD(SGDConfig{}), CategoricalCrossentropy{})
	xb := randomTensor("x", 1, 2, 8, 8, 4)
	y, _ := TensorOf([]float32{1, 0, 0, 1}, 2, 2)
	if _, err := m.TrainStep(xb, y); err != nil {
		t.Fatal(err)
	}
	p := m.plans[planKey{training: true, batch: 2}]
	buffers := map[*float32]bool{}
	for _, s := range p.steps {
		if _, ok := s.layer.(*Conv2D); ok {
			buffers[&tensor(p.slots[s.out]).Data[0]] = true
		}
	}
	return buffers
}

// TestApplyInference follows the fine-tuning guide: the backbone is
// trainable but applied with training=False, so its BatchNormalization keeps
// its moving statistics while gamma and beta still learn.
func TestApplyInference(t *testing.T) {
	sc := NewNameScope()
	bin := Input([]int{6, 6, 2}, WithScope(sc))
	x := NewConv2D(3, 3, 3, WithPadding("same"), WithName("bconv")).Apply(bin)
	x = NewBatchNormalization(WithName("bbn")).Apply(x)
	x = NewActivation("tanh", WithName("bact")).Apply(x)
	base, err := NewModel([]*Node{bin}, []*Node{x}, WithName("base"))
	if err != nil {
		t.Fatal(err)
	}
	in := Input([]int{6, 6, 2}, WithScope(sc))
	y := NewDense(2, WithActivation("softmax"), WithName("top")).Apply(NewFlatten(WithScope(sc)).Apply(base.ApplyInference(in)))
	m, err := NewModel([]*Node{in}, []*Node{y})
	if err != nil {
		t.Fatal(err)
	}
	bn := base.Layer("bbn").(*BatchNormalization)
	bn.SetWeight("moving_mean", []int{3}, []float32{0.1, -0.2, 0.3})
	checkFiniteDifferences(t, m, 2) // inference-mode BatchNormalization, differentiated

	raw, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ModelFromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, mm := range []*Model{m, back} {
		bn := mm.Layer("bbn").(*BatchNormalization)
		bn.SetWeight("moving_mean", []int{3}, []float32{0.1, -0.2, 0.3})
		mm.Compile(NewSGD(SGDConfig{}), CategoricalCrossentropy{})
		xb := randomTensor("x", 1, 2, 6, 6, 2)
		yb, _ := TensorOf([]float32{1, 0, 0, 1}, 2, 2)
		gamma := slices.Clone(bn.gamma.data)
		if _, err := mm.TrainStep(xb, yb); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(bn.mean.data, []float32{0.1, -0.2, 0.3}) {
			t.Errorf("%s: moving mean changed to %v", mm.Name(), bn.mean.data)
		}
		if slices.Equal(bn.gamma.data, gamma) {
			t.Errorf("%s: gamma did not learn", mm.Name())
		}
	}
}
