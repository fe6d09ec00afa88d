package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The input gradient of 3x3 stride-1 convolutions through Winograd, for
// every padding it takes (0 to 2 on each side, asymmetric too), odd sizes,
// two images, against the float64 oracle.
func TestConv2DBackwardInputWinograd(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	pads := [][4]int{{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 1, 2, 0}, {2, 2, 2, 2}}
	for _, path := range paths() {
		withPath(t, path, func() {
			for _, threads := range []int{1, 2} {
				prev := SetThreads(threads)
				for _, pd := range pads {
					p := ConvParams{N: 2, H: 33, W: 35, C: 17, KH: 3, KW: 3, OutC: 24,
						PadTop: pd[0], PadBottom: pd[1], PadLeft: pd[2], PadRight: pd[3]}.norm()
					_, wino := winogradBackwardInputParams(p)
					if want := path != Generic; wino != want {
						t.Fatalf("%s %v: Winograd taken %v, want %v", path, pd, wino, want)
					}
					x := randSlice(r, p.N*p.H*p.W*p.C)
					w := randSlice(r, 9*p.C*p.OutC)
					dy := randSlice(r, p.N*p.OutH()*p.OutW()*p.OutC)
					want, _ := naiveConvBackward(p, x, w, dy)
					g := withGuards(make([]float32, len(x)))
					dx := g[16 : 16+len(x)]
					Conv2DBackwardInput(p, dy, w, dx)
					checkGuards(t, g)
					requireClose(t, want, dx, 9*p.OutC, fmt.Sprintf("%s threads=%d pads %v", path, threads, pd))
				}
				SetThreads(prev)
			}
		})
	}
}

func TestWinogradBackwardInputDeclines(t *testing.T) {
	for _, p := range []ConvParams{
		{N: 1, H: 40, W: 40, C: 32, KH: 3, KW: 3, OutC: 32, StrideH: 2, StrideW: 2}, // strided
		{N: 1, H: 40, W: 40, C: 32, KH: 5, KW: 5, OutC: 32},                         // 5x5
		{N: 1, H: 40, W: 40, C: 32, KH: 3, KW: 3, OutC: 32, PadTop: 3},              // padded past 2
		{N: 1, H: 40, W: 40, C: 8, KH: 3, KW: 3, OutC: 32},                          // too few output channels for q
		{N: 1, H: 8, W: 8, C: 32, KH: 3, KW: 3, OutC: 32},                           // too few tiles
	} {
		if _, ok := winogradBackwardInputParams(p.norm()); ok {
			t.Errorf("%+v: Winograd taken", p)
		}
	}
}
