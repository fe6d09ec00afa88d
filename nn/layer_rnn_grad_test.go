package nn

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// randomBiases gives every bias of m random values (the defaults are
// constant), so that their gradients are checked away from special points.
func randomBiases(m *Model) {
	for _, l := range m.flatLayers() {
		for _, v := range l.Weights() {
			if strings.HasSuffix(v.name, "bias") {
				v.Set(v.shape, specFill(l.Name(), v.name, v.shape, 2))
			}
		}
	}
}

func chain(t *testing.T, in []int, layers ...Layer) *Model {
	t.Helper()
	m := seqModel(t, in, nil, layers...)
	randomBiases(m)
	return m
}

// Backprop through time, checked against finite differences: every cell,
// both GRU forms, go_backwards, hard_sigmoid, sequences and last outputs,
// Bidirectional in every merge mode, TimeDistributed, and masked steps.
func TestFiniteDifferencesRecurrent(t *testing.T) {
	seq := func(c *RNNConfig) { c.ReturnSequences = true }
	cases := map[string]func() *Model{
		"SimpleRNN LSTM GRU": func() *Model {
			return chain(t, []int{4, 3}, NewSimpleRNN(3, rnnCfg(seq)), NewLSTM(2, rnnCfg(seq)), NewGRU(2, rnnCfg(nil)))
		},
		"GRU reset_after go_backwards, LSTM hard_sigmoid": func() *Model {
			return chain(t, []int{4, 3},
				NewGRU(3, rnnCfg(func(c *RNNConfig) { c.ReturnSequences, c.ResetAfter, c.GoBackwards = true, true, true })),
				NewLSTM(2, rnnCfg(func(c *RNNConfig) { c.RecurrentActivation, c.GoBackwards = "hard_sigmoid", true })))
		},
		"no bias, linear SimpleRNN": func() *Model {
			return chain(t, []int{3, 2}, NewSimpleRNN(3, rnnCfg(func(c *RNNConfig) { c.UseBias, c.Activation, c.ReturnSequences = false, "linear", true })),
				NewGRU(2, rnnCfg(func(c *RNNConfig) { c.UseBias = false })))
		},
		"Bidirectional": func() *Model {
			return chain(t, []int{4, 3},
				NewBidirectional(NewLSTM(2, rnnCfg(seq)), nil, "concat"),
				NewBidirectional(NewGRU(2, rnnCfg(seq)), nil, "mul"),
				NewBidirectional(NewSimpleRNN(2, rnnCfg(seq)), nil, "sum"),
				NewBidirectional(NewGRU(2, rnnCfg(func(c *RNNConfig) { c.ResetAfter = true })), nil, "ave"))
		},
		"TimeDistributed": func() *Model {
			return chain(t, []int{3, 4}, NewTimeDistributed(NewDense(3, WithActivation("tanh"))), NewLSTM(2, rnnCfg(nil)))
		},
		"TimeDistributed Conv2D": func() *Model {
			return chain(t, []int{2, 4, 4, 2}, NewTimeDistributed(NewConv2D(2, 3, 3, WithPadding("same"), WithActivation("tanh"))),
				NewTimeDistributed(NewFlatten()), NewSimpleRNN(2, rnnCfg(nil)))
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) { checkFiniteDifferences(t, build(), 2) })
	}
	// Masked steps: sample 0's step 1 and sample 1's step 3 are all 0.5.
	x := randomTensor("fd-mask", 1, 2, 4, 2)
	for _, i := range []int{2, 3, 14, 15} {
		x.Data[i] = 0.5
	}
	t.Run("masked", func(t *testing.T) {
		m := chain(t, []int{4, 2}, NewMasking(0.5), NewLSTM(3, rnnCfg(seq)), NewDense(2),
			NewBidirectional(NewGRU(2, rnnCfg(seq)), nil, "concat"), NewSimpleRNN(2, rnnCfg(nil)))
		checkFiniteDifferencesAt(t, m, []*Tensor{x}, false)
		// Masking's input gradient: dy where kept, 0 at the masked steps.
		dy := randomTensor("fd-mask-dy", 1, 2, 4, 2)
		r := runLayer(t, NewMasking(0.5), []*Tensor{x}, nil, dy, true, false)
		for i, g := range r.dx[0].Data {
			want := dy.Data[i]
			if i == 2 || i == 3 || i == 14 || i == 15 {
				want = 0
			}
			if g != want {
				t.Fatalf("Masking dx %v, dy %v", r.dx[0].Data, dy.Data)
			}
		}
	})
	// Embedding: indices away from integers, so that the differences do
	// not cross one; index 0 is masked.
	idx, _ := TensorOf([]float32{1.5, 0.5, 3.5, 2.5, 2.5, 1.5, 0.5, 4.5}, 2, 4)
	t.Run("Embedding", func(t *testing.T) {
		m := chain(t, []int{4}, NewEmbedding(5, 3, true), NewGRU(2, rnnCfg(seq)), NewLSTM(2, rnnCfg(nil)))
		checkFiniteDifferencesAt(t, m, []*Tensor{idx}, true)
	})
}

