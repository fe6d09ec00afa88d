package nn

import (
	"fmt"

	"github.com/keelml/keel/internal/splitmix"
)

// RNNConfig holds the Keras arguments the recurrent layers share (see
// DefaultRNNConfig).
type RNNConfig struct {
	Activation          string // "tanh"
	RecurrentActivation string // LSTM and GRU: "hard_sigmoid" (Keras 2's form), "sigmoid", ...
	UseBias             bool
	ReturnSequences     bool // output every step (batch, steps, units), not the last (batch, units)
	GoBackwards         bool // process the steps last to first (the output sequence is in that order)
	UnitForgetBias      bool // LSTM: initialise the forget gate's bias to 1
	ResetAfter          bool // GRU: apply the reset gate after the recurrent matrix (bias (2, 3*units))
	Implementation      int  // Keras' implementation: the same math; 0 and 1 draw a dropout mask per gate, 2 one for all
	// Dropout and RecurrentDropout are Keras' rates of the inputs' and the
	// state's dropout in training steps (layer_rnn_dropout.go).
	Dropout, RecurrentDropout float64
}

// DefaultRNNConfig returns the defaults of Keras 2 up to 2.2 (whose files
// Keel reads): tanh, hard_sigmoid, implementation 1, bias with the forget
// gate's set to 1, GRU reset_after false. Later Keras defaults to sigmoid
// and implementation 2 (tf.keras 2: reset_after true); their configs say so.
func DefaultRNNConfig() RNNConfig {
	return RNNConfig{Activation: "tanh", RecurrentActivation: "hard_sigmoid", UseBias: true, UnitForgetBias: true, Implementation: 1}
}

// rnnKind is which cell a Recurrent layer runs.
type rnnKind int

const (
	kindSimpleRNN rnnKind = iota
	kindLSTM
	kindGRU
)

// Recurrent is Keras' SimpleRNN, LSTM or GRU over inputs (batch, steps,
// features), with Keras 2's weights: kernel (features, G*units),
// recurrent_kernel (units, G*units) and bias (G*units), the G gate blocks
// in Keras' order (LSTM i, f, c, o; GRU z, r, h; SimpleRNN one). A GRU with
// reset_after has bias (2, 3*units): input bias, then recurrent bias.
// Masked steps (a Masking or Embedding with mask_zero before it) carry the
// state and output of the step before, as Keras does. The initial state
// is zero; stateful layers and return_state are not supported.
type Recurrent struct {
	base
	kind        rnnKind
	units       int
	cfg         RNNConfig
	act, recAct rnnActivation
	// zeroMasked: masked steps output zeros (Keras' zero_output_for_mask,
	// which Bidirectional sets when returning sequences).
	zeroMasked bool
	steps, in  int
	kernel     *Variable
	recKernel  *Variable
	bias       *Variable
	rng        *splitmix.Stream // dropout masks
}

var rnnClasses = [...]string{kindSimpleRNN: "SimpleRNN", kindLSTM: "LSTM", kindGRU: "GRU"}

// NewSimpleRNN returns Keras' SimpleRNN: h = activation(x kernel + h
// recurrent_kernel + bias). Options: WithName, WithTrainable, WithSeed (of
// the dropout masks), as for NewLSTM and NewGRU.
func NewSimpleRNN(units int, cfg RNNConfig, opts ...Option) *Recurrent {
	return newRecurrent(kindSimpleRNN, units, cfg, opts)
}

// NewLSTM returns Keras' LSTM. Options: WithName, WithTrainable.
func NewLSTM(units int, cfg RNNConfig, opts ...Option) *Recurrent {
	return newRecurrent(kindLSTM, units, cfg, opts)
}

// NewGRU returns Keras' GRU. Options: WithName, WithTrainable.
func NewGRU(units int, cfg RNNConfig, opts ...Option) *Recurrent {
	return newRecurrent(kindGRU, units, cfg, opts)
}

