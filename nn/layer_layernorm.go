package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/keelml/keel/kernels"
)

// LayerNormalization is Keras' layer normalisation over the last axis:
// y = (x - mean) / sqrt(var + epsilon) * gamma + beta per position, with the
// biased variance of that position's values (ConvNeXt). Weights gamma
// (scale), beta (center), in that order.
type LayerNormalization struct {
	base
	axis          int // -1, or the last axis counted with the batch as 0
	epsilon       float64
	center, scale bool
	cols          int
	gamma, beta   *Variable
}

// NewLayerNormalization returns a LayerNormalization over the last axis.
// Options: WithEpsilon (Keras' default 1e-3), WithCenter, WithScale, WithAxis
// (the last only: -1, or 3 for images), WithName, WithTrainable.
func NewLayerNormalization(opts ...Option) *LayerNormalization {
	s, err := collect("LayerNormalization", opts, "axis", "epsilon", "center", "scale")
	l := &LayerNormalization{axis: s.axis, epsilon: s.epsilon, center: s.center, scale: s.scale}
	l.init(l, "LayerNormalization", s, err)
	return l
}

// Config is Keras 3's LayerNormalization config.
func (l *LayerNormalization) Config() map[string]any {
	return l.withBase(map[string]any{"axis": l.axis, "epsilon": l.epsilon, "center": l.center, "scale": l.scale, "rms_scaling": false})
}

func (l *LayerNormalization) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (l *LayerNormalization) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if len(in[0]) < 1 {
		return nil, fmt.Errorf("needs at least one dimension")
	}
	if l.axis != -1 && l.axis != len(in[0]) {
		return nil, fmt.Errorf("axis %d: only the last axis (-1 or %d) is supported", l.axis, len(in[0]))
	}
	l.cols = in[0][len(in[0])-1]
	if l.gamma == nil && l.beta == nil {
		if l.scale {
			l.gamma = l.addWeight("gamma", []int{l.cols}, true, constant(1))
		}
		if l.center {
			l.beta = l.addWeight("beta", []int{l.cols}, true, constant(0))
		}
	}
	return slices.Clone(in[0]), nil
}

// rowStats returns the mean and 1/sqrt(var + eps) of one row, in float64.
func (l *LayerNormalization) rowStats(x []float32) (mean, inv float64) {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	mean = s / float64(len(x))
	var q float64
	for _, v := range x {
		d := float64(v) - mean
		q += d * d
	}
	return mean, 1 / math.Sqrt(q/float64(len(x))+l.epsilon)
}

func (l *LayerNormalization) forward(c *call) {
	x, y, n := c.x[0].Data, c.y.Data, l.cols
	kernels.LayerNormRows(x, len(x)/n, n, l.epsilon, biasOf(l.gamma), biasOf(l.beta), y)
	c.forwardKernel(0)
}

type layerNormState struct {
	xhat, g []float64
	dg, db  []float64
}

func (l *LayerNormalization) backward(c *call) {
	st, _ := c.state.(*layerNormState)
	if st == nil {
		st = &layerNormState{}
		c.state = st
	}
	n := l.cols
	if len(st.xhat) != n {
		st.xhat, st.g, st.dg, st.db = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	}
	clear(st.dg)
	clear(st.db)
	dgamma, dbeta, dx := scaleShiftGrads(c, l.gamma, l.beta)
	x, dy := c.x[0].Data, c.dy.Data
	for r := 0; r+n <= len(x); r += n {
		xr, dyr := x[r:r+n], dy[r:r+n]
		mean, inv := l.rowStats(xr)
		var sg, sgx float64
		for j, v := range xr {
			h := (float64(v) - mean) * inv
			st.xhat[j] = h
			d := float64(dyr[j])
			st.dg[j] += d * h
			st.db[j] += d
			if l.gamma != nil {
				d *= float64(l.gamma.data[j])
			}
			st.g[j] = d
			sg += d
			sgx += d * h
		}
		if dx == nil {
			continue
		}
		sg /= float64(n)
		sgx /= float64(n)
		for j := range xr {
			dx[r+j] = float32(inv * (st.g[j] - sg - st.xhat[j]*sgx))
		}
	}
	for j := 0; j < n; j++ {
		if dgamma != nil {
			dgamma[j] = float32(st.dg[j])
		}
		if dbeta != nil {
			dbeta[j] = float32(st.db[j])
		}
	}
	c.backwardKernel(0)
}

// layerNormFromConfig reads Keras' LayerNormalization config: one axis, the
// last; rms_scaling false.
func layerNormFromConfig(r *reader, o []Option) Layer {
	axis := -1
	if ax, err := r.c.ints("axis"); err == nil && len(ax) == 1 {
		axis = ax[0]
	} else if r.c.has("axis") {
		r.keep(fmt.Errorf("axis %v: only one axis is supported", r.c["axis"]))
	}
	if r.boolean("rms_scaling", false) {
		r.keep(fmt.Errorf("rms_scaling true is not supported"))
	}
	return NewLayerNormalization(append(o, WithAxis(axis), WithEpsilon(r.float("epsilon", 1e-3)),
		WithCenter(r.boolean("center", true)), WithScale(r.boolean("scale", true)))...)
}
