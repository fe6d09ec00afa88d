package nn

import (
	"fmt"
	"slices"

	"github.com/keelml/keel/internal/splitmix"
)

// LayerScale is ConvNeXt's layer scale (keras/src/applications/convnext.py):
// x * gamma over the last axis, gamma (projection_dim) starting at
// init_values.
type LayerScale struct {
	base
	initValues    float64
	projectionDim int
	gamma         *Variable
}

// NewLayerScale returns a LayerScale of projectionDim channels whose gamma
// starts at initValues. Options: WithName, WithTrainable.
func NewLayerScale(initValues float64, projectionDim int, opts ...Option) *LayerScale {
	s, err := collect("LayerScale", opts)
	if err == nil && projectionDim < 1 {
		err = fmt.Errorf("nn: LayerScale: projection_dim %d must be positive", projectionDim)
	}
	l := &LayerScale{initValues: initValues, projectionDim: projectionDim}
	l.init(l, "LayerScale", s, err)
	return l
}

// Config is convnext.py's LayerScale config.
func (l *LayerScale) Config() map[string]any {
	return l.withBase(map[string]any{"init_values": l.initValues, "projection_dim": l.projectionDim})
}

func (l *LayerScale) backwardNeeds(_ *call, wantDW bool) (bool, bool) { return wantDW, false }

func (l *LayerScale) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if len(in[0]) < 1 || in[0][len(in[0])-1] != l.projectionDim {
		return nil, fmt.Errorf("input %v does not end in projection_dim %d", in[0], l.projectionDim)
	}
	if l.gamma == nil {
		l.gamma = l.addWeight("gamma", []int{l.projectionDim}, true, constant(l.initValues))
	}
	return slices.Clone(in[0]), nil
}

// asFold lets the plan fold the scale into the layer before (a Dense or a
// convolution: inference only, as every fold).
func (l *LayerScale) asFold(*call) (*bnFold, bool) { return &bnFold{chScale: l.gamma}, true }

func (l *LayerScale) forward(c *call) {
	x, y, g, n := c.x[0].Data, c.y.Data, l.gamma.data, l.projectionDim
	for r := 0; r+n <= len(x); r += n {
		for j, v := range x[r : r+n] {
			y[r+j] = v * g[j]
		}
	}
	c.forwardKernel(0)
}

func (l *LayerScale) backward(c *call) {
	dy, g, n := c.dy.Data, l.gamma.data, l.projectionDim
	if dx := c.dx[0]; dx != nil {
		for r := 0; r+n <= len(dy); r += n {
			for j, d := range dy[r : r+n] {
				dx.Data[r+j] = d * g[j]
			}
		}
	}
	if dg := c.dw[0]; dg != nil {
		acc := make([]float64, n)
		x := c.x[0].Data
		for r := 0; r+n <= len(dy); r += n {
			for j, d := range dy[r : r+n] {
				acc[j] += float64(d) * float64(x[r+j])
			}
		}
		for j, v := range acc {
			dg[j] = float32(v)
		}
	}
	c.backwardKernel(0)
}

// StochasticDepth is convnext.py's StochasticDepth: identity at inference;
// in a training step each sample's residual branch is dropped with
// probability drop_path_rate and kept samples are scaled by
// 1/(1 - drop_path_rate) (Keras: x / keep_prob * floor(keep_prob + U)).
type StochasticDepth struct {
	base
	rate float64
	rng  *splitmix.Stream
}

// NewStochasticDepth returns a StochasticDepth layer. Options: WithSeed,
// WithName.
func NewStochasticDepth(rate float64, opts ...Option) *StochasticDepth {
	s, err := collect("StochasticDepth", opts, "seed")
	if err == nil && (rate < 0 || rate >= 1) {
		err = fmt.Errorf("nn: StochasticDepth: drop_path_rate %g not in [0, 1)", rate)
	}
	l := &StochasticDepth{rate: rate}
	l.init(l, "StochasticDepth", s, err)
	l.rng = splitmix.New(s.seed ^ splitmix.FNV1a64(l.name))
	return l
}

// Config is convnext.py's StochasticDepth config.
func (l *StochasticDepth) Config() map[string]any {
	return l.withBase(map[string]any{"drop_path_rate": l.rate})
}

func (l *StochasticDepth) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	return slices.Clone(in[0]), nil
}

func (l *StochasticDepth) backwardNeeds(*call, bool) (bool, bool) { return false, false }

type stochasticDepthState struct{ scale []float32 }

func (l *StochasticDepth) forward(c *call) {
	if !c.training || l.rate == 0 {
		copy(c.y.Data, c.x[0].Data)
		return
	}
	st, _ := c.state.(*stochasticDepthState)
	if st == nil {
		st = &stochasticDepthState{}
		c.state = st
	}
	n := c.x[0].Batch()
	st.scale = scratch(&st.scale, n)
	keep := 1 - l.rate
	per := len(c.x[0].Data) / max(n, 1)
	for i := range n {
		s := float32(0)
		if l.rng.U() < keep { // floor(keep + U) is 1
			s = float32(1 / keep)
		}
		st.scale[i] = s
		for j, v := range c.x[0].Data[i*per : (i+1)*per] {
			c.y.Data[i*per+j] = v * s
		}
	}
}

func (l *StochasticDepth) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	if !c.training || l.rate == 0 {
		copy(c.dx[0].Data, c.dy.Data)
		return
	}
	scale := c.state.(*stochasticDepthState).scale
	per := len(c.dy.Data) / max(len(scale), 1)
	for i, s := range scale {
		for j, g := range c.dy.Data[i*per : (i+1)*per] {
			c.dx[0].Data[i*per+j] = g * s
		}
	}
}
