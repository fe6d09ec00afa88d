package nn

// The activations of the Keras 3 applications (MobileNetV3's hard_swish,
// EfficientNet's swish, ConvNeXt's gelu) and both hard_sigmoids, computed
// by the kernels' Nonlinear functions (float32, threaded). Their
// derivatives need the activation's input, which layers that apply them
// after a kernel keep in call.pre (keepPre).

import "github.com/keelml/keel/kernels"

// needsPre says whether the derivative is computed from the input (pre)
// rather than from the output.
func (a activation) needsPre() bool {
	switch a {
	case actSilu, actSwish, actHardSilu, actHardSwish, actHardSigmoid, actHardSigmoid3, actGELU, actGELUApprox:
		return true
	}
	return false
}

// nonlinear returns the kernel function that computes a, if there is one.
func (a activation) nonlinear() (kernels.Nonlinear, bool) {
	switch a {
	case actSilu, actSwish:
		return kernels.Swish, true
	case actSigmoid:
		return kernels.Sigmoid, true
	case actHardSilu, actHardSwish:
		return kernels.HardSwish, true
	case actHardSigmoid3:
		return kernels.HardSigmoid, true
	case actHardSigmoid:
		return kernels.HardSigmoidKeras2, true
	case actGELU:
		return kernels.GELU, true
	case actGELUApprox:
		return kernels.GELUTanh, true
	}
	return 0, false
}

// applyPreActivation computes y = a(y) in place for the needsPre activations.
func applyPreActivation(a activation, y []float32) {
	if f, ok := a.nonlinear(); ok {
		kernels.ApplyNonlinear(f, y, y)
	}
}

// backwardPreActivation sets dpre = a'(pre) * dy. dpre may alias dy.
func backwardPreActivation(a activation, pre, dy, dpre []float32) {
	if f, ok := a.nonlinear(); ok {
		kernels.NonlinearBackward(f, pre, dy, dpre)
	}
}

// applyKeep applies a to y in place after a kernel (convolutions, Dense),
// first keeping y, the activation's input, in c.pre when backward will
// need it.
func applyKeep(a activation, c *call, y []float32, cols int) {
	if a.needsPre() && c.backward {
		c.pre = append(c.pre[:0], y...)
	}
	a.apply(y, cols)
}
