package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// naiveDepthwise returns y (with bias and act) and, for dy, dx and dw of
// sum(depthwise(x, w) * dy), in float64.
func naiveDepthwise(p DepthwiseParams, x, w, bias []float32, act Activation, dy []float32) (y, dx, dw []float32) {
	p = p.norm("naive")
	oh, ow, oc, m := p.OutH(), p.OutW(), p.OutC(), p.Multiplier
	y = make([]float32, p.N*oh*ow*oc)
	dx64 := make([]float64, len(x))
	dw64 := make([]float64, p.KH*p.KW*oc)
	for n := 0; n < p.N; n++ {
		for r := 0; r < oh; r++ {
			for c := 0; c < ow; c++ {
				for ci := 0; ci < p.C; ci++ {
					for j := 0; j < m; j++ {
						o := ci*m + j
						var s float64
						if bias != nil {
							s = float64(bias[o])
						}
						yi := ((n*oh+r)*ow+c)*oc + o
						for kh := 0; kh < p.KH; kh++ {
							ih := r*p.StrideH + kh*p.DilationH - p.PadTop
							for kw := 0; kw < p.KW; kw++ {
								iw := c*p.StrideW + kw*p.DilationW - p.PadLeft
								if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
									continue
								}
								xi := ((n*p.H+ih)*p.W+iw)*p.C + ci
								wi := (kh*p.KW+kw)*oc + o
								s += float64(x[xi]) * float64(w[wi])
								dx64[xi] += float64(dy[yi]) * float64(w[wi])
								dw64[wi] += float64(dy[yi]) * float64(x[xi])
							}
						}
						y[yi] = act.apply(float32(s))
					}
				}
			}
		}
	}
	return y, to32(dx64), to32(dw64)
}

func depthwiseCases() []DepthwiseParams {
	var cs []DepthwiseParams
	same := func(p DepthwiseParams) DepthwiseParams {
		p = p.norm("case")
		p.PadTop, p.PadBottom = SamePadding(p.H, p.KH, p.StrideH, p.DilationH)
		p.PadLeft, p.PadRight = SamePadding(p.W, p.KW, p.StrideW, p.DilationW)
		return p
	}
	for _, c := range []int{1, 3, 7, 8, 17, 24, 33, 40} {
		for _, s := range []int{1, 2} {
			cs = append(cs,
				same(DepthwiseParams{N: 2, H: 7, W: 9, C: c, KH: 3, KW: 3, StrideH: s, StrideW: s}),
				same(DepthwiseParams{N: 1, H: 8, W: 8, C: c, KH: 3, KW: 3, StrideH: s, StrideW: s}),
				DepthwiseParams{N: 1, H: 9, W: 11, C: c, KH: 3, KW: 3, StrideH: s, StrideW: s},
			)
		}
	}
	cs = append(cs,
		same(DepthwiseParams{N: 1, H: 6, W: 6, C: 3, KH: 3, KW: 3, Multiplier: 2}),
		same(DepthwiseParams{N: 1, H: 5, W: 7, C: 8, KH: 3, KW: 3, Multiplier: 3, StrideH: 2, StrideW: 2}),
		same(DepthwiseParams{N: 1, H: 9, W: 9, C: 16, KH: 3, KW: 3, DilationH: 2, DilationW: 2}),
		same(DepthwiseParams{N: 1, H: 7, W: 7, C: 16, KH: 5, KW: 5}),
		DepthwiseParams{N: 1, H: 4, W: 4, C: 8, KH: 3, KW: 3, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 2},
		DepthwiseParams{N: 1, H: 8, W: 8, C: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadBottom: 1, PadRight: 1}, // MobileNet's ZeroPadding2D((0,1),(0,1)) + valid
		DepthwiseParams{N: 1, H: 2, W: 2, C: 8, KH: 3, KW: 3, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		same(DepthwiseParams{N: 2, H: 20, W: 31, C: 64, KH: 3, KW: 3}),
		same(DepthwiseParams{N: 1, H: 9, W: 10, C: 80, KH: 3, KW: 3}), // zmm: a block of 64 and one of 16
		same(DepthwiseParams{N: 1, H: 9, W: 10, C: 48, KH: 3, KW: 3, StrideH: 2, StrideW: 2}),
	)
	// Other filter sizes (MobileNetV3's and EfficientNet's 5x5, ConvNeXt's
	// 7x7): the kxk kernels' blocks of 16 and 8 channels, runs of output
	// pixels with and without a remainder of eight, strides and dilation.
	for _, c := range []int{8, 24, 40, 56} {
		for _, k := range [][2]int{{5, 5}, {7, 7}, {1, 5}, {3, 1}} {
			cs = append(cs,
				same(DepthwiseParams{N: 2, H: 9, W: 19, C: c, KH: k[0], KW: k[1]}),
				same(DepthwiseParams{N: 1, H: 10, W: 17, C: c, KH: k[0], KW: k[1], StrideH: 2, StrideW: 2}),
			)
		}
	}
	cs = append(cs,
		DepthwiseParams{N: 1, H: 11, W: 12, C: 16, KH: 5, KW: 5, StrideH: 1, StrideW: 1},
		same(DepthwiseParams{N: 1, H: 13, W: 13, C: 32, KH: 5, KW: 5, DilationH: 2, DilationW: 2}),
		same(DepthwiseParams{N: 1, H: 7, W: 7, C: 8, KH: 7, KW: 7}), // ConvNeXt's last stage: the filter covers the input
		DepthwiseParams{N: 1, H: 6, W: 9, C: 24, KH: 5, KW: 5, PadTop: 1, PadBottom: 3, PadLeft: 4, PadRight: 0, StrideH: 2, StrideW: 3},
		DepthwiseParams{N: 1, H: 3, W: 12, C: 16, KH: 5, KW: 5, PadTop: 0, PadBottom: 9, PadLeft: 2, PadRight: 2, DilationH: 2}, // rows past the input
	)
	return cs
}

func TestDepthwiseMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	forVariantsAndThreads(t, func(t *testing.T) {
		for i, p := range depthwiseCases() {
			p = p.norm("case")
			x := randSlice(r, p.N*p.H*p.W*p.C)
			w := randSlice(r, p.KH*p.KW*p.OutC())
			var bias []float32
			if i%2 == 0 {
				bias = randSlice(r, p.OutC())
			}
			act := Activation(i % 3)
			dy := randSlice(r, p.N*p.OutH()*p.OutW()*p.OutC())
			wy, wdx, wdw := naiveDepthwise(p, x, w, bias, act, dy)
			what := fmt.Sprintf("%+v act=%v", p, act)
			g := withGuards(make([]float32, len(wy)))
			y := g[16 : 16+len(wy)]
			DepthwiseConv2D(p, x, w, bias, act, y)
			checkGuards(t, g)
			requireClose(t, wy, y, p.KH*p.KW, "DepthwiseConv2D "+what)
			gdx := withGuards(make([]float32, len(x)))
			dx := gdx[16 : 16+len(x)]
			DepthwiseConv2DBackwardInput(p, dy, w, dx)
			checkGuards(t, gdx)
			requireClose(t, wdx, dx, p.KH*p.KW*p.Multiplier, "DepthwiseConv2DBackwardInput "+what)
			gdw := withGuards(make([]float32, len(w)))
			dw := gdw[16 : 16+len(w)]
			DepthwiseConv2DBackwardWeights(p, x, dy, dw, nil)
			checkGuards(t, gdw)
			requireClose(t, wdw, dw, p.N*p.OutH()*p.OutW(), "DepthwiseConv2DBackwardWeights "+what)
		}
	})
}