// Config round trips through JSON for every new layer, with the Keras
// keys; LayerFromConfig reads what Config writes.
func TestRecurrentConfigs(t *testing.T) {
	cfg := rnnCfg(func(c *RNNConfig) { c.ReturnSequences, c.GoBackwards, c.Dropout = true, true, 0.25 })
	for _, l := range []Layer{
		NewSimpleRNN(3, cfg, WithName("simple_rnn_1")),
		NewLSTM(3, cfg, WithName("lstm_1")),
		NewGRU(3, rnnCfg(func(c *RNNConfig) { c.ResetAfter = true }), WithName("gru_1")),
		NewBidirectional(NewLSTM(2, cfg, WithName("lstm_2")), nil, "ave", WithName("bidirectional_1")),
		NewTimeDistributed(NewDense(4, WithName("dense_1")), WithName("time_distributed_1")),
		NewEmbedding(10, 4, true, WithName("embedding_1")),
		NewMasking(2, WithName("masking_1")),
	} {
		raw, err := json.Marshal(l.Config())
		if err != nil {
			t.Fatal(err)
		}
		var c Config
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		back, err := LayerFromConfig(l.ClassName(), c)
		if err != nil {
			t.Fatalf("%s: %v", l.ClassName(), err)
		}
		again, _ := json.Marshal(back.Config())
		if string(again) != string(raw) {
			t.Errorf("%s: config %s\nread back as %s", l.ClassName(), raw, again)
		}
	}
	// Keras 3 writes both wrapped layers, already named forward_ and backward_.
	k3 := func(name string, back bool) map[string]any {
		return map[string]any{"module": "keras.layers", "class_name": "LSTM", "registered_name": nil,
			"config": map[string]any{"name": name, "units": 2.0, "return_sequences": true, "go_backwards": back, "seed": nil}}
	}
	bi, err := LayerFromConfig("Bidirectional", Config{"name": "bidirectional", "merge_mode": "concat",
		"layer": k3("forward_lstm", false), "backward_layer": k3("backward_lstm", true)})
	if err != nil {
		t.Fatal(err)
	}
	bi.Apply(Input([]int{3, 2}, WithScope(NewNameScope())))
	if w := bi.Weights(); len(w) != 6 || w[0].Path() != "bidirectional/forward_lstm/kernel" || w[5].Path() != "bidirectional/backward_lstm/bias" {
		t.Errorf("Keras 3 Bidirectional weights %v", w)
	}
	lstm, _ := LayerFromConfig("LSTM", Config{"name": "l", "units": 2.0})
	if c := lstm.Config(); c["recurrent_activation"] != "hard_sigmoid" || c["unit_forget_bias"] != true || c["implementation"] != 1 {
		t.Errorf("LSTM defaults %v", c)
	}
}

