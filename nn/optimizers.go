package nn

import (
	"cmp"
	"math"
)

// Optimizer updates variables from their gradients, one step per Update.
type Optimizer interface {
	// Update applies one step to vars using each variable's Grad.
	Update(vars []*Variable)
	LearningRate() float64
	SetLearningRate(lr float64)
}

// OptimizerOptions are the options every optimizer takes, with Keras'
// meaning. Zero means off.
type OptimizerOptions struct {
	LearningRate float64
	// WeightDecay is decoupled decay, applied before the update as in Keras
	// 3 and AdamW: w -= lr * WeightDecay * w.
	WeightDecay float64
	// ClipNorm rescales each variable's gradient to at most this L2 norm.
	ClipNorm float64
	// GlobalClipNorm rescales all gradients together to at most this norm.
	GlobalClipNorm float64
	// ClipValue clips every gradient value to [-ClipValue, ClipValue].
	ClipValue float64
}

// optimizerBase holds the common options, the step count and per-variable slots.
type optimizerBase struct {
	opts       OptimizerOptions
	iterations int
	slots      map[*Variable][][]float32
	live       []*Variable
}

func (o *optimizerBase) LearningRate() float64      { return o.opts.LearningRate }
func (o *optimizerBase) SetLearningRate(lr float64) { o.opts.LearningRate = lr }

// slot returns the variable's k-th state array (zero at first).
func (o *optimizerBase) slot(v *Variable, k, n int) []float32 {
	if o.slots == nil {
		o.slots = map[*Variable][][]float32{}
	}
	s := o.slots[v]
	for len(s) < n {
		s = append(s, make([]float32, len(v.data)))
	}
	o.slots[v] = s
	return s[k]
}

// prepare clips the gradients and applies weight decay; it returns the
// variables that have a gradient.
func (o *optimizerBase) prepare(vars []*Variable) []*Variable {
	live := o.live[:0]
	for _, v := range vars {
		if v.grad != nil && v.trainable {
			live = append(live, v)
		}
	}
	o.live = live
	if c := o.opts.ClipValue; c > 0 {
		for _, v := range live {
			for i, g := range v.grad {
				v.grad[i] = float32(min(max(float64(g), -c), c))
			}
		}
	}
	if c := o.opts.ClipNorm; c > 0 {
		for _, v := range live {
			scaleToNorm(c, norm2(v.grad), v.grad)
		}
	}
	if c := o.opts.GlobalClipNorm; c > 0 {
		total := 0.0
		for _, v := range live {
			total += norm2(v.grad)
		}
		for _, v := range live {
			scaleToNorm(c, total, v.grad)
		}
	}
	if wd := o.opts.WeightDecay; wd > 0 {
		f := 1 - o.opts.LearningRate*wd
		for _, v := range live {
			for i, w := range v.data {
				v.data[i] = float32(float64(w) * f)
			}
		}
	}
	o.iterations++
	return live
}

func norm2(g []float32) float64 {
	s := 0.0
	for _, x := range g {
		s += float64(x) * float64(x)
	}
	return s
}

// scaleToNorm scales g by c/sqrt(sq) when the norm sqrt(sq) exceeds c.
func scaleToNorm(c, sq float64, g []float32) {
	n := math.Sqrt(sq)
	if n <= c {
		return
	}
	f := c / n
	for i, x := range g {
		g[i] = float32(float64(x) * f)
	}
}

// SGDConfig configures SGD. LearningRate 0 means Keras' 0.01.
type SGDConfig struct {
	OptimizerOptions
	Momentum float64
	Nesterov bool
}

// SGD is Keras' stochastic gradient descent: v = momentum*v - lr*g, then
// w += v, or with Nesterov w += momentum*v - lr*g.
type SGD struct {
	optimizerBase
	cfg SGDConfig
}

// NewSGD returns an SGD optimizer.
func NewSGD(cfg SGDConfig) *SGD {
	cfg.LearningRate = cmp.Or(cfg.LearningRate, 0.01)
	return &SGD{optimizerBase{opts: cfg.OptimizerOptions}, cfg}
}

func (o *SGD) Update(vars []*Variable) {
	lr, mu := o.opts.LearningRate, o.cfg.Momentum
	for _, v := range o.prepare(vars) {
		if mu == 0 {
			for i, g := range v.grad {
				v.data[i] = float32(float64(v.data[i]) - lr*float64(g))
			}
			v.changed()
			continue
		}
		vel := o.slot(v, 0, 1)
		for i, g := range v.grad {
			nv := mu*float64(vel[i]) - lr*float64(g)
			vel[i] = float32(nv)
			if o.cfg.Nesterov {
				v.data[i] = float32(float64(v.data[i]) + mu*nv - lr*float64(g))
			} else {
				v.data[i] = float32(float64(v.data[i]) + nv)
			}
		}
		v.changed()
	}
}

