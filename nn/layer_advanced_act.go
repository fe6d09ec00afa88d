package nn

import (
	"fmt"
	"math"
	"slices"
)

// pointwise is what LeakyReLU, ELU and ThresholdedReLU share: y = f(x) per
// value, with the derivative taken at x.
type pointwise struct {
	base
	f, df func(x float64) float64
}

func (p *pointwise) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	return slices.Clone(in[0]), nil
}

func (p *pointwise) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (p *pointwise) forward(c *call) {
	for i, v := range c.x[0].Data {
		c.y.Data[i] = float32(p.f(float64(v)))
	}
	c.forwardKernel(0)
}

func (p *pointwise) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	for i, v := range c.x[0].Data {
		c.dx[0].Data[i] = float32(p.df(float64(v)) * float64(c.dy.Data[i]))
	}
	c.backwardKernel(0)
}

// LeakyReLU is Keras' LeakyReLU: x for x > 0, alpha * x otherwise (Keras
// 3 calls alpha negative_slope).
type LeakyReLU struct {
	pointwise
	alpha float64
}

// NewLeakyReLU returns a LeakyReLU of slope alpha (Keras' default 0.3).
func NewLeakyReLU(alpha float64, opts ...Option) *LeakyReLU {
	s, err := collect("LeakyReLU", opts)
	l := &LeakyReLU{alpha: alpha}
	l.f = func(x float64) float64 { return max(x, 0) + alpha*min(x, 0) }
	l.df = func(x float64) float64 { return slopeAt(x, alpha) }
	l.init(l, "LeakyReLU", s, err)
	return l
}

// slopeAt is 1 above 0 and alpha at or below it.
func slopeAt(x, alpha float64) float64 {
	if x > 0 {
		return 1
	}
	return alpha
}

// Config is Keras 2's LeakyReLU config.
func (l *LeakyReLU) Config() map[string]any { return l.withBase(map[string]any{"alpha": l.alpha}) }

// ELU is Keras' ELU layer: x for x > 0, alpha * (exp(x) - 1) otherwise.
type ELU struct {
	pointwise
	alpha float64
}

// NewELU returns an ELU layer (Keras' default alpha 1).
func NewELU(alpha float64, opts ...Option) *ELU {
	s, err := collect("ELU", opts)
	l := &ELU{alpha: alpha}
	l.f = func(x float64) float64 { return eluOf(x, alpha) }
	l.df = func(x float64) float64 {
		if x > 0 {
			return 1
		}
		return alpha * math.Exp(x)
	}
	l.init(l, "ELU", s, err)
	return l
}

// Config is Keras' ELU config.
func (l *ELU) Config() map[string]any { return l.withBase(map[string]any{"alpha": l.alpha}) }

// ThresholdedReLU is Keras 2's ThresholdedReLU: x for x > theta, else 0.
type ThresholdedReLU struct {
	pointwise
	theta float64
}

// NewThresholdedReLU returns a ThresholdedReLU (Keras' default theta 1).
func NewThresholdedReLU(theta float64, opts ...Option) *ThresholdedReLU {
	s, err := collect("ThresholdedReLU", opts)
	if err == nil && theta < 0 {
		err = fmt.Errorf("nn: ThresholdedReLU: theta %g must be non-negative", theta)
	}
	l := &ThresholdedReLU{theta: theta}
	above := func(x float64) float64 {
		if x > theta {
			return 1
		}
		return 0
	}
	l.f = func(x float64) float64 { return x * above(x) }
	l.df = above
	l.init(l, "ThresholdedReLU", s, err)
	return l
}

// Config is Keras' ThresholdedReLU config.
func (l *ThresholdedReLU) Config() map[string]any {
	return l.withBase(map[string]any{"theta": l.theta})
}

// PReLU is Keras' parametric ReLU: x for x > 0, alpha * x otherwise, with
// a learned alpha of the input's shape, its shared_axes (counted from 1)
// reduced to 1. Weight: alpha.
type PReLU struct {
	base
	shared []int
	alpha  *Variable
	inDims []int
	ad     []int // alpha's shape (per-sample, shared axes 1)
}

// NewPReLU returns a PReLU with alpha shared along the given axes (nil:
// none); alpha starts at 0, Keras' default initializer.
func NewPReLU(sharedAxes []int, opts ...Option) *PReLU {
	s, err := collect("PReLU", opts)
	l := &PReLU{shared: slices.Clone(sharedAxes)}
	l.init(l, "PReLU", s, err)
	return l
}

// Config is Keras' PReLU config.
func (l *PReLU) Config() map[string]any {
	var sa any
	if l.shared != nil {
		sa = slices.Clone(l.shared)
	}
	return l.withBase(map[string]any{
		"alpha_initializer": map[string]any{"class_name": "Zeros", "config": map[string]any{}},
		"alpha_regularizer": nil, "alpha_constraint": nil, "shared_axes": sa,
	})
}

func (l *PReLU) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	ad := slices.Clone(in[0])
	for _, a := range l.shared {
		if a < 1 || a > len(ad) {
			return nil, fmt.Errorf("shared axis %d out of range for inputs of rank %d", a, len(ad)+1)
		}
		ad[a-1] = 1
	}
	l.inDims, l.ad = slices.Clone(in[0]), ad
	if l.alpha == nil {
		l.alpha = l.addWeight("alpha", ad, true, constant(0))
	}
	return slices.Clone(in[0]), nil
}

