package nn

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// seqModel applies layers in a chain to an input of the given per-sample
// shape and sets the named weights ("layer/weight", "layer/forward_lstm/kernel")
// from w.
func seqModel(t *testing.T, in []int, w map[string][]float32, layers ...Layer) *Model {
	t.Helper()
	x := Input(in, WithScope(NewNameScope()))
	y := x
	for _, l := range layers {
		y = l.Apply(y)
	}
	m, err := NewModel([]*Node{x}, []*Node{y})
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range w {
		i := strings.Index(path, "/")
		l := m.Layer(path[:i])
		if l == nil {
			t.Fatalf("no layer %q", path[:i])
		}
		v := l.Weight(path[i+1:])
		if v == nil {
			t.Fatalf("no weight %q", path)
		}
		if err := v.Set(v.Shape(), data); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func runOne(t *testing.T, m *Model, x []float32) []float32 {
	t.Helper()
	xt, err := TensorOf(x, append([]int{1}, m.inputs[0].shape...)...)
	if err != nil {
		t.Fatal(err)
	}
	y, err := m.Run(xt)
	if err != nil {
		t.Fatal(err)
	}
	return y[0].Data
}

func closeTo(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-5 {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}

func rnnCfg(mod func(*RNNConfig)) RNNConfig {
	c := DefaultRNNConfig()
	c.RecurrentActivation = "sigmoid"
	if mod != nil {
		mod(&c)
	}
	return c
}

// The cells' forward against Keras' equations, computed here with one
// unit and one feature (so every weight is a scalar), and with two units
// whose recurrence is off (each unit its own scalar cell), which pins the
// gate blocks' layout.
func TestRecurrentForward(t *testing.T) {
	th, sg := math.Tanh, sigmoid
	hsig := func(x float64) float64 { return min(1, max(0, 0.2*x+0.5)) }
	x := []float32{1, 2, -1}

	// SimpleRNN: h = tanh(0.5 x + 0.1 + 0.3 h').
	rnn := func(x, h float64) float64 { return th(0.5*x + 0.1 + 0.3*h) }
	srnnW := map[string][]float32{"r/kernel": {0.5}, "r/recurrent_kernel": {0.3}, "r/bias": {0.1}}
	h1 := rnn(1, 0)
	h2 := rnn(2, h1)
	h3 := rnn(-1, h2)
	g1 := rnn(-1, 0)
	g2 := rnn(2, g1)
	g3 := rnn(1, g2)

	// LSTM: i, f, c, o with these kernel, recurrent and bias entries.
	lstm := func(act func(float64) float64, x, h, c float64) (float64, float64) {
		i := act(0.5*x + 0.1*h + 0)
		f := act(-0.4*x + 0.2*h + 1)
		g := th(0.3*x - 0.3*h + 0.1)
		o := act(0.2*x + 0.4*h - 0.1)
		c = f*c + i*g
		return o * th(c), c
	}
	lstmW := map[string][]float32{"l/kernel": {0.5, -0.4, 0.3, 0.2}, "l/recurrent_kernel": {0.1, 0.2, -0.3, 0.4}, "l/bias": {0, 1, 0.1, -0.1}}
	lstmRun := func(act func(float64) float64) float64 {
		var h, c float64
		for _, v := range x {
			h, c = lstm(act, float64(v), h, c)
		}
		return h
	}

	// GRU: z, r, h; reset_after applies r to (u_h h' + recurrent bias).
	gru := func(resetAfter bool, x, h float64) float64 {
		z := sg(0.5*x + 0.1 + 0.3*h + b2(resetAfter, 0.05))
		r := sg(-0.4*x + 0.2 + 0.6*h + b2(resetAfter, -0.1))
		var hh float64
		if resetAfter {
			hh = th(0.7*x + 0.3 + r*(-0.5*h+0.2))
		} else {
			hh = th(0.7*x + 0.3 - 0.5*(r*h))
		}
		return z*h + (1-z)*hh
	}
	gruRun := func(resetAfter bool) []float64 {
		var h float64
		var out []float64
		for _, v := range x {
			h = gru(resetAfter, float64(v), h)
			out = append(out, h)
		}
		return out
	}
	gruW := map[string][]float32{"g/kernel": {0.5, -0.4, 0.7}, "g/recurrent_kernel": {0.3, 0.6, -0.5}, "g/bias": {0.1, 0.2, 0.3}}
	gruRA := map[string][]float32{"g/kernel": {0.5, -0.4, 0.7}, "g/recurrent_kernel": {0.3, 0.6, -0.5}, "g/bias": {0.1, 0.2, 0.3, 0.05, -0.1, 0.2}}

	// Two independent LSTM units (recurrent kernel 0): unit 0 has the
	// scalar cell's input weights, unit 1 others.
	lstm2 := func(wi, wf, wc, wo, bi, bf, bc, bo float64) float64 {
		var h, c float64
		for _, v := range x {
			x := float64(v)
			i, f, g, o := sg(wi*x+bi), sg(wf*x+bf), th(wc*x+bc), sg(wo*x+bo)
			c = f*c + i*g
			h = o * th(c)
		}
		return h
	}

	for _, c := range []struct {
		name string
		l    Layer
		w    map[string][]float32
		want []float64
	}{
		{"SimpleRNN last", NewSimpleRNN(1, rnnCfg(nil), WithName("r")), srnnW, []float64{h3}},
		{"SimpleRNN sequences", NewSimpleRNN(1, rnnCfg(func(c *RNNConfig) { c.ReturnSequences = true }), WithName("r")), srnnW, []float64{h1, h2, h3}},
		{"SimpleRNN go_backwards", NewSimpleRNN(1, rnnCfg(func(c *RNNConfig) { c.ReturnSequences, c.GoBackwards = true, true }), WithName("r")), srnnW, []float64{g1, g2, g3}},
		{"LSTM sigmoid", NewLSTM(1, rnnCfg(nil), WithName("l")), lstmW, []float64{lstmRun(sg)}},
		{"LSTM hard_sigmoid", NewLSTM(1, DefaultRNNConfig(), WithName("l")), lstmW, []float64{lstmRun(hsig)}},
		{"GRU", NewGRU(1, rnnCfg(func(c *RNNConfig) { c.ReturnSequences = true }), WithName("g")), gruW, gruRun(false)},
		{"GRU reset_after", NewGRU(1, rnnCfg(func(c *RNNConfig) { c.ReturnSequences, c.ResetAfter = true, true }), WithName("g")), gruRA, gruRun(true)},
		{"LSTM two units", NewLSTM(2, rnnCfg(nil), WithName("l")), map[string][]float32{
			"l/kernel": {0.5, 0.9, -0.4, 0.3, 0.3, -0.7, 0.2, 0.6}, "l/recurrent_kernel": make([]float32, 16), "l/bias": {0, 0.1, 1, 0.2, 0.1, 0.3, -0.1, 0.4},
		}, []float64{lstm2(0.5, -0.4, 0.3, 0.2, 0, 1, 0.1, -0.1), lstm2(0.9, 0.3, -0.7, 0.6, 0.1, 0.2, 0.3, 0.4)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := seqModel(t, []int{3, 1}, c.w, c.l)
			closeTo(t, c.name, runOne(t, m, x), c.want)
		})
	}
}

// b2 is a reset_after GRU's recurrent bias term, 0 without.
func b2(on bool, v float64) float64 {
	if on {
		return v
	}
	return 0
}

// Masked steps carry the state and output of the step before (Keras'
// K.rnn), whether the mask comes from Masking or from Embedding's
// mask_zero, and the mask passes through Dense to the next recurrent
// layer; a Bidirectional returning sequences outputs zeros there.
func TestRecurrentMasks(t *testing.T) {
	rnn := func(x, h float64) float64 { return math.Tanh(0.5*x + 0.1 + 0.3*h) }
	w := map[string][]float32{"r/kernel": {0.5}, "r/recurrent_kernel": {0.3}, "r/bias": {0.1}}
	seq := rnnCfg(func(c *RNNConfig) { c.ReturnSequences = true })
	h1 := rnn(1, 0)
	h3 := rnn(2, h1)

	m := seqModel(t, []int{3, 1}, w, NewMasking(0), NewSimpleRNN(1, seq, WithName("r")))
	closeTo(t, "Masking", runOne(t, m, []float32{1, 0, 2}), []float64{h1, h1, h3})

	// Embedding rows: index 1 -> 1, index 2 -> 2 (index 0 masked).
	m = seqModel(t, []int{3}, map[string][]float32{"r/kernel": {0.5}, "r/recurrent_kernel": {0.3}, "r/bias": {0.1}, "e/embeddings": {7, 1, 2}},
		NewEmbedding(3, 1, true, WithName("e")), NewSimpleRNN(1, seq, WithName("r")))
	closeTo(t, "Embedding mask_zero", runOne(t, m, []float32{1, 0, 2}), []float64{h1, h1, h3})

	// Masking -> Dense (passes the mask) -> SimpleRNN reading it.
	d := NewDense(1, WithName("d"))
	m = seqModel(t, []int{3, 1}, map[string][]float32{"r/kernel": {0.5}, "r/recurrent_kernel": {0.3}, "r/bias": {0.1}, "d/kernel": {2}, "d/bias": {0}},
		NewMasking(5), d, NewSimpleRNN(1, rnnCfg(nil), WithName("r")))
	closeTo(t, "through Dense", runOne(t, m, []float32{0.5, 5, 1}), []float64{h3})

	// Bidirectional: backward weights w' = -0.2, u' = 0.6, b' = 0.
	bw := func(x, h float64) float64 { return math.Tanh(-0.2*x + 0.6*h) }
	bi := NewBidirectional(NewSimpleRNN(1, seq, WithName("r")), nil, "concat", WithName("b"))
	m = seqModel(t, []int{3, 1}, map[string][]float32{
		"b/forward_r/kernel": {0.5}, "b/forward_r/recurrent_kernel": {0.3}, "b/forward_r/bias": {0.1},
		"b/backward_r/kernel": {-0.2}, "b/backward_r/recurrent_kernel": {0.6}, "b/backward_r/bias": {0},
	}, NewMasking(0), bi)
	g1 := bw(2, 0)
	g3 := bw(1, g1)
	closeTo(t, "Bidirectional masked", runOne(t, m, []float32{1, 0, 2}), []float64{h1, g3, 0, 0, h3, g1})
}

// Bidirectional's merge modes against the two directions computed here;
// the backward direction's sequence is in input order.
func TestBidirectionalForward(t *testing.T) {
	fw := func(x, h float64) float64 { return math.Tanh(0.5*x + 0.1 + 0.3*h) }
	bw := func(x, h float64) float64 { return math.Tanh(-0.2*x + 0.6*h) }
	x := []float64{1, 2, -1}
	f := make([]float64, 3)
	b := make([]float64, 3)
	var h float64
	for i, v := range x {
		h = fw(v, h)
		f[i] = h
	}
	h = 0
	for i := 2; i >= 0; i-- {
		h = bw(x[i], h)
		b[i] = h // in input order
	}
	w := map[string][]float32{
		"b/forward_r/kernel": {0.5}, "b/forward_r/recurrent_kernel": {0.3}, "b/forward_r/bias": {0.1},
		"b/backward_r/kernel": {-0.2}, "b/backward_r/recurrent_kernel": {0.6}, "b/backward_r/bias": {0},
	}
	seq := rnnCfg(func(c *RNNConfig) { c.ReturnSequences = true })
	for _, c := range []struct {
		merge string
		seq   bool
		want  []float64
	}{
		{"concat", true, []float64{f[0], b[0], f[1], b[1], f[2], b[2]}},
		{"sum", true, []float64{f[0] + b[0], f[1] + b[1], f[2] + b[2]}},
		{"mul", true, []float64{f[0] * b[0], f[1] * b[1], f[2] * b[2]}},
		{"ave", true, []float64{(f[0] + b[0]) / 2, (f[1] + b[1]) / 2, (f[2] + b[2]) / 2}},
		{"concat", false, []float64{f[2], b[0]}}, // the backward layer's last step is input step 0
	} {
		cfg := rnnCfg(nil)
		if c.seq {
			cfg = seq
		}
		m := seqModel(t, []int{3, 1}, w, NewBidirectional(NewSimpleRNN(1, cfg, WithName("r")), nil, c.merge, WithName("b")))
		closeTo(t, c.merge, runOne(t, m, []float32{1, 2, -1}), c.want)
	}
	names := []string{}
	m := seqModel(t, []int{3, 1}, nil, NewBidirectional(NewLSTM(2, seq, WithName("lstm_1")), nil, "concat", WithName("bidirectional_1")))
	for _, v := range m.Layer("bidirectional_1").Weights() {
		names = append(names, fmt.Sprintf("%s %v", v.Path(), v.Shape()))
	}
	want := "bidirectional_1/forward_lstm_1/kernel [1 8]|bidirectional_1/forward_lstm_1/recurrent_kernel [2 8]|bidirectional_1/forward_lstm_1/bias [8]|" +
		"bidirectional_1/backward_lstm_1/kernel [1 8]|bidirectional_1/backward_lstm_1/recurrent_kernel [2 8]|bidirectional_1/backward_lstm_1/bias [8]"
	if got := strings.Join(names, "|"); got != want {
		t.Fatalf("weights %s, want %s", got, want)
	}
}

// Embedding looks rows up by truncated index and stops the run, naming
// the layer, on an index out of range; TimeDistributed(Dense) is Dense at
// every step.
func TestEmbeddingAndTimeDistributed(t *testing.T) {
	emb := map[string][]float32{"e/embeddings": {0, 1, 2, 3, 4, 5}}
	m := seqModel(t, []int{3}, emb, NewEmbedding(3, 2, false, WithName("e")))
	closeTo(t, "lookup", runOne(t, m, []float32{2, 0, 1.7}), []float64{4, 5, 0, 1, 2, 3})
	for _, bad := range []float32{3, -1, float32(math.NaN())} {
		xt, _ := TensorOf([]float32{0, bad, 1}, 1, 3)
		_, err := m.Run(xt)
		if err == nil || !strings.Contains(err.Error(), `"e" (Embedding)`) || !strings.Contains(err.Error(), "outside [0, 3)") {
			t.Fatalf("index %v: %v", bad, err)
		}
	}
	m = seqModel(t, []int{2, 3}, map[string][]float32{"td/kernel": {1, 0, 0, 1, 2, -1}, "td/bias": {0.5, -0.5}},
		NewTimeDistributed(NewDense(2, WithName("d")), WithName("td")))
	// step 0: (1, 2, 3) -> (1 + 6 + 0.5, 2 - 3 - 0.5); step 1: (0, 1, -1) -> (-2 + 0.5, 1 + 1 - 0.5)
	closeTo(t, "TimeDistributed", runOne(t, m, []float32{1, 2, 3, 0, 1, -1}), []float64{7.5, -1.5, -1.5, 1.5})
}