// AdamConfig configures Adam. Zero fields take Keras' defaults: learning
// rate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7.
type AdamConfig struct {
	OptimizerOptions
	Beta1, Beta2, Epsilon float64
	// PyTorchEpsilon adds epsilon to the square root of the bias-corrected
	// second moment, w -= lr * mhat/(sqrt(vhat)+eps), as PyTorch and
	// TensorFlow.js do; the default is Keras' update
	// w -= lr*sqrt(1-beta2^t)/(1-beta1^t) * m/(sqrt(v)+eps).
	PyTorchEpsilon bool
}

// Adam is the Adam optimizer.
type Adam struct {
	optimizerBase
	cfg AdamConfig
}

// NewAdam returns an Adam optimizer.
func NewAdam(cfg AdamConfig) *Adam {
	cfg.LearningRate = cmp.Or(cfg.LearningRate, 1e-3)
	cfg.Beta1 = cmp.Or(cfg.Beta1, 0.9)
	cfg.Beta2 = cmp.Or(cfg.Beta2, 0.999)
	cfg.Epsilon = cmp.Or(cfg.Epsilon, 1e-7)
	return &Adam{optimizerBase{opts: cfg.OptimizerOptions}, cfg}
}

// Update applies one Adam step. TODO(kernels): a fused, threaded Adam
// update kernel; this loop is plain Go, cheap next to a backbone but
// single-threaded for large heads (VGG's fc1 has 103M weights).
func (o *Adam) Update(vars []*Variable) {
	live := o.prepare(vars)
	t := float64(o.iterations)
	b1, b2, eps, lr := o.cfg.Beta1, o.cfg.Beta2, o.cfg.Epsilon, o.opts.LearningRate
	c1, c2 := 1-math.Pow(b1, t), 1-math.Pow(b2, t)
	lrT := lr * math.Sqrt(c2) / c1
	for _, v := range live {
		m, s := o.slot(v, 0, 2), o.slot(v, 1, 2)
		for i, g := range v.grad {
			gg := float64(g)
			mi := b1*float64(m[i]) + (1-b1)*gg
			si := b2*float64(s[i]) + (1-b2)*gg*gg
			m[i], s[i] = float32(mi), float32(si)
			if o.cfg.PyTorchEpsilon {
				v.data[i] = float32(float64(v.data[i]) - lr*(mi/c1)/(math.Sqrt(si/c2)+eps))
			} else {
				v.data[i] = float32(float64(v.data[i]) - lrT*mi/(math.Sqrt(si)+eps))
			}
		}
		v.changed()
	}
}

// RMSpropConfig configures RMSprop. Zero fields take Keras' defaults:
// learning rate 1e-3, rho 0.9, epsilon 1e-7.
type RMSpropConfig struct {
	OptimizerOptions
	Rho, Epsilon float64
}

// RMSprop is Keras' RMSprop: a = rho*a + (1-rho)*g^2, w -= lr*g/(sqrt(a)+eps).
type RMSprop struct {
	optimizerBase
	cfg RMSpropConfig
}

// NewRMSprop returns an RMSprop optimizer.
func NewRMSprop(cfg RMSpropConfig) *RMSprop {
	cfg.LearningRate = cmp.Or(cfg.LearningRate, 1e-3)
	cfg.Rho = cmp.Or(cfg.Rho, 0.9)
	cfg.Epsilon = cmp.Or(cfg.Epsilon, 1e-7)
	return &RMSprop{optimizerBase{opts: cfg.OptimizerOptions}, cfg}
}

func (o *RMSprop) Update(vars []*Variable) {
	rho, eps, lr := o.cfg.Rho, o.cfg.Epsilon, o.opts.LearningRate
	for _, v := range o.prepare(vars) {
		a := o.slot(v, 0, 1)
		for i, g := range v.grad {
			gg := float64(g)
			ai := rho*float64(a[i]) + (1-rho)*gg*gg
			a[i] = float32(ai)
			v.data[i] = float32(float64(v.data[i]) - lr*gg/(math.Sqrt(ai)+eps))
		}
		v.changed()
	}
}