// Options Keel lacks are named in the error; a layer with recurrent
// dropout runs inference.
func TestRecurrentErrors(t *testing.T) {
	for _, c := range []struct {
		class string
		cfg   Config
		want  string
	}{
		{"LSTM", Config{"units": 2.0, "return_state": true}, "return_state true is not supported"},
		{"GRU", Config{"units": 2.0, "stateful": true}, "stateful true is not supported"},
		{"SimpleRNN", Config{"units": 2.0, "time_major": true}, "time_major"},
		{"LSTM", Config{"units": 2.0, "recurrent_activation": "softsign"}, `recurrent_activation "softsign" is not supported`},
		{"LSTM", Config{"units": 0.0}, "units 0 must be positive"},
		{"Bidirectional", Config{"layer": map[string]any{"class_name": "LSTM", "config": map[string]any{"units": 2.0}}, "merge_mode": nil}, "merge_mode"},
		{"Bidirectional", Config{"layer": map[string]any{"class_name": "Dense", "config": map[string]any{"units": 2.0}}}, "not Dense"},
		{"TimeDistributed", Config{"layer": "dense"}, "is not a layer"},
		{"Embedding", Config{"input_dim": 0.0, "output_dim": 2.0}, "must be positive"},
	} {
		_, err := LayerFromConfig(c.class, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want %q", c.class, c.cfg, err, c.want)
		}
	}
	if out := NewLSTM(2, rnnCfg(nil)).Apply(Input([]int{3}, WithScope(NewNameScope()))); out.Err() == nil || !strings.Contains(out.Err().Error(), "(batch, steps, features)") {
		t.Errorf("LSTM on 2-D inputs: %v", out.Err())
	}
	// A mask must have one entry per step of the layer reading it.
	x := Input([]int{3, 2, 4}, WithScope(NewNameScope()))
	y := NewTimeDistributed(NewFlatten()).Apply(NewMasking(0).Apply(x))
	y = NewLSTM(2, rnnCfg(nil), WithName("l")).Apply(y)
	m, err := NewModel([]*Node{x}, []*Node{y})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run(NewTensor(1, 3, 2, 4)); err == nil || !strings.Contains(err.Error(), "has shape [3 2], want one entry per time step ([3])") {
		t.Fatalf("mask of the wrong shape: %v", err)
	}
}

// Dropout in a training step, against Keras' SimpleRNNCell with its two
// masks (the input's and the state's, drawn once per batch): h = tanh(w x
// m_x + u h' m_h + b); the identity in inference.
func TestRecurrentDropoutForward(t *testing.T) {
	l := NewSimpleRNN(1, rnnCfg(func(c *RNNConfig) { c.ReturnSequences, c.Dropout, c.RecurrentDropout = true, 0.5, 0.5 }), WithSeed(7))
	x := randomTensor("dropout-x", 1, 8, 3, 1)
	m := seqModel(t, []int{3, 1}, nil, l)
	for name, v := range map[string]float32{"kernel": 0.5, "recurrent_kernel": 0.3, "bias": 0.1} {
		m.Layer(l.name).Weight(name).data[0] = v
	}
	r := &call{x: []*Tensor{x}, y: NewTensor(8, 3, 1), training: true, stats: &LayerStats{}}
	l.forward(r)
	st := r.state.(*rnnState)
	dropped := 0
	for b := 0; b < 8; b++ {
		mx, mh := float64(st.dp[b]), float64(st.rdp[b])
		for _, m := range []float64{mx, mh} {
			if m != 0 && m != 2 {
				t.Fatalf("mask value %v, want 0 or 1/(1-0.5)", m)
			}
			if m == 0 {
				dropped++
			}
		}
		var h float64
		for k := 0; k < 3; k++ {
			h = math.Tanh(0.5*float64(x.Data[b*3+k])*mx + 0.3*h*mh + 0.1)
			if got := float64(r.y.Data[b*3+k]); math.Abs(got-h) > 1e-6 {
				t.Fatalf("sample %d step %d: %v, want %v (masks %v, %v)", b, k, got, h, mx, mh)
			}
		}
	}
	if dropped == 0 || dropped == 16 {
		t.Fatalf("%d of 16 masks dropped", dropped)
	}
	y, err := m.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	if h := math.Tanh(0.5*float64(x.Data[0]) + 0.1); math.Abs(float64(y[0].Data[0])-h) > 1e-6 {
		t.Fatalf("inference %v, want %v", y[0].Data[0], h)
	}
	// A training step runs through the plan and moves the weights.
	m.Compile(NewSGD(SGDConfig{OptimizerOptions: OptimizerOptions{LearningRate: 0.1}}), MeanSquaredError{})
	loss, err := m.TrainStep(x, NewTensor(8, 3, 1))
	if err != nil || math.IsNaN(loss) || l.kernel.data[0] == 0.5 {
		t.Fatalf("training step: loss %v, err %v, kernel %v", loss, err, l.kernel.data)
	}
}