func newRecurrent(kind rnnKind, units int, cfg RNNConfig, opts []Option) *Recurrent {
	class := rnnClasses[kind]
	s, err := collect(class, opts, "seed")
	l := &Recurrent{kind: kind, units: units, cfg: cfg}
	var err2 error
	l.act, err2 = parseRNNActivation("activation", cfg.Activation)
	if kind != kindSimpleRNN {
		var err3 error
		l.recAct, err3 = parseRNNActivation("recurrent_activation", cfg.RecurrentActivation)
		err2 = firstError(err2, err3)
	}
	switch {
	case err != nil:
	case units < 1:
		err = fmt.Errorf("nn: %s: units %d must be positive", class, units)
	case err2 != nil:
		err = fmt.Errorf("nn: %s: %w", class, err2)
	case cfg.Dropout < 0 || cfg.Dropout >= 1 || cfg.RecurrentDropout < 0 || cfg.RecurrentDropout >= 1:
		err = fmt.Errorf("nn: %s: dropout %g and recurrent_dropout %g must be in [0, 1)", class, cfg.Dropout, cfg.RecurrentDropout)
	}
	l.init(l, class, s, err)
	l.rng = splitmix.New(s.seed ^ splitmix.FNV1a64(l.name))
	return l
}

func firstError(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// gates is the number of gate blocks of units in the kernels.
func (l *Recurrent) gates() int { return [...]int{1, 4, 3}[l.kind] }

// Config is Keras 2's config of the layer's class.
func (l *Recurrent) Config() map[string]any {
	c := map[string]any{
		"units": l.units, "activation": l.act.name, "use_bias": l.cfg.UseBias,
		"dropout": l.cfg.Dropout, "recurrent_dropout": l.cfg.RecurrentDropout,
		"return_sequences": l.cfg.ReturnSequences, "return_state": false, "go_backwards": l.cfg.GoBackwards,
		"stateful": false, "unroll": false,
	}
	if l.kind != kindSimpleRNN {
		c["recurrent_activation"] = l.recAct.name
		c["implementation"] = l.cfg.Implementation
	}
	switch l.kind {
	case kindLSTM:
		c["unit_forget_bias"] = l.cfg.UnitForgetBias
	case kindGRU:
		c["reset_after"] = l.cfg.ResetAfter
	}
	return l.withBase(c)
}

func (l *Recurrent) passesMask() bool { return l.cfg.ReturnSequences }
func (l *Recurrent) readsMask() bool  { return true }

func (l *Recurrent) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if len(in[0]) != 2 {
		return nil, fmt.Errorf("needs inputs (batch, steps, features), got (batch, %v)", in[0])
	}
	l.steps, l.in = in[0][0], in[0][1]
	gu := l.gates() * l.units
	if l.kernel == nil {
		l.kernel = l.addWeight("kernel", []int{l.in, gu}, true, glorotUniform{l.in, gu})
		l.recKernel = l.addWeight("recurrent_kernel", []int{l.units, gu}, true, orthogonal{l.units, gu})
		if l.cfg.UseBias {
			switch {
			case l.kind == kindLSTM && l.cfg.UnitForgetBias:
				l.bias = l.addWeight("bias", []int{gu}, true, lstmBias(l.units))
			case l.kind == kindGRU && l.cfg.ResetAfter:
				l.bias = l.addWeight("bias", []int{2, gu}, true, constant(0))
			default:
				l.bias = l.addWeight("bias", []int{gu}, true, constant(0))
			}
		}
	}
	if l.cfg.ReturnSequences {
		return []int{l.steps, l.units}, nil
	}
	return []int{l.units}, nil
}

// inputBias is the bias added to x kernel (all of it but a reset_after
// GRU's recurrent half), nil without bias.
func (l *Recurrent) inputBias() []float32 {
	if l.bias == nil {
		return nil
	}
	return l.bias.data[:l.gates()*l.units]
}

// recurrentBias is a reset_after GRU's bias added to h recurrent_kernel.
func (l *Recurrent) recurrentBias() []float32 {
	if l.bias == nil || l.kind != kindGRU || !l.cfg.ResetAfter {
		return nil
	}
	return l.bias.data[l.gates()*l.units:]
}

