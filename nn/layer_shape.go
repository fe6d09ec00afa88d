package nn

import (
	"fmt"
	"slices"

	"github.com/keelml/keel/internal/splitmix"
)

// Flatten is Keras' Flatten: channels-last data is already in Keras' order,
// so it is a copy into a (batch, n) shape.
type Flatten struct {
	base
	reshaping
}

// reshaping is the work of Flatten and Reshape, which change only the
// shape: the values are copied forward, the gradients back.
type reshaping struct{}

func (reshaping) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (reshaping) forward(c *call) { copy(c.y.Data, c.x[0].Data) }

func (reshaping) backward(c *call) {
	if c.dx[0] != nil {
		copy(c.dx[0].Data, c.dy.Data)
	}
}

// NewFlatten returns a Flatten layer.
func NewFlatten(opts ...Option) *Flatten {
	s, err := collect("Flatten", opts)
	l := &Flatten{}
	l.init(l, "Flatten", s, err)
	return l
}

// Config is Keras' Flatten config.
func (l *Flatten) Config() map[string]any {
	return l.withBase(map[string]any{"data_format": "channels_last"})
}

func (l *Flatten) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	return []int{numElements(in[0])}, nil
}

// Reshape is Keras' Reshape to a per-sample target shape (one -1 allowed).
type Reshape struct {
	base
	reshaping
	target []int
}

// NewReshape returns a Reshape to target (without the batch dimension).
func NewReshape(target []int, opts ...Option) *Reshape {
	s, err := collect("Reshape", opts)
	l := &Reshape{target: slices.Clone(target)}
	l.init(l, "Reshape", s, err)
	return l
}

// Config is Keras' Reshape config.
func (l *Reshape) Config() map[string]any {
	return l.withBase(map[string]any{"target_shape": slices.Clone(l.target)})
}

func (l *Reshape) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	return resolveShape(l.target, numElements(in[0]))
}

// Dropout is Keras' Dropout: in a training step each value is zeroed with
// probability rate and the others scaled by 1/(1-rate); otherwise identity.
type Dropout struct {
	base
	rate  float64
	rng   *splitmix.Stream
	noise []int // Keras' noise_shape, -1 for None; nil: none (layer_dropout_noise.go)
}

// NewDropout returns a Dropout layer. Options: WithSeed, WithName.
func NewDropout(rate float64, opts ...Option) *Dropout {
	s, err := collect("Dropout", opts, "seed")
	if err == nil && (rate < 0 || rate >= 1) {
		err = fmt.Errorf("nn: Dropout: rate %g not in [0, 1)", rate)
	}
	l := &Dropout{rate: rate}
	l.init(l, "Dropout", s, err)
	l.rng = splitmix.New(s.seed ^ splitmix.FNV1a64(l.name))
	return l
}

// Config is Keras' Dropout config.
func (l *Dropout) Config() map[string]any {
	return l.withBase(map[string]any{"rate": l.rate, "noise_shape": l.noiseConfig(), "seed": nil})
}

func (l *Dropout) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if err := l.checkNoise(in[0]); err != nil {
		return nil, err
	}
	return slices.Clone(in[0]), nil
}

type dropoutState struct{ mask []float32 }

// TODO(kernels): Dropout's mask and scaling, Concatenate's and Flatten's
// copies are plain Go (memory-bound, single-threaded).

func (l *Dropout) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *Dropout) forward(c *call) {
	if !c.training || l.rate == 0 {
		copy(c.y.Data, c.x[0].Data)
		return
	}
	st, _ := c.state.(*dropoutState)
	if st == nil {
		st = &dropoutState{}
		c.state = st
	}
	mask := scratch(&st.mask, len(c.x[0].Data))
	if l.noise != nil {
		l.noiseMask(c.x[0].Shape, mask)
		for i, v := range c.x[0].Data {
			c.y.Data[i] = v * mask[i]
		}
		return
	}
	keep := float32(1 / (1 - l.rate))
	for i, v := range c.x[0].Data {
		if l.rng.U() < l.rate {
			mask[i] = 0
		} else {
			mask[i] = keep
		}
		c.y.Data[i] = v * mask[i]
	}
}

func (l *Dropout) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	if !c.training || l.rate == 0 {
		copy(c.dx[0].Data, c.dy.Data)
		return
	}
	mask := c.state.(*dropoutState).mask
	for i, g := range c.dy.Data {
		c.dx[0].Data[i] = g * mask[i]
	}
}
