package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/keelml/keel/kernels"
)

// GemmOptions configure the gemm suite.
type GemmOptions struct {
	Common
	Sizes   []int // square products' sizes
	VGG     bool  // also VGG16's conv layers lowered by im2col
	Samples int   // timed samples per figure (the median is reported)
}

// Gemm measures Sgemm's GFLOP/s on square products and VGG16's im2col shapes.
func Gemm(o GemmOptions, out Sink) error {
	var shapes []gemmShape
	for _, n := range o.Sizes {
		shapes = append(shapes, gemmShape{fmt.Sprintf("square%d", n), n, n, n})
	}
	if o.VGG {
		vgg, err := vgg16GemmShapes()
		if err != nil {
			return err
		}
		shapes = append(shapes, vgg...)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, t := range o.threads() {
		peak := PeakGFLOPS(Wall, t)
		o.logf("threads %d: FMA peak %.1f GFLOP/s, kernels %s", t, peak, kernels.ActivePath())
		for _, s := range shapes {
			a := uniform(r, s.m*s.k, -1, 1)
			b := uniform(r, s.k*s.n, -1, 1)
			c := make([]float32, s.m*s.n)
			var secs float64
			WithThreads(t, func() {
				secs = Time(Options{Samples: o.Samples}, func() {
					kernels.Sgemm(false, false, s.m, s.n, s.k, 1, a, s.k, b, s.n, 0, c, s.n)
				})
			})
			rec := Record{
				Bench: "gemm", Name: s.name, Threads: t, Batch: 1, Seconds: secs,
				GFLOPS:     2 * float64(s.m) * float64(s.n) * float64(s.k) / secs / 1e9,
				PeakGFLOPS: peak,
				Extra:      map[string]any{"m": s.m, "n": s.n, "k": s.k, "kernels": string(kernels.ActivePath())},
			}
			if err := out.Write(rec); err != nil {
				return err
			}
		}
	}
	return nil
}
