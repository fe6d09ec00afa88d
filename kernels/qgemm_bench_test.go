package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkQGemm reports GOP/s (2*m*n*k per call) of QGemm (requantized
// output, bias, no residual) and, for comparison, of SgemmPacked on the same
// shapes, per table: ResNet50-like im2col shapes, the classifier at batch
// 1, and two MobileNetV2 pointwise layers (small k, n not a multiple of 16). Threads: the default (set with -cpu).
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
		{"mbv2_expand_12544x16x96", 12544, 16, 96},
		{"mbv2_project_3136x144x24", 3136, 144, 24},
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
					SetThreads(0)
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
					SetThreads(0)
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

// BenchmarkQDepthwise reports GOP/s of QDepthwise and of the float32
// DepthwiseConv2D on MobileNetV2-like 3x3 layers, per table.
func BenchmarkQDepthwise(b *testing.B) {
	shapes := []struct {
		name string
		p    DepthwiseParams
	}{
		{"112x112x96_s2", DepthwiseParams{N: 1, H: 112, W: 112, C: 96, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadBottom: 1, PadRight: 1}},
		{"28x28x192_s1", DepthwiseParams{N: 1, H: 28, W: 28, C: 192, KH: 3, KW: 3, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}},
		{"7x7x960_s1", DepthwiseParams{N: 1, H: 7, W: 7, C: 960, KH: 3, KW: 3, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}},
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for _, path := range paths() {
		for _, s := range shapes {
			p := s.p
			m := p.N * p.OutH() * p.OutW()
			b.Run(fmt.Sprintf("%s/int8/%s", path, s.name), func(b *testing.B) {
				withPath(b, path, func() {
					SetThreads(0)
					x, w := randU8(rng, p.N*p.H*p.W*p.C), randI8(rng, 9*p.C)
					qw := PackQDepthwise(3, 3, p.C, 1, w)
					ep := randEpilogue(rng, m, p.C, 9, true, false, 0, 0)
					y := make([]uint8, m*p.C)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						QDepthwise(p, x, 3, qw, ep, y)
					}
					b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
				})
			})
			b.Run(fmt.Sprintf("%s/f32/%s", path, s.name), func(b *testing.B) {
				withPath(b, path, func() {
					SetThreads(0)
					x, w := randSlice(rng, p.N*p.H*p.W*p.C), randSlice(rng, 9*p.C)
					y := make([]float32, m*p.C)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						DepthwiseConv2D(p, x, w, nil, ActReLU6, y)
					}
					b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
				})
			})
		}
	}
}

// BenchmarkBF16Gemm reports GFLOP/s of BF16Gemm on the QGemm shapes.
func BenchmarkBF16Gemm(b *testing.B) {
	shapes := []struct {
		name    string
		m, k, n int
	}{
		{"conv2_3x3_3136x576x64", 3136, 576, 64},
		{"conv5_3x3_49x4608x512", 49, 4608, 512},
		{"fc_1x2048x1000", 1, 2048, 1000},
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for _, p := range paths() {
		if p == Generic {
			continue
		}
		for _, s := range shapes {
			b.Run(fmt.Sprintf("%s/%s", p, s.name), func(b *testing.B) {
				withPath(b, p, func() {
					SetThreads(0)
					x, w := randSlice(rng, s.m*s.k), randSlice(rng, s.k*s.n)
					bw := PackBF16Weights(w, s.k, s.n)
					out := make([]float32, s.m*s.n)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						BF16Gemm(s.m, x, s.k, bw, out, s.n, nil, ActNone)
					}
					b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			})
		}
	}
}

// BenchmarkQConv2D reports GOP/s of QConv2D and of the float32 Conv2DPacked
// on ResNet50's stem and a 3x3 layer of its first stage, at batch 1.
func BenchmarkQConv2D(b *testing.B) {
	shapes := []struct {
		name string
		p    ConvParams
	}{
		{"stem_224x224x3_7x7s2_64", ConvParams{N: 1, H: 224, W: 224, C: 3, KH: 7, KW: 7, OutC: 64, StrideH: 2, StrideW: 2, PadTop: 2, PadBottom: 3, PadLeft: 2, PadRight: 3}},
		{"conv2_56x56x64_3x3_64", ConvParams{N: 1, H: 56, W: 56, C: 64, KH: 3, KW: 3, OutC: 64, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}},
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for _, path := range paths() {
		if path == Generic {
			continue
		}
		for _, s := range shapes {
			p := s.p
			k, m := p.KH*p.KW*p.C, p.N*p.OutH()*p.OutW()
			b.Run(fmt.Sprintf("%s/int8/%s", path, s.name), func(b *testing.B) {
				withPath(b, path, func() {
					SetThreads(0)
					x, w := randU8(rng, p.N*p.H*p.W*p.C), randI8(rng, k*p.OutC)
					qw := PackQWeights(w, k, p.OutC)
					ep := randEpilogue(rng, m, p.OutC, k, true, false, 0, 0)
					y := make([]uint8, m*p.OutC)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						QConv2D(p, x, 3, qw, ep, y)
					}
					b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
				})
			})
			b.Run(fmt.Sprintf("%s/f32/%s", path, s.name), func(b *testing.B) {
				withPath(b, path, func() {
					SetThreads(0)
					x, w := randSlice(rng, p.N*p.H*p.W*p.C), randSlice(rng, k*p.OutC)
					pw := PackConvWeights(p, w)
					y := make([]float32, m*p.OutC)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						Conv2DPacked(p, x, pw, nil, ActReLU, y)
					}
					b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
				})
			})
		}
	}
}

// BenchmarkQGemmKernels reports GOP/s of every int8 GEMM kernel this CPU
// runs (AVX-VNNI included, which no table takes on a CPU with AVX-512), on
// the 3x3 conv2 shape, in place of the avx512 table's own.
func BenchmarkQGemmKernels(b *testing.B) {
	m, k, n := 3136, 576, 64
	rng := rand.New(rand.NewPCG(5, 5))
	x, w := randU8(rng, m*k), randI8(rng, k*n)
	ep := randEpilogue(rng, m, n, k, true, false, 0, 0)
	out := make([]uint8, m*n)
	tab := runnableTables()[len(runnableTables())-1]
	for _, qk := range qgemmCandidates() {
		b.Run(qk.name, func(b *testing.B) {
			withPath(b, tab.path, func() {
				SetThreads(0)
				saved := tab.qgemm
				tab.qgemm = qk
				defer func() { tab.qgemm = saved }()
				qw := PackQWeights(w, k, n)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					QGemm(m, x, k, 3, qw, out, n, ep)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
			})
		})
	}
}