// timeOf is the input step processed at step k.
func (l *Recurrent) timeOf(k int) int {
	if l.cfg.GoBackwards {
		return l.steps - 1 - k
	}
	return k
}

func (l *Recurrent) backwardNeeds(*call, bool) (bool, bool) { return true, false }

// rnnState is what forward keeps for backward, per processing step k:
// the states before and after it, the gates' pre-activations, and the mask.
type rnnState struct {
	xw    []float32 // (batch, steps, G*units): x kernel + input bias
	rec   []float32 // (batch, G*units): h recurrent_kernel of the current step
	rh    []float32 // (batch, units): a GRU's r*h (reset_after false)
	pre   []float32 // (steps, batch, G*units) by processing step: gate pre-activations
	inner []float32 // (steps, batch, units): a reset_after GRU's h U_h + b_h
	hs    []float32 // (steps+1, batch, units): hs[k] is the state before step k
	cs    []float32 // (steps+1, batch, units): an LSTM's cell state likewise
	keep  []bool    // (batch, steps): the mask; nil: none

	// dp, rdp: a training step's dropout and recurrent_dropout masks, nil
	// when none (layer_rnn_dropout.go); xm, hm, gx, gh: their scratch.
	dp, rdp, dpBuf, rdpBuf []float32
	xm, hm, gx, gh         []float32

	dZx []float32 // (batch, steps, G*units): gradients of the input side's pre-activations
	dZh []float32 // (batch, G*units): of the recurrent side's, at the current step
	// dh, dc: gradients of the state after the current step; dhPrev,
	// dcPrev: before it; g: a GRU's gradient of r*h recurrent_kernel_h.
	dh, dc, dhPrev, dcPrev, g []float32
}

func (l *Recurrent) state(c *call) *rnnState {
	st, _ := c.state.(*rnnState)
	if st == nil {
		st = &rnnState{}
		c.state = st
	}
	return st
}

func (l *Recurrent) forward(c *call) {
	st := l.state(c)
	B, T, u, gu := c.x[0].Batch(), l.steps, l.units, l.gates()*l.units
	st.keep = stepMask(c, &st.keep)
	l.drawMasks(st, c, B)
	xw := scratch(&st.xw, B*T*gu)
	l.projectInput(st, c.x[0].Data, xw, T)
	if b := l.inputBias(); b != nil {
		for r := 0; r < B*T; r++ {
			addTo(xw[r*gu:(r+1)*gu], b)
		}
	}
	c.forwardKernel(2 * float64(B*T) * float64(l.in*gu))
	st.pre = scratch(&st.pre, T*B*gu)
	st.hs = scratch(&st.hs, (T+1)*B*u)
	clear(st.hs[:B*u])
	if l.kind == kindLSTM {
		st.cs = scratch(&st.cs, (T+1)*B*u)
		clear(st.cs[:B*u])
	}
	if l.kind == kindGRU {
		st.inner = scratch(&st.inner, T*B*u)
		st.rh = scratch(&st.rh, B*u)
	}
	st.rec = scratch(&st.rec, B*gu)
	y := c.y.Data
	for k := 0; k < T; k++ {
		t := l.timeOf(k)
		l.cellForward(st, B, k, t)
		hNew := st.hs[(k+1)*B*u : (k+2)*B*u]
		for b := 0; b < B; b++ {
			masked := st.masked(b, T, t)
			if masked {
				copy(hNew[b*u:(b+1)*u], st.hs[k*B*u+b*u:k*B*u+(b+1)*u])
				if l.kind == kindLSTM {
					copy(st.cs[(k+1)*B*u+b*u:(k+1)*B*u+(b+1)*u], st.cs[k*B*u+b*u:k*B*u+(b+1)*u])
				}
			}
			if l.cfg.ReturnSequences {
				out := y[(b*T+k)*u : (b*T+k+1)*u]
				if masked && l.zeroMasked {
					clear(out)
				} else {
					copy(out, hNew[b*u:(b+1)*u])
				}
			}
		}
		c.forwardKernel(2 * float64(B) * float64(u*gu))
	}
	if !l.cfg.ReturnSequences {
		copy(y, st.hs[T*B*u:(T+1)*B*u])
	}
}

