package nn

import (
	"fmt"
	"slices"
	"strings"
)

// Bidirectional is Keras' Bidirectional: a recurrent layer run forward and
// a copy run backward (go_backwards flipped) over the same input, their
// outputs merged (merge_mode concat, sum, mul or ave; None, two outputs, is
// not supported). Returning sequences, the backward layer's output is
// reversed back into input order, and masked steps output zeros, as Keras
// sets zero_output_for_mask. Weights: the forward layer's, then the
// backward one's, named "forward_lstm_1/kernel" and so on, as Keras writes
// them.
type Bidirectional struct {
	base
	fwd, bwd  *Recurrent
	innerName string // the wrapped layer's own name, which Config returns
	customBwd bool   // the backward layer came from backward_layer
	merge     string
	seq       bool
	units     int
}

// bidiState is one application's: the two directions' calls, outputs,
// output gradients and input gradients.
type bidiState struct {
	calls   [2]call
	ys, dxs [2]*Tensor
	dys     [2][]float32
	rev     []float32
}

var bidiMerges = []string{"concat", "sum", "mul", "ave"}

// NewBidirectional wraps fwd, a SimpleRNN, LSTM or GRU not yet applied, with
// merge mode merge; bwd, when not nil, is Keras' backward_layer, else a
// copy of fwd going the other way. Options: WithName, WithTrainable.
func NewBidirectional(fwd, bwd *Recurrent, merge string, opts ...Option) *Bidirectional {
	s, err := collect("Bidirectional", opts)
	l := &Bidirectional{fwd: fwd, bwd: bwd, merge: merge, customBwd: bwd != nil}
	switch {
	case err != nil:
	case fwd == nil:
		err = fmt.Errorf("nn: Bidirectional: no layer to wrap")
	case fwd.err != nil:
		err = fwd.err
	case fwd.built:
		err = fmt.Errorf("nn: Bidirectional: layer %q is already applied", fwd.name)
	case !slices.Contains(bidiMerges, merge):
		err = fmt.Errorf("nn: Bidirectional: merge_mode %q is not supported (concat, sum, mul, ave; None returns two outputs, which Keel does not)", merge)
	}
	if err == nil {
		l.innerName = fwd.name
		if bwd == nil {
			cfg := fwd.cfg
			cfg.GoBackwards = !cfg.GoBackwards
			bwd = newRecurrent(fwd.kind, fwd.units, cfg, []Option{WithName(fwd.name)})
			l.bwd = bwd
		}
		switch {
		case bwd.err != nil:
			err = bwd.err
		case bwd.cfg.GoBackwards == fwd.cfg.GoBackwards || bwd.cfg.ReturnSequences != fwd.cfg.ReturnSequences || bwd.units != fwd.units:
			err = fmt.Errorf("nn: Bidirectional: backward_layer %q must go the other way with the same units and return_sequences as %q", bwd.name, fwd.name)
		}
	}
	if err == nil {
		fwd.name, bwd.name = "forward_"+fwd.name, "backward_"+bwd.name
		l.seq, l.units = fwd.cfg.ReturnSequences, fwd.units
		// Keras: a Bidirectional returning sequences zeroes masked outputs.
		fwd.zeroMasked, bwd.zeroMasked = l.seq, l.seq
	}
	l.init(l, "Bidirectional", s, err)
	return l
}

// Config is Keras' Bidirectional config: the wrapped layer's config under
// "layer" (and "backward_layer" when one was given).
func (l *Bidirectional) Config() map[string]any {
	inner := l.fwd.Config()
	inner["name"] = l.innerName
	c := map[string]any{"layer": map[string]any{"class_name": l.fwd.class, "config": inner}, "merge_mode": l.merge}
	if l.customBwd {
		b := l.bwd.Config()
		b["name"] = l.bwd.name[len("backward_"):]
		c["backward_layer"] = map[string]any{"class_name": l.bwd.class, "config": b}
	}
	return l.withBase(c)
}

