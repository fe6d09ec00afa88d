package nn

import (
	"math"

	"github.com/keelml/keel/kernels"
)

// Activation is Keras' Activation layer: linear, relu, relu6, sigmoid, tanh
// or softmax (over the last axis).
type Activation struct {
	base
	act  activation
	cols int
}

// NewActivation returns an Activation layer applying the named function.
func NewActivation(name ActivationName, opts ...Option) *Activation {
	s, err := collect("Activation", opts)
	l := &Activation{}
	var aerr error
	l.act, aerr = parseActivation(string(name))
	if err == nil && aerr != nil {
		err = aerr
	}
	l.init(l, "Activation", s, err)
	return l
}

// Config is Keras' Activation config.
func (l *Activation) Config() map[string]any {
	return l.withBase(map[string]any{"activation": string(l.act)})
}

func (l *Activation) activation() activation { return l.act }

func (l *Activation) kernelActivation() (kernels.Activation, bool) {
	k, ok := l.act.fused()
	return k, ok && k != kernels.ActNone
}

func (l *Activation) backwardNeeds(*call, bool) (bool, bool) {
	return l.act.needsPre(), !l.act.needsPre()
}

func (l *Activation) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	l.cols = in[0][len(in[0])-1]
	return append([]int(nil), in[0]...), nil
}

func (l *Activation) forward(c *call) {
	if k, ok := l.act.fused(); ok {
		kernels.Activate(k, c.x[0].Data, c.y.Data)
	} else if f, ok := l.act.nonlinear(); ok {
		kernels.ApplyNonlinear(f, c.x[0].Data, c.y.Data)
	} else {
		copy(c.y.Data, c.x[0].Data)
		l.act.apply(c.y.Data, l.cols)
	}
	c.forwardKernel(0)
}

func (l *Activation) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	if c.lossFused {
		copy(c.dx[0].Data, c.dy.Data)
		return
	}
	l.act.backward(c.x[0].Data, c.y.Data, c.dy.Data, c.dx[0].Data, l.cols)
	c.backwardKernel(0)
}

// ReLU is Keras' ReLU layer: max_value if x >= max_value, x if threshold
// <= x < max_value, negative_slope * (x - threshold) otherwise.
type ReLU struct {
	base
	q kernels.ReLUParams
}

// NewReLU returns a ReLU layer. Options: WithMaxValue (MobileNet's 6),
// WithNegativeSlope, WithThreshold, WithName.
func NewReLU(opts ...Option) *ReLU {
	s, err := collect("ReLU", opts, "max_value", "negative_slope", "threshold")
	l := &ReLU{q: kernels.ReLUParams{MaxValue: float32(s.maxValue), NegativeSlope: float32(s.negSlope), Threshold: float32(s.threshold)}}
	l.init(l, "ReLU", s, err)
	return l
}

// Config is Keras' ReLU config (max_value null when uncapped).
func (l *ReLU) Config() map[string]any {
	var mv any
	if !math.IsInf(float64(l.q.MaxValue), 1) {
		mv = float64(l.q.MaxValue)
	}
	return l.withBase(map[string]any{"max_value": mv, "negative_slope": float64(l.q.NegativeSlope), "threshold": float64(l.q.Threshold)})
}

// kernelActivation says whether the ReLU is plain ReLU or ReLU6, which
// kernels fuse.
func (l *ReLU) kernelActivation() (kernels.Activation, bool) {
	if l.q.NegativeSlope != 0 || l.q.Threshold != 0 {
		return kernels.ActNone, false
	}
	switch {
	case math.IsInf(float64(l.q.MaxValue), 1):
		return kernels.ActReLU, true
	case l.q.MaxValue == 6:
		return kernels.ActReLU6, true
	}
	return kernels.ActNone, false
}

func (l *ReLU) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (l *ReLU) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	return append([]int(nil), in[0]...), nil
}

// The plain ReLU and ReLU6 forms (MobileNet's) take the faster kernels.
func (l *ReLU) forward(c *call) {
	if act, ok := l.kernelActivation(); ok {
		kernels.Activate(act, c.x[0].Data, c.y.Data)
	} else {
		kernels.ReLUGeneral(l.q, c.x[0].Data, c.y.Data)
	}
	c.forwardKernel(0)
}

func (l *ReLU) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	if act, ok := l.kernelActivation(); ok {
		kernels.ActivateBackward(act, c.x[0].Data, c.dy.Data, c.dx[0].Data)
	} else {
		kernels.ReLUGeneralBackward(l.q, c.x[0].Data, c.dy.Data, c.dx[0].Data)
	}
	c.backwardKernel(0)
}
