package nn

import (
	"fmt"
	"math"

	"github.com/keelml/keel/internal/splitmix"
)

// rnnActivation is an activation of a recurrent cell, with its derivative
// at the pre-activation (the cells keep pre-activations for backward).
type rnnActivation struct {
	name string
	f    func(x float64) float64
	df   func(x float64) float64
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// rnnActivations are the activations the recurrent layers take: Keras 2's
// hard_sigmoid is clip(0.2x + 0.5, 0, 1), Keras 3's relu6(x + 3) / 6.
var rnnActivations = map[string]rnnActivation{
	"tanh": {"tanh", math.Tanh, func(x float64) float64 { t := math.Tanh(x); return 1 - t*t }},
	"sigmoid": {"sigmoid", sigmoid, func(x float64) float64 {
		s := sigmoid(x)
		return s * (1 - s)
	}},
	"hard_sigmoid":        {"hard_sigmoid", func(x float64) float64 { return min(1, max(0, 0.2*x+0.5)) }, hardSlope(2.5, 0.2)},
	"hard_sigmoid_keras3": {"hard_sigmoid_keras3", func(x float64) float64 { return min(1, max(0, x/6+0.5)) }, hardSlope(3, 1.0/6)},
	"linear":              {"linear", func(x float64) float64 { return x }, func(float64) float64 { return 1 }},
	"relu":                {"relu", func(x float64) float64 { return max(0, x) }, func(x float64) float64 { return step01(x > 0) }},
}

// hardSlope is the derivative of a hard sigmoid: slope inside (-edge, edge).
func hardSlope(edge, slope float64) func(float64) float64 {
	return func(x float64) float64 { return slope * step01(x > -edge && x < edge) }
}

func step01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func parseRNNActivation(key, name string) (rnnActivation, error) {
	if name == "" {
		name = "linear"
	}
	a, ok := rnnActivations[name]
	if !ok {
		return rnnActivation{}, fmt.Errorf("%s %q is not supported (tanh, sigmoid, hard_sigmoid, hard_sigmoid_keras3, relu, linear)", key, name)
	}
	return a, nil
}

// orthogonal is Keras' Orthogonal initializer (gain 1), the recurrent
// kernels' default: rows (or columns, whichever are fewer) orthonormal,
// here by Gram-Schmidt on normal draws.
type orthogonal struct{ rows, cols int }

func (o orthogonal) fill(v *Variable) {
	r := splitmix.FromString(v.Path())
	n, m := o.rows, o.cols // n vectors of length m, orthonormalised
	if n > m {
		n, m = m, n
	}
	vec := make([][]float64, n)
	for i := range vec {
		vec[i] = make([]float64, m)
		for {
			for j := range vec[i] {
				vec[i][j] = math.Sqrt(-2*math.Log(1-r.U())) * math.Cos(2*math.Pi*r.U())
			}
			for _, p := range vec[:i] {
				var d float64
				for j := range p {
					d += p[j] * vec[i][j]
				}
				for j := range p {
					vec[i][j] -= d * p[j]
				}
			}
			var norm float64
			for _, x := range vec[i] {
				norm += x * x
			}
			if norm > 1e-12 {
				for j := range vec[i] {
					vec[i][j] /= math.Sqrt(norm)
				}
				break
			}
		}
	}
	for i := 0; i < o.rows; i++ {
		for j := 0; j < o.cols; j++ {
			if o.rows <= o.cols {
				v.data[i*o.cols+j] = float32(vec[i][j])
			} else {
				v.data[i*o.cols+j] = float32(vec[j][i])
			}
		}
	}
}

// lstmBias is an LSTM's bias initializer with unit_forget_bias: ones for
// the forget gate (the second block of units), zeros elsewhere.
type lstmBias int

func (u lstmBias) fill(v *Variable) {
	clear(v.data)
	for j := int(u); j < 2*int(u); j++ {
		v.data[j] = 1
	}
}
