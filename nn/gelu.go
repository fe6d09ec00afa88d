package nn

import "math"

// Keras 3's gelu: "gelu" is the exact form 0.5 x (1 + erf(x / sqrt 2))
// (keras.activations.gelu's default, approximate=False); "gelu_approximate"
// is Keel's name for approximate=True, the tanh form
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Their derivatives need
// the input, not the output (needsPre).
const (
	actGELU       activation = "gelu"
	actGELUApprox activation = "gelu_approximate"
)

const geluTanhC = 0.7978845608028654 // sqrt(2/pi)

// TODO(kernels): Gelu and GeluBackward kernels (vectorised, threaded);
// plain Go in float64 until then.

func geluForward(a activation, x, y []float32) {
	forRanges(len(x), 1<<14, func(lo, hi int) { geluForwardRange(a, x[lo:hi], y[lo:hi]) })
}

func geluForwardRange(a activation, x, y []float32) {
	if a == actGELUApprox {
		for i, v := range x {
			z := float64(v)
			y[i] = float32(0.5 * z * (1 + math.Tanh(geluTanhC*(z+0.044715*z*z*z))))
		}
		return
	}
	for i, v := range x {
		z := float64(v)
		y[i] = float32(0.5 * z * (1 + math.Erf(z/math.Sqrt2)))
	}
}

// geluBackward sets dx = gelu'(x) * dy; dx may alias dy.
func geluBackward(a activation, x, dy, dx []float32) {
	forRanges(len(x), 1<<14, func(lo, hi int) { geluBackwardRange(a, x[lo:hi], dy[lo:hi], dx[lo:hi]) })
}

func geluBackwardRange(a activation, x, dy, dx []float32) {
	if a == actGELUApprox {
		for i, v := range x {
			z := float64(v)
			u := geluTanhC * (z + 0.044715*z*z*z)
			t := math.Tanh(u)
			du := geluTanhC * (1 + 3*0.044715*z*z)
			dx[i] = float32(float64(dy[i]) * (0.5*(1+t) + 0.5*z*(1-t*t)*du))
		}
		return
	}
	const invSqrt2Pi = 0.3989422804014327 // 1/sqrt(2 pi)
	for i, v := range x {
		z := float64(v)
		d := 0.5*(1+math.Erf(z/math.Sqrt2)) + z*invSqrt2Pi*math.Exp(-0.5*z*z)
		dx[i] = float32(float64(dy[i]) * d)
	}
}
