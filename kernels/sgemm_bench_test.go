package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSgemm reports GFLOP/s (2*m*n*k per call) for square sizes and for
// the im2col shapes of VGG16's 3x3 convolutions, at the current thread count
// (set with -cpu, which sets GOMAXPROCS and so the default).
func BenchmarkSgemm(b *testing.B) {
	shapes := []struct {
		name    string
		m, n, k int
	}{
		{"square128", 128, 128, 128},
		{"square256", 256, 256, 256},
		{"square512", 512, 512, 512},
		{"square1024", 1024, 1024, 1024},
		{"vgg16_block1_conv2", 224 * 224, 64, 9 * 64},
		{"vgg16_block3_conv2", 56 * 56, 256, 9 * 256},
		{"vgg16_block5_conv1", 14 * 14, 512, 9 * 512},
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, p := range paths() {
		for _, s := range shapes {
			b.Run(fmt.Sprintf("%s/%s", p, s.name), func(b *testing.B) {
				withPath(b, p, func() {
					SetThreads(0)
					a, bm, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						Sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, bm, s.n, 0, c, s.n)
					}
					b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			})
		}
	}
}
