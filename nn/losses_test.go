package nn

import (
	"math"
	"testing"
)

func mustTensor(t *testing.T, data []float32, shape ...int) *Tensor {
	t.Helper()
	x, err := TensorOf(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestLosses checks each loss's value and gradient against formulas in float64.
func TestLosses(t *testing.T) {
	probs := []float32{0.7, 0.2, 0.1, 0.1, 0.3, 0.6}
	logits := []float32{2, 0.5, -1, 0, 1, 2}
	for _, tc := range []struct {
		name     string
		loss     Loss
		pred     []float32
		target   *Tensor
		wantLoss float64
		wantGrad []float64
	}{
		{"categorical", CategoricalCrossentropy{}, probs, mustTensor(t, []float32{1, 0, 0, 0, 0, 1}, 2, 3),
			-(math.Log(0.7) + math.Log(0.6)) / 2, []float64{-1/0.7/2 + 0.5, 0.5, 0.5, 0.5, 0.5, -1/0.6/2 + 0.5}},
		{"sparse categorical", SparseCategoricalCrossentropy{}, probs, mustTensor(t, []float32{0, 2}, 2),
			-(math.Log(0.7) + math.Log(0.6)) / 2, []float64{-1/0.7/2 + 0.5, 0.5, 0.5, 0.5, 0.5, -1/0.6/2 + 0.5}},
		{"binary", BinaryCrossentropy{}, []float32{0.8, 0.3}, mustTensor(t, []float32{1, 0}, 2, 1),
			-(math.Log(0.8) + math.Log(0.7)) / 2, []float64{(0.8 - 1) / (0.8 * 0.2) / 2, 0.3 / (0.3 * 0.7) / 2}},
		{"binary from logits", BinaryCrossentropy{FromLogits: true}, []float32{1.5, -0.5}, mustTensor(t, []float32{1, 0}, 2, 1),
			(math.Log1p(math.Exp(-1.5)) + math.Log1p(math.Exp(-0.5))) / 2, []float64{(1/(1+math.Exp(-1.5)) - 1) / 2, 1 / (1 + math.Exp(0.5)) / 2}},
		// Keras' label_smoothing 0.3 of 3 classes: targets 0.8 and 0.1.
		{"categorical label smoothing", CategoricalCrossentropy{LabelSmoothing: 0.3}, probs, mustTensor(t, []float32{1, 0, 0, 0, 0, 1}, 2, 3),
			-(0.8*math.Log(0.7) + 0.1*math.Log(0.2) + 0.1*math.Log(0.1) + 0.1*math.Log(0.1) + 0.1*math.Log(0.3) + 0.8*math.Log(0.6)) / 2,
			[]float64{(1 - 0.8/0.7) / 2, (1 - 0.1/0.2) / 2, (1 - 0.1/0.1) / 2, (1 - 0.1/0.1) / 2, (1 - 0.1/0.3) / 2, (1 - 0.8/0.6) / 2}},
		// Binary smoothing 0.2: targets 0.9 and 0.1.
		{"binary label smoothing", BinaryCrossentropy{LabelSmoothing: 0.2}, []float32{0.8, 0.3}, mustTensor(t, []float32{1, 0}, 2, 1),
			-(0.9*math.Log(0.8) + 0.1*math.Log(0.2) + 0.1*math.Log(0.3) + 0.9*math.Log(0.7)) / 2,
			[]float64{(0.8 - 0.9) / (0.8 * 0.2) / 2, (0.3 - 0.1) / (0.3 * 0.7) / 2}},
		{"mean squared error", MeanSquaredError{}, []float32{1, 2, 3, 4}, mustTensor(t, []float32{0, 2, 5, 4}, 2, 2),
			(1 + 0 + 4 + 0) / 4.0, []float64{2 * 1 / 4.0, 0, 2 * -2 / 4.0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pred := mustTensor(t, tc.pred, tc.target.Batch(), len(tc.pred)/tc.target.Batch())
			grad := make([]float32, len(tc.pred))
			loss, err := tc.loss.Compute(pred, tc.target, grad)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(loss-tc.wantLoss) > 1e-6 {
				t.Errorf("loss %v, want %v", loss, tc.wantLoss)
			}
			for i, g := range tc.wantGrad {
				if math.Abs(float64(grad[i])-g) > 1e-6 {
					t.Errorf("grad[%d] = %v, want %v", i, grad[i], g)
				}
			}
		})
	}
	// From logits equals softmax then the probability loss, for both label kinds.
	for _, l := range []Loss{CategoricalCrossentropy{FromLogits: true}, SparseCategoricalCrossentropy{FromLogits: true}} {
		target := mustTensor(t, []float32{1, 0, 0, 0, 0, 1}, 2, 3)
		if _, ok := l.(SparseCategoricalCrossentropy); ok {
			target = mustTensor(t, []float32{0, 2}, 2, 1)
		}
		sm := make([]float32, 6)
		copy(sm, logits)
		actSoftmax.apply(sm, 3)
		g := make([]float32, 6)
		a, _ := l.Compute(mustTensor(t, logits, 2, 3), target, g)
		b := -(math.Log(float64(sm[0])) + math.Log(float64(sm[5]))) / 2
		if math.Abs(a-b) > 1e-6 {
			t.Errorf("%s from logits: %v, want %v", l.Name(), a, b)
		}
	}
	if _, err := (SparseCategoricalCrossentropy{}).Compute(mustTensor(t, probs, 2, 3), mustTensor(t, []float32{0, 3}, 2), make([]float32, 6)); err == nil {
		t.Error("no error for label 3 of 3 classes")
	}
}

func TestMetrics(t *testing.T) {
	pred := mustTensor(t, []float32{0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.3, 0.3, 0.4}, 3, 3)
	onehot := mustTensor(t, []float32{0, 1, 0, 0, 0, 1, 0, 0, 1}, 3, 3)
	sparse := mustTensor(t, []float32{1, 2, 2}, 3)
	for _, tc := range []struct {
		m      Metric
		target *Tensor
		want   float64
	}{
		{NewAccuracy(), onehot, 2.0 / 3},
		{NewAccuracy(), sparse, 2.0 / 3},
		{NewTopKAccuracy(2), onehot, 2.0 / 3},
		{NewTopKAccuracy(3), sparse, 1},
		{NewTopKAccuracy(1), sparse, 2.0 / 3},
	} {
		if err := tc.m.Update(pred, tc.target); err != nil {
			t.Fatal(err)
		}
		if got := tc.m.Result(); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", tc.m.Name(), got, tc.want)
		}
		tc.m.Reset()
		if tc.m.Result() != 0 {
			t.Errorf("%s: not reset", tc.m.Name())
		}
	}
	bin := NewAccuracy()
	bin.Update(mustTensor(t, []float32{0.9, 0.2, 0.6}, 3, 1), mustTensor(t, []float32{1, 0, 0}, 3, 1))
	if bin.Result() != 2.0/3 {
		t.Errorf("binary accuracy %v", bin.Result())
	}
}

// TestSampleWeights checks Keras' weighted reduction sum(w_i * loss_i) / N
// and that weight 1 everywhere changes nothing.
func TestSampleWeights(t *testing.T) {
	pred := mustTensor(t, []float32{0.7, 0.2, 0.1, 0.1, 0.3, 0.6}, 2, 3)
	target := mustTensor(t, []float32{1, 0, 0, 0, 0, 1}, 2, 3)
	loss := CategoricalCrossentropy{}
	plain := make([]float32, 6)
	want, _ := loss.Compute(pred, target, plain)
	ones := make([]float32, 6)
	got, err := sampleWeightedLoss(loss.Compute, pred, target, []float32{1, 1}, ones)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-9 || relErr(ones, plain) > 1e-6 {
		t.Errorf("unit weights: %v %v, want %v %v", got, ones, want, plain)
	}
	g := make([]float32, 6)
	got, _ = sampleWeightedLoss(loss.Compute, pred, target, []float32{2, 0}, g)
	if w := 2 * -math.Log(0.7) / 2; math.Abs(got-w) > 1e-6 {
		t.Errorf("weighted loss %v, want %v", got, w)
	}
	for i := 3; i < 6; i++ {
		if g[i] != 0 {
			t.Errorf("grad of a zero-weight sample: %v", g[3:])
		}
	}
	if relErr(g[:3], []float32{2 * plain[0], 2 * plain[1], 2 * plain[2]}) > 1e-6 {
		t.Errorf("weighted grad %v, want twice %v", g[:3], plain[:3])
	}
}