func (l *Recurrent) backward(c *call) {
	st := l.state(c)
	B, T, u, gu := c.x[0].Batch(), l.steps, l.units, l.gates()*l.units
	dy := c.dy.Data
	dZx := scratch(&st.dZx, B*T*gu)
	st.dZh = scratch(&st.dZh, B*gu)
	dh, dc := scratch(&st.dh, B*u), scratch(&st.dc, B*u)
	st.dhPrev, st.dcPrev, st.g = scratch(&st.dhPrev, B*u), scratch(&st.dcPrev, B*u), scratch(&st.g, B*u)
	clear(dc)
	if l.cfg.ReturnSequences {
		clear(dh)
	} else {
		copy(dh, dy)
	}
	dK, dU, dB := c.dw[0], c.dw[1], []float32(nil)
	if l.bias != nil {
		dB = c.dw[2]
	}
	if dU != nil {
		clear(dU)
	}
	if dB != nil {
		clear(dB)
	}
	for k := T - 1; k >= 0; k-- {
		t := l.timeOf(k)
		if l.cfg.ReturnSequences {
			for b := 0; b < B; b++ {
				if l.zeroMasked && st.masked(b, T, t) {
					continue
				}
				addTo(dh[b*u:(b+1)*u], dy[(b*T+k)*u:(b*T+k+1)*u])
			}
		}
		l.cellBackward(st, B, k, t, dh, dc, st.dhPrev, st.dcPrev, dZx, dU, dB)
		c.backwardKernel(4 * float64(B) * float64(u*gu))
		dh, st.dhPrev = st.dhPrev, dh
		dc, st.dcPrev = st.dcPrev, dc
	}
	st.dh, st.dc = dh, dc
	if dB != nil {
		for r := 0; r < B*T; r++ {
			addTo(dB[:gu], dZx[r*gu:(r+1)*gu])
		}
	}
	var dx []float32
	if c.dx[0] != nil {
		dx = c.dx[0].Data
	}
	l.backInput(st, c.x[0].Data, dZx, dK, dx, T)
	c.backwardKernel(4 * float64(B*T) * float64(l.in*gu))
}

// masked says whether sample b is masked at input step t of T.
func (st *rnnState) masked(b, T, t int) bool { return st.keep != nil && !st.keep[b*T+t] }

func addTo(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
}

// recurrentFromConfig reads a SimpleRNN, LSTM or GRU config (Keras 2 and
// tf.keras 2 keys; Keras 3 writes the same ones, with seed).
func recurrentFromConfig(kind rnnKind) func(r *reader, o []Option) Layer {
	return func(r *reader, o []Option) Layer {
		cfg := RNNConfig{
			Activation: r.str("activation", "tanh"), RecurrentActivation: r.str("recurrent_activation", "hard_sigmoid"),
			UseBias: r.boolean("use_bias", true), ReturnSequences: r.boolean("return_sequences", false),
			GoBackwards: r.boolean("go_backwards", false), UnitForgetBias: r.boolean("unit_forget_bias", true),
			ResetAfter: r.boolean("reset_after", false), Implementation: r.int("implementation", 1),
			Dropout: r.float("dropout", 0), RecurrentDropout: r.float("recurrent_dropout", 0),
		}
		for _, key := range []string{"return_state", "stateful", "time_major"} {
			if r.boolean(key, false) {
				r.keep(fmt.Errorf("%s true is not supported", key))
			}
		}
		r.boolean("unroll", false) // the same math unrolled or not
		l := newRecurrent(kind, r.int("units", 0), cfg, o)
		l.zeroMasked = r.boolean("zero_output_for_mask", false)
		return l
	}
}

func init() {
	for _, k := range []rnnKind{kindSimpleRNN, kindLSTM, kindGRU} {
		fn := recurrentFromConfig(k)
		RegisterLayer(rnnClasses[k], func(c Config) (Layer, error) {
			opts, err := c.common()
			if err != nil {
				return nil, err
			}
			r := &reader{c: c}
			return built(fn(r, opts), r)
		})
	}
}
