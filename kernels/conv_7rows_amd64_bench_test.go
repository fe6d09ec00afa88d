//go:build linux && amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// BenchmarkConv7Rows compares (thread clock, min of 40, interleaved), on the 7x7 layers, the 8-row kernels with
// the 7-row ones (49 pixels: 7 strips, no 1-row tail).
func BenchmarkConv7Rows(b *testing.B) {
	prev := SetThreads(1)
	defer SetThreads(prev)
	r := rand.New(rand.NewPCG(1, 1))
	for _, l := range []struct{ c, k, pad, oc int }{{2048, 1, 0, 512}, {512, 1, 0, 2048}, {512, 3, 1, 512}, {1024, 1, 0, 256}} {
		hw := 7
		if l.c == 1024 {
			hw = 14
		}
		p := ConvParams{N: 1, H: hw, W: hw, C: l.c, KH: l.k, KW: l.k, OutC: l.oc,
			PadTop: l.pad, PadBottom: l.pad, PadLeft: l.pad, PadRight: l.pad}
		x := randSlice(r, p.N*p.H*p.W*p.C)
		w := randSlice(r, p.KH*p.KW*p.C*p.OutC)
		bias := randSlice(r, p.OutC)
		y := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC)
		pw := PackConvWeights(p, w)
		b.Run(fmt.Sprintf("%dx%dx%d-%dx%d-%d", hw, hw, l.c, l.k, l.k, l.oc), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			k8, k7 := &pwKernel{8, 32, convKernel8x32Strided}, &pwKernel{7, 32, convKernel7x32Strided}
			c8 := conv8x32
			c8.alt = nil
			for b.Loop() {
				t := [2]time.Duration{1 << 62, 1 << 62}
				for i := 0; i < 40; i++ {
					for v := 0; v < 2; v++ {
						saved := active.conv
						if v == 0 {
							pwForce, active.conv = k8, c8
						} else {
							pwForce, active.conv = k7, conv7x32
						}
						t0 := threadClock()
						Conv2DPacked(p, x, pw, bias, ActReLU, y)
						t[v] = min(t[v], threadClock()-t0)
						pwForce, active.conv = nil, saved
					}
				}
				b.ReportMetric(float64(t[0])/1e6, "mr8-ms")
				b.ReportMetric(float64(t[1])/1e6, "mr7-ms")
			}
		})
	}
}
