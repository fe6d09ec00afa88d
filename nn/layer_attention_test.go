package nn

import (
	"math"
	"testing"
)

// Attention against its formula: softmax(q k^T) v, with the causal mask,
// the concat score and (dim) inputs attending across the batch.
func TestAttentionForward(t *testing.T) {
	sig := func(x float64) float32 { return float32(1 / (1 + math.Exp(-x))) }
	for _, tc := range []struct {
		name  string
		layer *Attention
		in    []*Tensor
		want  []float32
	}{
		{"dot", NewAttention(false, "dot", false, 0),
			[]*Tensor{tensorOf(t, []float32{1, 0}, 1, 1, 2), tensorOf(t, []float32{1, 0, 0, 1}, 1, 2, 2)},
			[]float32{sig(1), sig(-1)}},
		{"causal", NewAttention(false, "dot", true, 0),
			[]*Tensor{tensorOf(t, []float32{1, 0, 0, 1}, 1, 2, 2), tensorOf(t, []float32{1, 0, 0, 1}, 1, 2, 2)},
			[]float32{1, 0, sig(-1), sig(1)}},
		// scores tanh(0 + 1) + tanh(0) and 0; values 2 and 4; key apart.
		{"concat with key", NewAttention(false, "concat", false, 0),
			[]*Tensor{tensorOf(t, []float32{0, 0}, 1, 1, 2), tensorOf(t, []float32{2, 4}, 1, 2, 1), tensorOf(t, []float32{1, 0, 0, 0}, 1, 2, 2)},
			[]float32{2*sig(math.Tanh(1)) + 4*sig(-math.Tanh(1))}},
		// (dim) inputs: sample 0 (1, 0) and sample 1 (0, 1) attend to each other.
		{"batch as sequence", NewAttention(false, "dot", false, 0),
			[]*Tensor{tensorOf(t, []float32{1, 0, 0, 1}, 2, 2), tensorOf(t, []float32{1, 0, 0, 1}, 2, 2)},
			[]float32{sig(1), sig(-1), sig(-1), sig(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runLayer(t, tc.layer, tc.in, nil, nil, false, false)
			for i, v := range r.y.Data {
				if math.Abs(float64(v-tc.want[i])) > 1e-6 {
					t.Fatalf("output %v, want %v", r.y.Data, tc.want)
				}
			}
		})
	}
}

func TestFiniteDifferencesAttention(t *testing.T) {
	for _, tc := range []struct {
		name  string
		layer func(sc *NameScope) *Attention
		key   bool
		rank2 bool
	}{
		{"dot scaled causal", func(sc *NameScope) *Attention { return NewAttention(true, "dot", true, 0, WithScope(sc)) }, false, false},
		{"concat scaled with key", func(sc *NameScope) *Attention { return NewAttention(true, "concat", false, 0, WithScope(sc)) }, true, false},
		{"concat unscaled", func(sc *NameScope) *Attention { return NewAttention(false, "concat", false, 0, WithScope(sc)) }, false, false},
		{"dot on vectors", func(sc *NameScope) *Attention { return NewAttention(false, "dot", false, 0, WithScope(sc)) }, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := NewNameScope()
			shape := func(steps, dim int) []int {
				if tc.rank2 {
					return []int{dim}
				}
				return []int{steps, dim}
			}
			q, v := Input(shape(3, 2), WithScope(sc)), Input(shape(4, 3), WithScope(sc))
			ins := []*Node{q, v}
			vq := NewDense(2, WithScope(sc)).Apply(v)
			args := []*Node{q, v}
			if tc.key {
				k := Input(shape(4, 2), WithScope(sc))
				ins, args = append(ins, k), []*Node{q, v, k}
			} else {
				args = []*Node{q, vq}
			}
			y := tc.layer(sc).Apply(args...)
			m, err := NewModel(ins, []*Node{y})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range m.flatLayers() {
				for _, w := range l.Weights() {
					if w.Name() == "scale" {
						w.Set(nil, []float32{0.7})
					}
					if w.Name() == "concat_score_weight" {
						w.Set(nil, []float32{1.3})
					}
				}
			}
			checkFiniteDifferences(t, m, 2)
		})
	}
}

// Dropout on the weights in training only; Keras 2.11's config reads back.
func TestAttentionDropoutAndConfig(t *testing.T) {
	l := NewAttention(false, "dot", false, 0.5, WithSeed(1))
	x := tensorOf(t, []float32{1, 0, 0, 1, 1, 1, 0, 0}, 1, 4, 2)
	train := runLayer(t, l, []*Tensor{x, x}, nil, nil, true, false)
	infer := runLayer(t, l, []*Tensor{x, x}, nil, nil, false, false)
	same := true
	for i := range train.y.Data {
		same = same && train.y.Data[i] == infer.y.Data[i]
	}
	if same {
		t.Error("dropout 0.5 left the training output unchanged")
	}
	back, err := LayerFromConfig("Attention", Config{"name": "attention", "dropout": 0.2, "use_scale": true, "score_mode": "concat"})
	if err != nil {
		t.Fatal(err)
	}
	back.Apply(Input([]int{3, 2}, WithScope(NewNameScope())), Input([]int{3, 2}, WithScope(NewNameScope())))
	if w := back.Weights(); len(w) != 2 || w[0].Name() != "scale" || w[1].Name() != "concat_score_weight" {
		t.Fatalf("weights %v", w)
	}
	if _, err := LayerFromConfig("Attention", Config{"score_mode": "general"}); err == nil {
		t.Error("score_mode general accepted")
	}
	again, err := LayerFromConfig("Attention", jsonConfig(t, back.Config()))
	if err != nil || again.Config()["score_mode"] != "concat" || again.Config()["use_scale"] != true {
		t.Fatalf("round trip: %v %v", again, err)
	}
}
