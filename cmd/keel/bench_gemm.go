package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/keelml/keel/bench"
	"github.com/keelml/keel/kernels"
)

func init() {
	registerBench(benchCommand{name: "gemm", summary: "Sgemm GFLOP/s: square sizes and VGG16's im2col shapes", run: runBenchGemm})
}

// gemmShape is one benchmarked product: C (m x n) = A (m x k) * B (k x n).
type gemmShape struct {
	name    string
	m, n, k int
}

// vgg16ConvShapes are the distinct 3x3 conv layers of VGG16 at 224x224, batch
// 1, lowered by im2col: M = output pixels, N = Cout, K = 9*Cin. Layers with the
// same shape (block3_conv2 and block3_conv3, ...) are measured once, under the
// first name.
var vgg16ConvShapes = []struct {
	layer        string
	hw, cin, out int
}{
	{"block1_conv1", 224, 3, 64}, {"block1_conv2", 224, 64, 64},
	{"block2_conv1", 112, 64, 128}, {"block2_conv2", 112, 128, 128},
	{"block3_conv1", 56, 128, 256}, {"block3_conv2", 56, 256, 256},
	{"block4_conv1", 28, 256, 512}, {"block4_conv2", 28, 512, 512},
	{"block5_conv1", 14, 512, 512},
}

func runBenchGemm(args []string) error {
	fs := flag.NewFlagSet("bench gemm", flag.ContinueOnError)
	bf := addBenchFlags(fs)
	sizes := fs.String("sizes", "128,256,512,1024,2048", "square sizes, comma-separated")
	vgg := fs.Bool("vgg", true, "also run VGG16's conv shapes")
	samples := fs.Int("samples", 5, "timed samples per figure (the median is reported)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	var shapes []gemmShape
	for _, s := range strings.Split(*sizes, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("--sizes: %q is not a positive integer", s)
		}
		shapes = append(shapes, gemmShape{fmt.Sprintf("square%d", n), n, n, n})
	}
	if *vgg {
		for _, l := range vgg16ConvShapes {
			shapes = append(shapes, gemmShape{"vgg16/" + l.layer, l.hw * l.hw, l.out, 9 * l.cin})
		}
	}
	w := bf.writer()
	r := rand.New(rand.NewPCG(1, 2))
	for _, t := range bf.threadCounts() {
		peak := bench.PeakGFLOPS(t)
		progress("threads %d: FMA peak %.1f GFLOP/s, kernels %s", t, peak, kernels.ActivePath())
		for _, s := range shapes {
			a := randFloats(r, s.m*s.k)
			b := randFloats(r, s.k*s.n)
			c := make([]float32, s.m*s.n)
			var secs float64
			_ = withThreads(t, func() error {
				secs = bench.Median(bench.Options{Samples: *samples}, func() {
					kernels.Sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, b, s.n, 0, c, s.n)
				})
				return nil
			})
			rec := bench.Record{
				Bench: "gemm", Name: s.name, Threads: t, Batch: 1, Seconds: secs,
				GFLOPS:     2 * float64(s.m) * float64(s.n) * float64(s.k) / secs / 1e9,
				PeakGFLOPS: peak,
				Extra:      map[string]any{"m": s.m, "n": s.n, "k": s.k, "kernels": string(kernels.ActivePath())},
			}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

func randFloats(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}
