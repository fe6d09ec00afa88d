package nn

import (
	"fmt"
	"slices"
)

// Keras masks, as simply as Keel runs them: a node remembers which node's
// layer computed its mask (Node.mask: a Masking, or an Embedding with
// mask_zero), carried through the layers Keras passes masks through. A
// layer that reads masks (the recurrent layers) gets, in its plan step, the
// input of that producer as one more input, from which the producer
// recomputes the mask (call.mask); no mask tensor flows through the graph.

// masker is a layer that computes a Keras mask.
type masker interface {
	// producesMask says whether the layer computes a mask at all.
	producesMask() bool
	// maskShape is the per-sample shape of the mask for inputs of shape in.
	maskShape(in []int) []int
	// computeMask sets keep, one entry per mask position of the batch, from
	// the layer's input x: false where the mask hides the position.
	computeMask(x *Tensor, keep []bool)
}

// maskPasser is a layer of this package that passes its input's mask on
// (or not, by its configuration: a recurrent layer returning sequences).
type maskPasser interface {
	passesMask() bool
}

// maskReader is a layer that reads its input's mask.
type maskReader interface {
	readsMask() bool
}

// maskOf returns the node whose layer computed n's mask, as Keras' layers'
// compute_mask propagate it: the producers start one, Dense, Activation,
// Dropout and the normalisations pass it on (they support masking), the
// layers here pass it when they say so. Any other layer drops it: Keras 2
// refuses a mask into a layer without masking support and later tf.keras
// drops it; the merge layers, which combine their inputs' masks in Keras,
// drop them here.
func maskOf(n *Node) *Node {
	if p, ok := n.layer.(masker); ok && p.producesMask() {
		return n
	}
	if len(n.inputs) != 1 || n.inputs[0].mask == nil {
		return nil
	}
	switch l := n.layer.(type) {
	case *Dense, *Activation, *ReLU, *Dropout, *BatchNormalization, *LayerNormalization:
		return n.inputs[0].mask
	case maskPasser:
		if l.passesMask() {
			return n.inputs[0].mask
		}
	}
	return nil
}

// addMaskInput gives step st, the application n of a layer that reads
// masks, the input of the layer that computed its input's mask as one
// more, last input. The mask must be one entry per time step, (batch,
// steps) for inputs (batch, steps, ...), and made in the same model.
func (p *plan) addMaskInput(m *Model, st *step, n *Node, local map[*Node]int) error {
	r, ok := n.layer.(maskReader)
	if !ok || !r.readsMask() || len(n.inputs) != 1 || n.inputs[0].mask == nil {
		return nil
	}
	prod := n.inputs[0].mask
	mk := prod.layer.(masker)
	if len(prod.inputs) != 1 {
		return fmt.Errorf("nn: model %q: mask producer %q has %d inputs", m.name, prod.layer.Name(), len(prod.inputs))
	}
	src, ok := local[prod.inputs[0]]
	if !ok {
		return fmt.Errorf("nn: model %q: layer %q reads a mask made outside the model (by %q): not supported", m.name, n.layer.Name(), prod.layer.Name())
	}
	if ms, in := mk.maskShape(prod.inputs[0].shape), n.inputs[0].shape; len(in) < 1 || !slices.Equal(ms, in[:1]) {
		return fmt.Errorf("nn: model %q: layer %q: the mask of %q has shape %v, want one entry per time step (%v)", m.name, n.layer.Name(), prod.layer.Name(), ms, in[:min(1, len(in))])
	}
	st.in = append(st.in, src)
	st.c.mask = mk
	return nil
}

// stepMask returns, for a layer reading masks, the mask of the batch in
// c (one entry per sample and step) in buf, or nil when there is none.
func stepMask(c *call, buf *[]bool) []bool {
	if c.mask == nil {
		return nil
	}
	x := c.x[len(c.x)-1]
	n := numElements(c.mask.maskShape(x.Shape[1:])) * x.Batch()
	if cap(*buf) < n {
		*buf = make([]bool, n)
	}
	keep := (*buf)[:n]
	c.mask.computeMask(x, keep)
	return keep
}

// Masking is Keras' Masking: a time step (a position of all axes but the
// last) whose values all equal mask_value is masked, and its output zeroed;
// the layers after it that read masks skip it.
type Masking struct {
	base
	value float32
	cols  int
}

// NewMasking returns a Masking layer of the given mask_value (Keras'
// default 0). Options: WithName, WithTrainable.
func NewMasking(maskValue float64, opts ...Option) *Masking {
	s, err := collect("Masking", opts)
	l := &Masking{value: float32(maskValue)}
	l.init(l, "Masking", s, err)
	return l
}

// Config is Keras' Masking config.
func (l *Masking) Config() map[string]any {
	return l.withBase(map[string]any{"mask_value": float64(l.value)})
}

func (l *Masking) producesMask() bool { return true }

func (l *Masking) maskShape(in []int) []int { return slices.Clone(in[:len(in)-1]) }

func (l *Masking) computeMask(x *Tensor, keep []bool) {
	n := x.Shape[len(x.Shape)-1]
	for r := range keep {
		keep[r] = slices.ContainsFunc(x.Data[r*n:(r+1)*n], func(v float32) bool { return v != l.value })
	}
}

func (l *Masking) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *Masking) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if len(in[0]) < 1 {
		return nil, fmt.Errorf("needs at least one dimension")
	}
	l.cols = in[0][len(in[0])-1]
	return slices.Clone(in[0]), nil
}

// maskingState keeps the mask between forward and backward.
type maskingState struct{ keep []bool }

func (l *Masking) forward(c *call) {
	st, _ := c.state.(*maskingState)
	if st == nil {
		st = &maskingState{}
		c.state = st
	}
	x, y, n := c.x[0], c.y.Data, l.cols
	st.keep = slices.Grow(st.keep[:0], len(x.Data)/n)[:len(x.Data)/n]
	l.computeMask(x, st.keep)
	for r, k := range st.keep {
		if k {
			copy(y[r*n:(r+1)*n], x.Data[r*n:(r+1)*n])
		} else {
			clear(y[r*n : (r+1)*n])
		}
	}
}

func (l *Masking) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	dx, dy, n := c.dx[0].Data, c.dy.Data, l.cols
	for r, k := range c.state.(*maskingState).keep {
		if k {
			copy(dx[r*n:(r+1)*n], dy[r*n:(r+1)*n])
		} else {
			clear(dx[r*n : (r+1)*n])
		}
	}
}

func init() {
	RegisterLayer("Masking", func(c Config) (Layer, error) {
		opts, err := c.common()
		if err != nil {
			return nil, err
		}
		r := &reader{c: c}
		return built(NewMasking(r.float("mask_value", 0), opts...), r)
	})
}
