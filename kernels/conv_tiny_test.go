package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Fewer output pixels than one micro-kernel strip: the tails of MobileNet
// at small inputs (1x1 spatial, small batches), where a block holds no full
// strip at all.
func TestConv2DFewerPixelsThanAStrip(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range []struct{ n, hw, cin, cout, k int }{
		{3, 1, 128, 256, 1}, {1, 1, 7, 33, 1}, {2, 2, 16, 48, 1}, {5, 1, 64, 32, 1}, {3, 1, 8, 16, 3},
	} {
		pad := (c.k - 1) / 2
		p := ConvParams{N: c.n, H: c.hw, W: c.hw, C: c.cin, KH: c.k, KW: c.k, OutC: c.cout,
			StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, PadTop: pad, PadBottom: pad, PadLeft: pad, PadRight: pad}
		x := randSlice(r, c.n*c.hw*c.hw*c.cin)
		w := randSlice(r, c.k*c.k*c.cin*c.cout)
		bias := randSlice(r, c.cout)
		want := make([]float32, c.n*p.OutH()*p.OutW()*c.cout)
		withPath(t, Generic, func() { Conv2D(p, x, w, bias, ActReLU, want) })
		for _, path := range paths() {
			got := make([]float32, len(want))
			withPath(t, path, func() { Conv2D(p, x, w, bias, ActReLU, got) })
			requireClose(t, want, got, c.k*c.k*c.cin, fmt.Sprintf("%s %+v", path, c))
		}
	}
}