// alphaIndex maps each per-sample position to its alpha.
func (l *PReLU) alphaIndex(f func(i, a int)) {
	at := make([]int, len(l.ad))
	i := 0
	forGrid(l.inDims, func(idx []int) {
		for d, v := range idx {
			at[d] = min(v, l.ad[d]-1)
		}
		f(i, flatIndex(at, l.ad))
		i++
	})
}

func (l *PReLU) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (l *PReLU) forward(c *call) {
	per, alpha := numElements(l.inDims), l.alpha.data
	l.alphaIndex(func(i, a int) {
		for n := range c.x[0].Batch() {
			v := c.x[0].Data[n*per+i]
			if v <= 0 {
				v *= alpha[a]
			}
			c.y.Data[n*per+i] = v
		}
	})
	c.forwardKernel(0)
}

func (l *PReLU) backward(c *call) {
	per, alpha, dw := numElements(l.inDims), l.alpha.data, c.dw[0]
	if dw != nil {
		clear(dw)
	}
	l.alphaIndex(func(i, a int) {
		for n := range c.x[0].Batch() {
			v, g := c.x[0].Data[n*per+i], c.dy.Data[n*per+i]
			if dw != nil && v < 0 {
				dw[a] += g * v
			}
			if c.dx[0] != nil {
				if v <= 0 {
					g *= alpha[a]
				}
				c.dx[0].Data[n*per+i] = g
			}
		}
	})
	c.backwardKernel(0)
}

// Softmax is Keras' Softmax layer over one axis (default the last; the
// batch counts as axis 0).
type Softmax struct {
	base
	axis                int
	outer, size, stride int
}

// NewSoftmax returns a Softmax over axis. Options: WithName.
func NewSoftmax(axis int, opts ...Option) *Softmax {
	s, err := collect("Softmax", opts)
	l := &Softmax{axis: axis}
	l.init(l, "Softmax", s, err)
	return l
}

// Config is Keras' Softmax config.
func (l *Softmax) Config() map[string]any { return l.withBase(map[string]any{"axis": l.axis}) }

func (l *Softmax) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	rank := len(in[0])
	ax := l.axis - 1
	if l.axis < 0 {
		ax = rank + l.axis
	}
	if ax < 0 || ax >= rank {
		return nil, fmt.Errorf("axis %d out of range for inputs of rank %d", l.axis, rank+1)
	}
	l.outer, l.size, l.stride = numElements(in[0][:ax]), in[0][ax], numElements(in[0][ax+1:])
	return slices.Clone(in[0]), nil
}

func (l *Softmax) backwardNeeds(*call, bool) (bool, bool) { return false, true }

// lines calls f with the offset of every softmax line of a batch of n
// samples; its values are stride apart.
func (l *Softmax) lines(n int, f func(off int)) {
	for o := range n * l.outer {
		for in := range l.stride {
			f(o*l.size*l.stride + in)
		}
	}
}

func (l *Softmax) forward(c *call) {
	x, y, st := c.x[0].Data, c.y.Data, l.stride
	l.lines(c.x[0].Batch(), func(off int) {
		m := math.Inf(-1)
		for k := range l.size {
			m = max(m, float64(x[off+k*st]))
		}
		var s float64
		for k := range l.size {
			e := math.Exp(float64(x[off+k*st]) - m)
			s += e
			y[off+k*st] = float32(e)
		}
		for k := range l.size {
			y[off+k*st] = float32(float64(y[off+k*st]) / s)
		}
	})
	c.forwardKernel(0)
}

func (l *Softmax) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	y, dy, dx, st := c.y.Data, c.dy.Data, c.dx[0].Data, l.stride
	l.lines(c.y.Batch(), func(off int) {
		var dot float64
		for k := range l.size {
			dot += float64(y[off+k*st]) * float64(dy[off+k*st])
		}
		for k := range l.size {
			i := off + k*st
			dx[i] = float32(float64(y[i]) * (float64(dy[i]) - dot))
		}
	})
	c.backwardKernel(0)
}

func init() {
	registerConfig("LeakyReLU", func(r *reader, o []Option) Layer {
		alpha := r.float("alpha", 0.3)
		if r.c.has("negative_slope") { // Keras 3
			alpha = r.float("negative_slope", 0.3)
		}
		return NewLeakyReLU(alpha, o...)
	})
	registerConfig("ELU", func(r *reader, o []Option) Layer { return NewELU(r.float("alpha", 1), o...) })
	registerConfig("ThresholdedReLU", func(r *reader, o []Option) Layer { return NewThresholdedReLU(r.float("theta", 1), o...) })
	registerConfig("PReLU", func(r *reader, o []Option) Layer {
		var shared []int
		if r.c.has("shared_axes") {
			s, err := r.c.ints("shared_axes")
			r.keep(err)
			shared = s
		}
		return NewPReLU(shared, o...)
	})
	registerConfig("Softmax", func(r *reader, o []Option) Layer {
		axis := -1
		if r.c.has("axis") {
			ax, err := r.c.ints("axis")
			if err == nil && len(ax) != 1 {
				err = fmt.Errorf("axis %v: only one axis is supported", r.c["axis"])
			}
			r.keep(err)
			if err == nil {
				axis = ax[0]
			}
		}
		return NewSoftmax(axis, o...)
	})
}
