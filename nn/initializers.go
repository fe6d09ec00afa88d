package nn

import (
	"hash/fnv"
	"math"
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
	r := newSplitMix(v.Path())
	for i := range v.data {
		v.data[i] = float32((2*r.float64() - 1) * limit)
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

// splitMix is the splitmix64 generator, seeded by FNV-1a of a string.
type splitMix struct{ state uint64 }

func newSplitMix(seed string) *splitMix {
	h := fnv.New64a()
	h.Write([]byte(seed))
	return &splitMix{h.Sum64()}
}

func (r *splitMix) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// float64 returns a uniform value in [0, 1) with 24 random bits.
func (r *splitMix) float64() float64 { return float64(r.next()>>40) / (1 << 24) }
