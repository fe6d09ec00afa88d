package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkQGemm reports GOP/s (2*m*n*k per call) of QGemm (requantized
// output, bias, no residual) and, for comparison, of SgemmPacked on the same
// shapes, per table: ResNet50-like im2col shapes and the classifier at batch
// 1. Threads: the default (set with -cpu).
//
//	go test -bench 'QGemm' -run '^$' ./kernels/
func BenchmarkQGemm(b *testing.B) {
	shapes := []struct {
		name    string
		m, k, n int
	}{
		{"conv2_3x3_3136x576x64", 3136, 576, 64},
		{"conv2_1x1_3136x64x256", 3136, 64, 256},
		{"conv5_3x3_49x4608x512", 49, 4608, 512},
		{"fc_1x2048x1000", 1, 2048, 1000},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, p := range paths() {
		for _, s := range shapes {
			if p == Generic && s.m > 100 {
				continue // minutes of pure Go
			}
			ops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
			b.Run(fmt.Sprintf("%s/int8/%s", p, s.name), func(b *testing.B) {
				withPath(b, p, func() {
					x, w := randU8(rng, s.m*s.k), randI8(rng, s.k*s.n)
					qw := PackQWeights(w, s.k, s.n)
					ep := randEpilogue(rng, s.m, s.n, s.k, true, false, 0, 0)
					out := make([]uint8, s.m*s.n)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						QGemm(s.m, x, s.k, 3, qw, out, s.n, ep)
					}
					b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
				})
			})
			b.Run(fmt.Sprintf("%s/f32/%s", p, s.name), func(b *testing.B) {
				withPath(b, p, func() {
					x, w := randSlice(rng, s.m*s.k), randSlice(rng, s.k*s.n)
					pb := PackB(false, s.k, s.n, w, s.n)
					c := make([]float32, s.m*s.n)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						SgemmPacked(false, s.m, s.n, s.k, 1, x, s.k, pb, 0, c, s.n)
					}
					b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
				})
			})
		}
	}
}