func (l *Bidirectional) passesMask() bool { return l.seq }
func (l *Bidirectional) readsMask() bool  { return true }

func (l *Bidirectional) build(in [][]int) ([]int, error) {
	var outs [2][]int
	for i, r := range []*Recurrent{l.fwd, l.bwd} {
		if !r.built {
			r.budget = l.budget
			out, err := r.build(in)
			if err != nil {
				return nil, err
			}
			r.built, r.inShapes, r.outShape = true, in, out
			// The wrapped layers' weights are the wrapper's, named as Keras
			// names them: "bidirectional_1/forward_lstm_1/kernel".
			for _, v := range r.weights {
				v.layer, v.name = l.name, r.name+"/"+v.name
			}
			l.weights = append(l.weights, r.weights...)
		}
		outs[i] = r.outShape
	}
	out := slices.Clone(outs[0])
	if l.merge == "concat" {
		out[len(out)-1] *= 2
	}
	return out, nil
}

func (l *Bidirectional) backwardNeeds(*call, bool) (bool, bool) { return true, l.merge == "mul" }

// innerCall prepares the call of one direction from the wrapper's.
func (l *Bidirectional) innerCall(st *bidiState, i int, c *call) *call {
	ic := &st.calls[i]
	ic.x = append(ic.x[:0], c.x...)
	ic.mask, ic.training, ic.frozen, ic.backward, ic.stats = c.mask, c.training, c.frozen, c.backward, c.stats
	shape := append([]int{c.x[0].Batch()}, l.fwd.outShape...)
	if st.ys[i] == nil || !slices.Equal(st.ys[i].Shape, shape) {
		st.ys[i] = NewTensor(shape...)
	}
	ic.y = st.ys[i]
	return ic
}

func (l *Bidirectional) forward(c *call) {
	st, _ := c.state.(*bidiState)
	if st == nil {
		st = &bidiState{}
		c.state = st
	}
	for i, r := range []*Recurrent{l.fwd, l.bwd} {
		r.forward(l.innerCall(st, i, c))
	}
	yf, yb := st.ys[0].Data, l.backwardInOrder(st, st.ys[1].Data)
	u, y := l.units, c.y.Data
	for r := 0; r < len(yf)/u; r++ {
		f, b := yf[r*u:(r+1)*u], yb[r*u:(r+1)*u]
		switch l.merge {
		case "concat":
			copy(y[2*r*u:], f)
			copy(y[(2*r+1)*u:(2*r+2)*u], b)
		default:
			o := y[r*u : (r+1)*u]
			for j := range o {
				o[j] = mergeTwo(l.merge, f[j], b[j])
			}
		}
	}
}

func mergeTwo(mode string, a, b float32) float32 {
	switch mode {
	case "sum":
		return a + b
	case "mul":
		return a * b
	}
	return (a + b) / 2
}

// backwardInOrder returns the backward layer's output in input order: its
// sequence reversed along the steps (a copy), or as is without sequences.
func (l *Bidirectional) backwardInOrder(st *bidiState, yb []float32) []float32 {
	if !l.seq {
		return yb
	}
	out := scratch(&st.rev, len(yb))
	reverseSteps(out, yb, l.fwd.steps, l.units)
	return out
}

// reverseSteps copies src (batch, steps, u) to dst with the steps reversed.
func reverseSteps(dst, src []float32, steps, u int) {
	for b := 0; b < len(src)/(steps*u); b++ {
		for k := 0; k < steps; k++ {
			copy(dst[(b*steps+k)*u:(b*steps+k+1)*u], src[(b*steps+steps-1-k)*u:(b*steps+steps-k)*u])
		}
	}
}

