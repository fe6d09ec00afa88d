package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestThenSameBits: a Nonlinear fused with Then gives the bits of the
// kernel followed by ApplyNonlinear, on every path: pointwise (blocks of
// whole rows, and column parts when few pixels meet many channels, and
// the one-pixel GEMV), other convolutions, the residual form, and the
// depthwise paths (3x3 rows, kxk, generic).
func TestThenSameBits(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	same := func(t *testing.T, what string, want, got []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
				t.Fatalf("%s: y[%d] = %v, want %v", what, i, got[i], want[i])
			}
		}
	}
	convs := []ConvParams{
		{N: 1, H: 20, W: 21, C: 24, KH: 1, KW: 1, OutC: 40},
		{N: 1, H: 2, W: 3, C: 64, KH: 1, KW: 1, OutC: 512},
		{N: 1, H: 1, W: 1, C: 64, KH: 1, KW: 1, OutC: 100},
		{N: 2, H: 9, W: 9, C: 8, KH: 3, KW: 3, OutC: 16, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
	}
	dws := []DepthwiseParams{
		{N: 1, H: 9, W: 10, C: 32, KH: 3, KW: 3, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 1, H: 9, W: 13, C: 24, KH: 5, KW: 5, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 2},
		{N: 1, H: 6, W: 6, C: 5, KH: 3, KW: 3},
	}
	forVariantsAndThreads(t, func(t *testing.T) {
		for _, f := range []Nonlinear{Swish, HardSwish, GELU} {
			for _, p := range convs {
				p = p.norm()
				x := randSlice(r, p.N*p.H*p.W*p.C)
				w := randSlice(r, p.KH*p.KW*p.C*p.OutC)
				bias := randSlice(r, p.OutC)
				n := p.N * p.OutH() * p.OutW() * p.OutC
				res := randSlice(r, n)
				pw := PackConvWeights(p, w)
				what := fmt.Sprintf("%v %+v", f, p)

				want := make([]float32, n)
				Conv2DPacked(p, x, pw, bias, ActNone, want)
				ApplyNonlinear(f, want, want)
				got := make([]float32, n)
				Conv2DPacked(p, x, pw, bias, Then(f), got)
				same(t, "Conv2DPacked "+what, want, got)
				Conv2D(p, x, w, bias, ActNone, want)
				ApplyNonlinear(f, want, want)
				Conv2D(p, x, w, bias, Then(f), got)
				same(t, "Conv2D "+what, want, got)

				Conv2DPackedAdd(p, x, pw, bias, res, ActNone, want)
				ApplyNonlinear(f, want, want)
				Conv2DPackedAdd(p, x, pw, bias, res, Then(f), got)
				same(t, "Conv2DPackedAdd "+what, want, got)
			}
			for _, p := range dws {
				p = p.norm("case")
				x := randSlice(r, p.N*p.H*p.W*p.C)
				w := randSlice(r, p.KH*p.KW*p.C)
				bias := randSlice(r, p.C)
				n := p.N * p.OutH() * p.OutW() * p.C
				want, got := make([]float32, n), make([]float32, n)
				DepthwiseConv2D(p, x, w, bias, ActNone, want)
				ApplyNonlinear(f, want, want)
				DepthwiseConv2D(p, x, w, bias, Then(f), got)
				same(t, fmt.Sprintf("DepthwiseConv2D %v %+v", f, p), want, got)
			}
		}
	})
}

func TestThenRefusedWhereNotFused(t *testing.T) {
	x := make([]float32, 8)
	defer func() {
		if recover() == nil {
			t.Fatal("AddAct took Then(Swish) without applying it")
		}
	}()
	AddAct(x, x, Then(Swish), x)
}
