package nn

// Keras' remaining built-in activations: elu, selu, softplus, softsign and
// exponential, in plain Go (float64 inside, rounded once). Each derivative
// follows from the activation's output, so layers keep no input for it.

import "math"

const (
	actELU         activation = "elu"
	actSELU        activation = "selu"
	actSoftplus    activation = "softplus"
	actSoftsign    activation = "softsign"
	actExponential activation = "exponential"
)

// selu's constants, as Keras defines them.
const (
	seluAlpha = 1.6732632423543772848170429916717
	seluScale = 1.0507009873554804934193349852946
)

// applyMore computes y = a(y) in place.
func applyMore(a activation, y []float32) {
	for i, v := range y {
		x := float64(v)
		switch a {
		case actELU:
			x = eluOf(x, 1)
		case actSELU:
			x = seluScale * eluOf(x, seluAlpha)
		case actSoftplus:
			x = softplus(x)
		case actSoftsign:
			x /= 1 + math.Abs(x)
		case actExponential:
			x = math.Exp(x)
		}
		y[i] = float32(x)
	}
}

// backwardMore sets dpre = a'(x) * dy from the output y. dpre may alias dy.
func backwardMore(a activation, y, dy, dpre []float32) {
	for i, v := range y {
		o, d := float64(v), 1.0
		switch a {
		case actELU:
			if o <= 0 {
				d = o + 1 // alpha * exp(x) = y + alpha
			}
		case actSELU:
			d = seluScale
			if o <= 0 {
				d = o + seluScale*seluAlpha
			}
		case actSoftplus:
			d = -math.Expm1(-o) // sigmoid(x) = 1 - exp(-softplus(x))
		case actSoftsign:
			d = (1 - math.Abs(o)) * (1 - math.Abs(o))
		case actExponential:
			d = o
		}
		dpre[i] = float32(d * float64(dy[i]))
	}
}

// eluOf is x for x > 0, alpha * (exp(x) - 1) otherwise.
func eluOf(x, alpha float64) float64 {
	if x > 0 {
		return x
	}
	return alpha * math.Expm1(x)
}

// softplus is log(1 + exp(x)), without overflow for large x.
func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}