func (l *Bidirectional) backward(c *call) {
	st := c.state.(*bidiState)
	u, dy := l.units, c.dy.Data
	n := len(st.ys[0].Data)
	df, db := scratch(&st.dys[0], n), scratch(&st.dys[1], n)
	yf, yb := st.ys[0].Data, l.backwardInOrder(st, st.ys[1].Data)
	for r := 0; r < n/u; r++ {
		// Row r in input order is row rb of the backward layer's output.
		rb := r
		if l.seq {
			T := l.fwd.steps
			rb = r - r%T + T - 1 - r%T
		}
		for j := 0; j < u; j++ {
			i, ib := r*u+j, rb*u+j
			switch l.merge {
			case "concat":
				df[i], db[ib] = dy[2*r*u+j], dy[(2*r+1)*u+j]
			case "sum":
				df[i], db[ib] = dy[i], dy[i]
			case "mul":
				df[i], db[ib] = dy[i]*yb[i], dy[i]*yf[i]
			default:
				df[i], db[ib] = dy[i]/2, dy[i]/2
			}
		}
	}
	nf := len(l.fwd.weights)
	for i, r := range []*Recurrent{l.fwd, l.bwd} {
		ic := &st.calls[i]
		ic.dy = &Tensor{Shape: st.ys[i].Shape, Data: st.dys[i]}
		var dx *Tensor
		if c.dx[0] != nil {
			if st.dxs[i] == nil || !slices.Equal(st.dxs[i].Shape, c.dx[0].Shape) {
				st.dxs[i] = NewTensor(c.dx[0].Shape...)
			}
			dx = st.dxs[i]
		}
		ic.dx = append(ic.dx[:0], dx)
		if i == 0 {
			ic.dw = c.dw[:nf]
		} else {
			ic.dw = c.dw[nf:]
		}
		r.backward(ic)
	}
	if c.dx[0] != nil {
		for j := range c.dx[0].Data {
			c.dx[0].Data[j] = st.dxs[0].Data[j] + st.dxs[1].Data[j]
		}
	}
}

// TimeDistributed is Keras' TimeDistributed: the wrapped layer applied to
// every step of inputs (batch, steps, ...), computed as one application
// to a batch of batch*steps. Its weights are the wrapped layer's, under
// the wrapper's name ("time_distributed_1/kernel").
type TimeDistributed struct {
	base
	inner kernelLayer
	steps int
}

// NewTimeDistributed wraps inner, a layer not yet applied (not a model).
// Options: WithName, WithTrainable.
func NewTimeDistributed(inner Layer, opts ...Option) *TimeDistributed {
	s, err := collect("TimeDistributed", opts)
	l := &TimeDistributed{}
	kl, ok := inner.(kernelLayer)
	switch {
	case err != nil:
	case !ok || inner == nil:
		err = fmt.Errorf("nn: TimeDistributed: cannot wrap %v (a layer, not a model)", inner)
	case kl.core().err != nil:
		err = kl.core().err
	case kl.core().built:
		err = fmt.Errorf("nn: TimeDistributed: layer %q is already applied", kl.Name())
	}
	l.inner = kl
	l.init(l, "TimeDistributed", s, err)
	return l
}

// Config is Keras' TimeDistributed config: the wrapped layer's under "layer".
func (l *TimeDistributed) Config() map[string]any {
	return l.withBase(map[string]any{"layer": map[string]any{"class_name": l.inner.ClassName(), "config": l.inner.Config()}})
}

func (l *TimeDistributed) passesMask() bool { return true }

func (l *TimeDistributed) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if len(in[0]) < 2 {
		return nil, fmt.Errorf("needs inputs (batch, steps, ...), got (batch, %v)", in[0])
	}
	ib := l.inner.core()
	if !ib.built {
		ib.budget = l.budget
		inner := [][]int{slices.Clone(in[0][1:])}
		out, err := l.inner.build(inner)
		if err != nil {
			return nil, fmt.Errorf("wrapped layer %q: %w", l.inner.Name(), err)
		}
		ib.built, ib.inShapes, ib.outShape = true, inner, out
		for _, v := range ib.weights {
			v.layer = l.name
		}
		l.weights = ib.weights
	}
	l.steps = in[0][0]
	return append([]int{l.steps}, ib.outShape...), nil
}

