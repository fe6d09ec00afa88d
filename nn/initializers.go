package nn

import (
	"math"

	"github.com/keelml/keel/internal/splitmix"
)

// initializer fills a new variable. Values are drawn from a stream seeded
// by the variable's path ("dense_1/kernel"), so a model built twice starts
// from the same weights.
type initializer interface {
	fill(v *Variable)
}

// constant fills every value with c (Keras' Zeros and Ones).
type constant float32

func (c constant) fill(v *Variable) {
	for i := range v.data {
		v.data[i] = float32(c)
	}
}

// glorotUniform is Keras' default kernel initializer: uniform in
// [-limit, limit] with limit = sqrt(6 / (fan_in + fan_out)).
type glorotUniform struct{ fanIn, fanOut int }

func (g glorotUniform) fill(v *Variable) {
	limit := math.Sqrt(6 / float64(g.fanIn+g.fanOut))
	r := splitmix.FromString(v.Path())
	for i := range v.data {
		v.data[i] = float32((2*r.U() - 1) * limit)
	}
}

// convFans returns Keras' fan_in and fan_out of a kernel whose last two
// dimensions are (in, out) and the rest the receptive field.
func convFans(shape []int) (fanIn, fanOut int) {
	field := 1
	for _, d := range shape[:len(shape)-2] {
		field *= d
	}
	return field * shape[len(shape)-2], field * shape[len(shape)-1]
}
