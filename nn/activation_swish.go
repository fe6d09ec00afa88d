package nn

// The activations of the Keras 3 applications (MobileNetV3's hard_swish,
// EfficientNet's swish) and both hard_sigmoids. Their derivatives need the
// activation's input, which layers that apply them after a kernel keep in
// call.pre (keepPre).
//
// TODO(kernels): vectorised, threaded kernels; plain Go until then.

import "math"

// needsPre says whether the derivative is computed from the input (pre)
// rather than from the output.
func (a activation) needsPre() bool {
	switch a {
	case actSilu, actSwish, actHardSilu, actHardSwish, actHardSigmoid, actHardSigmoid3, actGELU, actGELUApprox:
		return true
	}
	return false
}

// relu6p3 is relu6(v + 3) / 6 in float32, as Keras 3 computes it.
func relu6p3(v float32) float32 {
	return float32(min(max(v+3, 0), 6)) / 6
}

// applyPreActivation computes y = a(y) in place for the needsPre activations.
func applyPreActivation(a activation, y []float32) {
	switch a {
	case actGELU, actGELUApprox:
		geluForward(a, y, y)
	case actSilu, actSwish:
		for i, v := range y {
			y[i] = v * sigmoid(v)
		}
	case actHardSilu, actHardSwish:
		for i, v := range y {
			y[i] = v * relu6p3(v)
		}
	case actHardSigmoid3:
		for i, v := range y {
			y[i] = relu6p3(v)
		}
	case actHardSigmoid:
		for i, v := range y {
			y[i] = min(max(0.2*v+0.5, 0), 1)
		}
	}
}

// backwardPreActivation sets dpre = a'(pre) * dy. dpre may alias dy.
func backwardPreActivation(a activation, pre, dy, dpre []float32) {
	switch a {
	case actGELU, actGELUApprox:
		geluBackward(a, pre, dy, dpre)
	case actSilu, actSwish:
		for i, v := range pre {
			s := 1 / (1 + math.Exp(-float64(v)))
			dpre[i] = float32(float64(dy[i]) * s * (1 + float64(v)*(1-s)))
		}
	case actHardSilu, actHardSwish:
		for i, v := range pre {
			var d float32
			switch {
			case v > 3:
				d = 1
			case v >= -3:
				d = (2*v + 3) / 6
			}
			dpre[i] = dy[i] * d
		}
	case actHardSigmoid3:
		for i, v := range pre {
			var d float32
			if v > -3 && v < 3 {
				d = 1.0 / 6
			}
			dpre[i] = dy[i] * d
		}
	case actHardSigmoid:
		for i, v := range pre {
			var d float32
			if v > -2.5 && v < 2.5 {
				d = 0.2
			}
			dpre[i] = dy[i] * d
		}
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