func (l *TimeDistributed) backwardNeeds(c *call, wantDW bool) (bool, bool) {
	if bn, ok := l.inner.(backwardNeeder); ok {
		return bn.backwardNeeds(l.innerCall(c), wantDW)
	}
	return true, true
}

// innerCall is the wrapped layer's call of this application, kept as its
// state.
func (l *TimeDistributed) innerCall(c *call) *call {
	ic, _ := c.state.(*call)
	if ic == nil {
		ic = &call{}
		c.state = ic
	}
	ic.training, ic.frozen, ic.backward, ic.stats = c.training, c.frozen, c.backward, c.stats
	return ic
}

// flat views t (batch, steps, ...) as (batch*steps, ...).
func (l *TimeDistributed) flat(t *Tensor) *Tensor {
	if t == nil {
		return nil
	}
	return &Tensor{Shape: append([]int{t.Shape[0] * t.Shape[1]}, t.Shape[2:]...), Data: t.Data}
}

func (l *TimeDistributed) forward(c *call) {
	ic := l.innerCall(c)
	ic.x = append(ic.x[:0], l.flat(c.x[0]))
	ic.y = l.flat(c.y)
	l.inner.forward(ic)
	c.err = ic.err
	ic.err = nil
}

func (l *TimeDistributed) backward(c *call) {
	ic := l.innerCall(c)
	ic.x = append(ic.x[:0], l.flat(c.x[0]))
	ic.y, ic.dy = l.flat(c.y), l.flat(c.dy)
	ic.dx = append(ic.dx[:0], l.flat(c.dx[0]))
	ic.dw = c.dw
	l.inner.backward(ic)
}

func init() {
	wrapped := func(c Config, key string) (Layer, error) {
		spec, ok := c[key].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %v is not a layer", key, c[key])
		}
		class, _ := spec["class_name"].(string)
		cfg, _ := spec["config"].(map[string]any)
		return LayerFromConfig(class, cfg)
	}
	RegisterLayer("Bidirectional", func(c Config) (Layer, error) {
		opts, err := c.common()
		if err != nil {
			return nil, err
		}
		recurrent := func(key string) (*Recurrent, error) {
			if !c.has(key) && key == "backward_layer" {
				return nil, nil
			}
			inner, err := wrapped(c, key)
			if err != nil {
				return nil, err
			}
			r, ok := inner.(*Recurrent)
			if !ok {
				return nil, fmt.Errorf("%s: Keel wraps SimpleRNN, LSTM or GRU, not %s", key, inner.ClassName())
			}
			return r, nil
		}
		fwd, err := recurrent("layer")
		if err != nil {
			return nil, err
		}
		bwd, err := recurrent("backward_layer")
		if err != nil {
			return nil, err
		}
		// Keras 3 (its specs carry "module") names the wrapped layers
		// forward_x and backward_x in the config already, and keeps them.
		if spec, _ := c["layer"].(map[string]any); spec["module"] != nil {
			fwd.name = strings.TrimPrefix(fwd.name, "forward_")
			if bwd != nil {
				bwd.name = strings.TrimPrefix(bwd.name, "backward_")
			}
		}
		merge := "None"
		if m, ok := c["merge_mode"].(string); ok {
			merge = m
		}
		l := NewBidirectional(fwd, bwd, merge, opts...)
		return l, l.err
	})
	RegisterLayer("TimeDistributed", func(c Config) (Layer, error) {
		opts, err := c.common()
		if err != nil {
			return nil, err
		}
		inner, err := wrapped(c, "layer")
		if err != nil {
			return nil, err
		}
		l := NewTimeDistributed(inner, opts...)
		return l, l.err
	})
}
