package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// winogradBenchLayers are the 3x3 stride-1 shapes of VGG16 and ResNet50 at
// 224x224, and narrower ones for the channel rule.
var winogradBenchLayers = []struct{ hw, c, oc int }{
	{224, 64, 64}, {112, 64, 128}, {112, 128, 128}, {56, 128, 256}, {56, 256, 256},
	{28, 256, 512}, {28, 512, 512}, {14, 512, 512},
	{56, 64, 64}, {28, 128, 128}, {14, 256, 256}, {7, 512, 512},
	{56, 16, 16}, {56, 32, 32}, {56, 8, 64}, {112, 16, 32},
	// DenseNet121's 3x3 layers (128 -> 32).
	{56, 128, 32}, {28, 128, 32}, {14, 128, 32}, {7, 128, 32},
}

// BenchmarkWinograd compares the direct convolution, F(2x2,3x3) and
// F(4x4,3x3) at one thread (GFLOP/s count the direct algorithm's FLOPs), whether or not the
// rules would choose it.
func BenchmarkWinograd(b *testing.B) {
	tr, ok := winogradAsm()
	if !ok {
		b.Skip("no Winograd assembly here")
	}
	prev := SetThreads(1)
	defer SetThreads(prev)
	r := rand.New(rand.NewPCG(1, 2))
	for _, l := range winogradBenchLayers {
		p := vggParams(l.hw, l.c, l.oc).norm()
		x := randSlice(r, p.N*p.H*p.W*p.C)
		w := randSlice(r, 9*p.C*p.OutC)
		bias := randSlice(r, p.OutC)
		y := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC)
		pw := PackConvWeights(p, w)
		u := packWinogradWeights(p, w, 2)
		u4 := packWinogradWeights(p, w, 4)
		report := func(b *testing.B) {
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		name := fmt.Sprintf("%dx%dx%d-%d", l.hw, l.hw, l.c, l.oc)
		b.Run(name+"/direct", func(b *testing.B) {
			for b.Loop() {
				conv2D(p, x, convWeights{raw: pw.w, packed: pw.panels, nr: pw.nr}, bias, ActReLU, 0, y)
			}
			report(b)
		})
		b.Run(name+"/winograd", func(b *testing.B) {
			for b.Loop() {
				conv2DWinograd(p, tr, x, u, bias, ActReLU, y)
			}
			report(b)
		})
		if active.winograd4.lanes > 0 {
			b.Run(name+"/winograd4", func(b *testing.B) {
				for b.Loop() {
					conv2DWinograd(p, active.winograd4, x, u4, bias, ActReLU, y)
				}
				report(b)
			})
		}
	}
}
