package bench

import (
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/keelml/keel/kernels"
	"github.com/keelml/keel/nn"
)

// Common are the options every suite takes.
type Common struct {
	Threads  []int     // thread counts to measure at, in order; default 1, then 2
	Progress io.Writer // progress lines, never records (nil: none)
}

func (c Common) threads() []int {
	if len(c.Threads) == 0 {
		return []int{1, 2}
	}
	return c.Threads
}

func (c Common) progress() io.Writer {
	if c.Progress == nil {
		return io.Discard
	}
	return c.Progress
}

func (c Common) logf(format string, args ...any) {
	fmt.Fprintf(c.progress(), format+"\n", args...)
}

// WithThreads runs fn with the kernels set to n threads.
func WithThreads(n int, fn func()) {
	prev := kernels.SetThreads(n)
	defer kernels.SetThreads(prev)
	fn()
}

// uniform returns n values drawn uniformly from [lo, hi).
func uniform(r *rand.Rand, n int, lo, hi float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = lo + (hi-lo)*r.Float32()
	}
	return s
}

// RandomTensor is a tensor of the given shape of values drawn uniformly from
// [lo, hi).
func RandomTensor(r *rand.Rand, lo, hi float32, shape ...int) *nn.Tensor {
	t := nn.NewTensor(shape...)
	copy(t.Data, uniform(r, len(t.Data), lo, hi))
	return t
}