// Backprop through the dropout masks of every cell and implementation,
// by finite differences with the same masks (the layer's stream rewound
// before each forward).
func TestRecurrentDropoutGradients(t *testing.T) {
	drop := func(mod func(*RNNConfig)) RNNConfig {
		return rnnCfg(func(c *RNNConfig) {
			c.ReturnSequences, c.Dropout, c.RecurrentDropout = true, 0.3, 0.4
			mod(c)
		})
	}
	for name, l := range map[string]*Recurrent{
		"SimpleRNN":              NewSimpleRNN(3, drop(func(*RNNConfig) {})),
		"LSTM implementation 1":  NewLSTM(2, drop(func(*RNNConfig) {})),
		"LSTM implementation 2":  NewLSTM(2, drop(func(c *RNNConfig) { c.Implementation = 2 })),
		"GRU":                    NewGRU(2, drop(func(*RNNConfig) {})),
		"GRU reset_after":        NewGRU(2, drop(func(c *RNNConfig) { c.ResetAfter = true })),
		"GRU implementation 2":   NewGRU(2, drop(func(c *RNNConfig) { c.Implementation = 2 })),
		"GRU go_backwards input": NewGRU(2, drop(func(c *RNNConfig) { c.GoBackwards, c.RecurrentDropout = true, 0 })),
	} {
		t.Run(name, func(t *testing.T) {
			x := randomTensor("dropout-fd-x", 1, 3, 4, 3)
			if out := l.Apply(Input([]int{4, 3}, WithScope(NewNameScope()))); out.Err() != nil {
				t.Fatal(out.Err())
			}
			if l.bias != nil {
				l.bias.Set(l.bias.shape, specFill(name, "bias", l.bias.shape, 2))
			}
			dy := randomTensor("dropout-fd-dy", 1, 3, 4, l.units)
			saved := *l.rng
			run := func() *call {
				*l.rng = saved
				c := &call{x: []*Tensor{x}, y: NewTensor(3, 4, l.units), training: true, backward: true, stats: &LayerStats{}}
				l.forward(c)
				return c
			}
			c := run()
			c.dy, c.dx = dy, []*Tensor{NewTensor(x.Shape...)}
			for _, v := range l.weights {
				c.dw = append(c.dw, make([]float32, len(v.data)))
			}
			l.backward(c)
			objective := func() float64 {
				var s float64
				for i, v := range run().y.Data {
					s += float64(v) * float64(dy.Data[i])
				}
				return s
			}
			check := func(what string, values, analytic []float32) {
				const h = 2e-3
				for i := range values {
					old := values[i]
					values[i] = old + h
					up := objective()
					values[i] = old - h
					down := objective()
					values[i] = old
					if num := (up - down) / (2 * h); math.Abs(num-float64(analytic[i])) > 2e-3*max(1, math.Abs(num)) {
						t.Fatalf("%s[%d]: analytic %v, numeric %v", what, i, analytic[i], num)
					}
				}
			}
			check("x", x.Data, c.dx[0].Data)
			for i, v := range l.weights {
				check(v.name, v.data, c.dw[i])
			}
		})
	}
}
