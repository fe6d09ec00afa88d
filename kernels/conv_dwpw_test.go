package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestDepthwisePointwise compares the fused depthwise-then-pointwise path
// with the two kernels run one after the other, for each conv variant,
// strides 1 and 2, asymmetric padding, biases or none, each activation, a
// residual (none, separate, in place), batches 1 and 2, 1 and 2 threads,
// and channel counts the fused path does not take.
func TestDepthwisePointwise(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	cases := []struct {
		n, h, w, c, oc, stride int
		pad                    [4]int
	}{
		{1, 9, 11, 32, 17, 1, [4]int{1, 1, 1, 1}},
		{2, 8, 8, 16, 24, 2, [4]int{0, 1, 0, 1}},
		{1, 15, 13, 48, 7, 2, [4]int{1, 1, 1, 1}},
		{2, 7, 7, 64, 33, 1, [4]int{1, 1, 1, 1}},
		{1, 5, 6, 24, 16, 1, [4]int{0, 2, 1, 0}},
		{1, 40, 3, 16, 40, 1, [4]int{1, 1, 1, 1}},
		{1, 6, 6, 7, 9, 1, [4]int{1, 1, 1, 1}},     // not the fused path: C % 8 != 0
		{1, 5, 4, 512, 160, 1, [4]int{1, 1, 1, 1}}, // nor with weights over L2/4
	}
	forVariantsAndThreads(t, func(t *testing.T) {
		for i, cs := range cases {
			dp := DepthwiseParams{N: cs.n, H: cs.h, W: cs.w, C: cs.c, KH: 3, KW: 3, StrideH: cs.stride, StrideW: cs.stride,
				PadTop: cs.pad[0], PadBottom: cs.pad[1], PadLeft: cs.pad[2], PadRight: cs.pad[3]}
			oh, ow := dp.OutH(), dp.OutW()
			pp := ConvParams{N: cs.n, H: oh, W: ow, C: cs.c, KH: 1, KW: 1, OutC: cs.oc}
			for mode := 0; mode < 3; mode++ {
				x := randSlice(r, cs.n*cs.h*cs.w*cs.c)
				dw := randSlice(r, 9*cs.c)
				pw := randSlice(r, cs.c*cs.oc)
				var dwBias, pwBias, res []float32
				if (i+mode)%2 == 0 {
					dwBias, pwBias = randSlice(r, cs.c), randSlice(r, cs.oc)
				}
				dwAct, act := Activation((i+mode)%3), Activation((i+2*mode)%3)
				size := cs.n * oh * ow * cs.oc
				if mode > 0 {
					res = randSlice(r, size)
				}
				mid := make([]float32, cs.n*oh*ow*cs.c)
				DepthwiseConv2D(dp, x, dw, dwBias, dwAct, mid)
				want := naiveConvAdd(pp, mid, pw, pwBias, res, act)
				g := withGuards(make([]float32, size))
				got := g[16 : 16+size]
				for j := range got {
					got[j] = float32(math.NaN())
				}
				if mode == 2 {
					copy(got, res)
					res = got
				}
				DepthwisePointwise(dp, x, dw, dwBias, dwAct, PackConvWeights(pp, pw), pwBias, res, act, got)
				checkGuards(t, g)
				requireClose(t, want, got, cs.c+1, fmt.Sprintf("%+v oc=%d dwAct=%v act=%v res=%d", dp, cs.oc, dwAct, act, mode))
			}
		}
	})
}

// BenchmarkDepthwisePointwise compares the fused path with the two kernels
// one after the other on MobileNetV2's and MobileNet's separable blocks.
func BenchmarkDepthwisePointwise(b *testing.B) {
	defer SetThreads(SetThreads(1))
	for _, s := range []struct{ hw, c, oc, stride int }{
		{112, 32, 16, 1}, {112, 96, 24, 2}, {56, 144, 24, 1}, {56, 144, 32, 2}, {28, 192, 32, 1}, {14, 384, 64, 1},
		{14, 576, 96, 1}, {7, 960, 160, 1}, {7, 960, 320, 1}, {112, 32, 64, 1}, {56, 128, 128, 1}, {28, 256, 256, 1}, {14, 512, 512, 1},
	} {
		dp := DepthwiseParams{N: 1, H: s.hw, W: s.hw, C: s.c, KH: 3, KW: 3, StrideH: s.stride, StrideW: s.stride, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}
		if s.stride == 2 {
			dp.PadTop, dp.PadLeft = 0, 0
		}
		oh, ow := dp.OutH(), dp.OutW()
		pp := ConvParams{N: 1, H: oh, W: ow, C: s.c, KH: 1, KW: 1, OutC: s.oc}
		r := rand.New(rand.NewPCG(1, 2))
		x := randSlice(r, s.hw*s.hw*s.c)
		dw, dwBias := randSlice(r, 9*s.c), randSlice(r, s.c)
		pw := PackConvWeights(pp, randSlice(r, s.c*s.oc))
		pwBias := randSlice(r, s.oc)
		mid := make([]float32, oh*ow*s.c)
		y := make([]float32, oh*ow*s.oc)
		flops := dp.FLOPs() + pp.FLOPs()
		name := fmt.Sprintf("%dx%dx%d-%d-s%d", s.hw, s.hw, s.c, s.oc, s.stride)
		b.Run(name+"/two", func(b *testing.B) {
			for b.Loop() {
				DepthwiseConv2D(dp, x, dw, dwBias, ActReLU6, mid)
				Conv2DPacked(pp, mid, pw, pwBias, ActNone, y)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(name+"/fused", func(b *testing.B) {
			for b.Loop() {
				DepthwisePointwise(dp, x, dw, dwBias, ActReLU6, pw, pwBias, nil, ActNone, y)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
