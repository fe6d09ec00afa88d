package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/keelml/keel/internal/splitmix"
)

// Embedding is Keras' Embedding: each input value, an integer index given
// as a float32 (truncated toward zero, as Keras casts it to int32), picks
// a row of embeddings (input_dim, output_dim). An index outside
// [0, input_dim) stops the run with an error. With mask_zero, index 0 is
// masked for the layers after it that read masks.
type Embedding struct {
	base
	inputDim, outputDim int
	maskZero            bool
	inputLength         int // Keras' input_length; 0: None
	embeddings          *Variable
}

// NewEmbedding returns an Embedding of input_dim rows of output_dim values;
// maskZero is Keras' mask_zero. Options: WithName, WithTrainable.
func NewEmbedding(inputDim, outputDim int, maskZero bool, opts ...Option) *Embedding {
	s, err := collect("Embedding", opts)
	if err == nil && (inputDim < 1 || outputDim < 1) {
		err = fmt.Errorf("nn: Embedding: input_dim %d and output_dim %d must be positive", inputDim, outputDim)
	}
	l := &Embedding{inputDim: inputDim, outputDim: outputDim, maskZero: maskZero}
	l.init(l, "Embedding", s, err)
	return l
}

// Config is Keras 2's Embedding config.
func (l *Embedding) Config() map[string]any {
	var length any
	if l.inputLength > 0 {
		length = l.inputLength
	}
	return l.withBase(map[string]any{"input_dim": l.inputDim, "output_dim": l.outputDim, "mask_zero": l.maskZero, "input_length": length})
}

func (l *Embedding) producesMask() bool       { return l.maskZero }
func (l *Embedding) maskShape(in []int) []int { return slices.Clone(in) }

// computeMask keeps the indices that are not 0 (after truncation).
func (l *Embedding) computeMask(x *Tensor, keep []bool) {
	for i, v := range x.Data {
		keep[i] = int32(v) != 0
	}
}

func (l *Embedding) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (l *Embedding) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if l.inputLength > 0 && (len(in[0]) != 1 || in[0][0] != l.inputLength) {
		return nil, fmt.Errorf("input_length %d does not match the input shape %v", l.inputLength, in[0])
	}
	if l.embeddings == nil {
		l.embeddings = l.addWeight("embeddings", []int{l.inputDim, l.outputDim}, true, uniformInit(0.05))
	}
	return append(slices.Clone(in[0]), l.outputDim), nil
}

// index returns the row an input value picks, or an error.
func (l *Embedding) index(v float32) (int, error) {
	if math.IsNaN(float64(v)) || v <= -1 || v >= float32(l.inputDim) {
		return 0, fmt.Errorf("index %v is outside [0, %d) (input_dim)", v, l.inputDim)
	}
	return int(v), nil
}

func (l *Embedding) forward(c *call) {
	x, y, n := c.x[0].Data, c.y.Data, l.outputDim
	for i, v := range x {
		k, err := l.index(v)
		if err != nil {
			c.err = err
			return
		}
		copy(y[i*n:(i+1)*n], l.embeddings.data[k*n:(k+1)*n])
	}
	c.forwardKernel(0)
}

// backward adds each output row's gradient to the row it was read from.
// The indices get a zero gradient: they are not differentiable.
func (l *Embedding) backward(c *call) {
	if c.dx[0] != nil {
		clear(c.dx[0].Data)
	}
	dw := c.dw[0]
	if dw == nil {
		return
	}
	clear(dw)
	n := l.outputDim
	for i, v := range c.x[0].Data {
		k, _ := l.index(v) // forward checked every index
		for j, g := range c.dy.Data[i*n : (i+1)*n] {
			dw[k*n+j] += g
		}
	}
	c.backwardKernel(0)
}

// uniformInit is Keras' RandomUniform(-limit, limit) (Embedding's default
// uniform, limit 0.05), drawn from the variable's path.
type uniformInit float64

func (u uniformInit) fill(v *Variable) {
	r := splitmix.FromString(v.Path())
	for i := range v.data {
		v.data[i] = float32((2*r.U() - 1) * float64(u))
	}
}

func init() {
	RegisterLayer("Embedding", func(c Config) (Layer, error) {
		opts, err := c.common()
		if err != nil {
			return nil, err
		}
		r := &reader{c: c}
		l := NewEmbedding(r.int("input_dim", 0), r.int("output_dim", 0), r.boolean("mask_zero", false), opts...)
		l.inputLength = r.int("input_length", 0)
		return built(l, r)
	})
}
