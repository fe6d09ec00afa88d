package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// vggLayers are VGG16's distinct 3x3 conv shapes at 224x224, batch 1.
var vggLayers = []struct {
	name          string
	hw, cin, cout int
}{
	{"conv1_1", 224, 3, 64}, {"conv1_2", 224, 64, 64},
	{"conv2_1", 112, 64, 128}, {"conv2_2", 112, 128, 128},
	{"conv3_1", 56, 128, 256}, {"conv3_2", 56, 256, 256},
	{"conv4_1", 28, 256, 512}, {"conv4_2", 28, 512, 512},
	{"conv5_1", 14, 512, 512},
}

func vggParams(hw, cin, cout int) ConvParams {
	return ConvParams{N: 1, H: hw, W: hw, C: cin, KH: 3, KW: 3, OutC: cout, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}
}

func BenchmarkConvVGG16(b *testing.B) {
	prev := SetThreads(1)
	defer SetThreads(prev)
	r := rand.New(rand.NewPCG(1, 1))
	for _, l := range vggLayers {
		p := vggParams(l.hw, l.cin, l.cout)
		x := randSlice(r, p.N*p.H*p.W*p.C)
		w := randSlice(r, p.KH*p.KW*p.C*p.OutC)
		bias := randSlice(r, p.OutC)
		y := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC)
		pw := PackConvWeights(p, w)
		b.Run(fmt.Sprintf("%s/forward", l.name), func(b *testing.B) {
			for b.Loop() {
				Conv2DPacked(p, x, pw, bias, ActReLU, y)
			}
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("%s/forward_unpacked", l.name), func(b *testing.B) {
			for b.Loop() {
				Conv2D(p, x, w, bias, ActReLU, y)
			}
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		dx := make([]float32, len(x))
		b.Run(fmt.Sprintf("%s/backward_input", l.name), func(b *testing.B) {
			for b.Loop() {
				Conv2DBackwardInput(p, y, w, dx)
			}
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		dw, db := make([]float32, len(w)), make([]float32, p.OutC)
		b.Run(fmt.Sprintf("%s/backward_weights", l.name), func(b *testing.B) {
			for b.Loop() {
				Conv2DBackwardWeights(p, x, y, dw, db)
			}
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkFMAPeak(b *testing.B) {
	if !canRun(AVX2) {
		b.Skip("no AVX2")
	}
	for b.Loop() {
		PeakFlopsLoopAVX2(1 << 20)
	}
	b.ReportMetric(float64(1<<20)*192*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
