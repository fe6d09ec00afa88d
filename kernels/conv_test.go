package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// naiveConv is the float64 oracle of Conv2D.
func naiveConv(p ConvParams, x, w, bias []float32, act Activation) []float32 {
	p = p.norm()
	oh, ow := p.OutH(), p.OutW()
	y := make([]float32, p.N*oh*ow*p.OutC)
	for n := 0; n < p.N; n++ {
		for r := 0; r < oh; r++ {
			for c := 0; c < ow; c++ {
				for o := 0; o < p.OutC; o++ {
					var s float64
					if bias != nil {
						s = float64(bias[o])
					}
					for kh := 0; kh < p.KH; kh++ {
						ih := r*p.StrideH + kh*p.DilationH - p.PadTop
						for kw := 0; kw < p.KW; kw++ {
							iw := c*p.StrideW + kw*p.DilationW - p.PadLeft
							if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
								continue
							}
							for ci := 0; ci < p.C; ci++ {
								s += float64(x[((n*p.H+ih)*p.W+iw)*p.C+ci]) * float64(w[((kh*p.KW+kw)*p.C+ci)*p.OutC+o])
							}
						}
					}
					y[((n*oh+r)*ow+c)*p.OutC+o] = act.apply(float32(s))
				}
			}
		}
	}
	return y
}

// naiveConvBackward returns dx and dw of sum(conv(x, w) * dy) in float64.
func naiveConvBackward(p ConvParams, x, w, dy []float32) (dx, dw []float32) {
	p = p.norm()
	oh, ow := p.OutH(), p.OutW()
	dx64 := make([]float64, len(x))
	dw64 := make([]float64, p.KH*p.KW*p.C*p.OutC)
	for n := 0; n < p.N; n++ {
		for r := 0; r < oh; r++ {
			for c := 0; c < ow; c++ {
				for kh := 0; kh < p.KH; kh++ {
					ih := r*p.StrideH + kh*p.DilationH - p.PadTop
					for kw := 0; kw < p.KW; kw++ {
						iw := c*p.StrideW + kw*p.DilationW - p.PadLeft
						if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
							continue
						}
						for ci := 0; ci < p.C; ci++ {
							xi := ((n*p.H+ih)*p.W+iw)*p.C + ci
							for o := 0; o < p.OutC; o++ {
								g := float64(dy[((n*oh+r)*ow+c)*p.OutC+o])
								wi := ((kh*p.KW+kw)*p.C+ci)*p.OutC + o
								dx64[xi] += g * float64(w[wi])
								dw64[wi] += g * float64(x[xi])
							}
						}
					}
				}
			}
		}
	}
	return to32(dx64), to32(dw64)
}

func to32(s []float64) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}

// convCases are awkward shapes: channels 1, 3, 7, 17, 33 (and long ones that
// split the reduction), odd sizes, stride 2 on odd inputs with TF's asymmetric
// `same` padding, dilation, 1x1.
func convCases() []ConvParams {
	var cs []ConvParams
	same := func(p ConvParams) ConvParams {
		p = p.norm()
		p.PadTop, p.PadBottom = SamePadding(p.H, p.KH, p.StrideH, p.DilationH)
		p.PadLeft, p.PadRight = SamePadding(p.W, p.KW, p.StrideW, p.DilationW)
		return p
	}
	for _, c := range []int{1, 3, 7, 17, 33} {
		for _, oc := range []int{1, 5, 16, 33} {
			cs = append(cs,
				same(ConvParams{N: 2, H: 7, W: 5, C: c, KH: 3, KW: 3, OutC: oc}),
				same(ConvParams{N: 1, H: 9, W: 7, C: c, KH: 3, KW: 3, OutC: oc, StrideH: 2, StrideW: 2}),
				ConvParams{N: 1, H: 8, W: 9, C: c, KH: 3, KW: 2, OutC: oc, StrideH: 2, StrideW: 1},
			)
		}
	}
	cs = append(cs,
		same(ConvParams{N: 1, H: 8, W: 8, C: 3, KH: 3, KW: 3, OutC: 64, StrideH: 2, StrideW: 2}),
		same(ConvParams{N: 1, H: 6, W: 6, C: 64, KH: 3, KW: 3, OutC: 32}),
		same(ConvParams{N: 1, H: 7, W: 7, C: 40, KH: 3, KW: 3, OutC: 64}),  // 49 pixels: the 7-row kernel (AVX-512)
		same(ConvParams{N: 1, H: 7, W: 7, C: 512, KH: 1, KW: 1, OutC: 64}), // and its strided twin
		same(ConvParams{N: 1, H: 5, W: 5, C: 300, KH: 3, KW: 3, OutC: 48}), // C split over two segments
		same(ConvParams{N: 2, H: 6, W: 7, C: 520, KH: 1, KW: 1, OutC: 17}),
		same(ConvParams{N: 1, H: 9, W: 9, C: 5, KH: 3, KW: 3, OutC: 16, DilationH: 2, DilationW: 2}),
		ConvParams{N: 1, H: 14, W: 14, C: 3, KH: 7, KW: 7, OutC: 8, StrideH: 2, StrideW: 2},
		ConvParams{N: 3, H: 5, W: 5, C: 8, KH: 1, KW: 1, OutC: 40, StrideH: 2, StrideW: 2},
		ConvParams{N: 1, H: 4, W: 4, C: 2, KH: 3, KW: 3, OutC: 3, PadTop: 2, PadBottom: 1, PadLeft: 0, PadRight: 3},
		same(ConvParams{N: 1, H: 13, W: 11, C: 12, KH: 5, KW: 5, OutC: 20, DilationH: 1, DilationW: 2}),
		same(ConvParams{N: 1, H: 40, W: 30, C: 24, KH: 3, KW: 3, OutC: 64}),                        // several pixel blocks
		same(ConvParams{N: 2, H: 9, W: 10, C: 7, KH: 3, KW: 3, OutC: 32}),                          // weight gradient by rows, two images
		same(ConvParams{N: 2, H: 5, W: 24, C: 3, KH: 3, KW: 3, OutC: 64}),                          // strided strips (OutW a multiple of mr)
		same(ConvParams{N: 2, H: 5, W: 28, C: 3, KH: 3, KW: 3, OutC: 64}),                          // tall strided strips (OutW a multiple of 14)
		same(ConvParams{N: 1, H: 3, W: 14, C: 1, KH: 3, KW: 3, OutC: 32}),                          // one tall strip per row, one channel
		same(ConvParams{N: 2, H: 28, W: 28, C: 3, KH: 3, KW: 3, OutC: 16, StrideH: 2, StrideW: 2}), // strided strips, partial panel (MobileNetV3's first layer)
		same(ConvParams{N: 1, H: 6, W: 16, C: 3, KH: 3, KW: 3, OutC: 48}),                          // strided strips, a whole and a partial panel
		same(ConvParams{N: 1, H: 7, W: 21, C: 3, KH: 3, KW: 3, OutC: 24}),                          // 7-row strips, partial panel
		same(ConvParams{N: 1, H: 9, W: 27, C: 3, KH: 7, KW: 7, OutC: 32, StrideH: 2, StrideW: 2}),  // 14 wide at stride 2
		same(ConvParams{N: 2, H: 7, W: 48, C: 5, KH: 3, KW: 3, OutC: 32, StrideH: 2, StrideW: 2}),
		same(ConvParams{N: 3, H: 20, W: 8, C: 9, KH: 3, KW: 3, OutC: 32, StrideH: 2, StrideW: 1}),
	)
	return cs
}

func TestConv2DMatchesNaive(t *testing.T) {
	t.Run("regular", func(t *testing.T) { testConv2DMatchesNaive(t) })
	// Again with non-temporal stores for every output.
	convStreamBytes = 1
	defer func() { convStreamBytes = 0 }()
	t.Run("stream", func(t *testing.T) { testConv2DMatchesNaive(t) })
}

func testConv2DMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	forVariantsAndThreads(t, func(t *testing.T) {
		for i, p := range convCases() {
			x := randSlice(r, p.N*p.H*p.W*p.C)
			w := randSlice(r, p.KH*p.KW*p.C*p.OutC)
			var bias []float32
			if i%2 == 0 {
				bias = randSlice(r, p.OutC)
			}
			act := Activation(i % 3)
			want := naiveConv(p, x, w, bias, act)
			g := withGuards(make([]float32, len(want)))
			got := g[16 : 16+len(want)]
			Conv2D(p, x, w, bias, act, got)
			checkGuards(t, g)
			k := p.KH * p.KW * p.C
			requireClose(t, want, got, k, fmt.Sprintf("Conv2D %+v act=%v", p, act))
			for j := range got {
				got[j] = float32(math.NaN())
			}
			Conv2DPacked(p, x, PackConvWeights(p, w), bias, act, got)
			checkGuards(t, g)
			requireClose(t, want, got, k, fmt.Sprintf("Conv2DPacked %+v", p))

			dy := randSlice(r, len(want))
			wdx, wdw := naiveConvBackward(p, x, w, dy)
			gdx := withGuards(make([]float32, len(x)))
			dx := gdx[16 : 16+len(x)]
			Conv2DBackwardInput(p, dy, w, dx)
			checkGuards(t, gdx)
			requireClose(t, wdx, dx, p.KH*p.KW*p.OutC, fmt.Sprintf("Conv2DBackwardInput %+v", p))
			gdw := withGuards(make([]float32, len(w)))
			dw := gdw[16 : 16+len(w)]
			db := make([]float32, p.OutC)
			Conv2DBackwardWeights(p, x, dy, dw, db)
			checkGuards(t, gdw)
			requireClose(t, wdw, dw, p.N*p.OutH()*p.OutW(), fmt.Sprintf("Conv2DBackwardWeights %+v", p))
		}
	})
}

func TestSamePadding(t *testing.T) {
	for _, c := range []struct{ in, k, s, d, b, a int }{
		{8, 3, 1, 1, 1, 1}, {8, 3, 2, 1, 0, 1}, {7, 3, 2, 1, 1, 1}, {224, 7, 2, 1, 2, 3},
		{5, 1, 1, 1, 0, 0}, {9, 3, 1, 2, 2, 2}, {4, 2, 2, 1, 0, 0}, {3, 5, 1, 1, 2, 2},
	} {
		b, a := SamePadding(c.in, c.k, c.s, c.d)
		if b != c.b || a != c.a {
			t.Errorf("SamePadding(%d, %d, %d, %d) = %d, %d; want %d, %d", c.in, c.k, c.s, c.d, b, a, c.b, c.a)
		}
		if out := ConvOutSize(c.in, c.k, c.s, c.d, b, a); out != (c.in+c.s-1)/c.s {
			t.Errorf("same output size %d, want ceil(%d/%d)", out, c.in, c.s)
		}
	}
}

// TestConvAllocs checks that a forward convolution with packed weights does
// not allocate per call once its workspaces are warm (the worker pool's job
// and the task closure aside).
func TestConvAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	prev := SetThreads(1)
	defer SetThreads(prev)
	r := rand.New(rand.NewPCG(13, 14))
	for _, p := range []ConvParams{
		{N: 1, H: 20, W: 20, C: 32, KH: 3, KW: 3, OutC: 64, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 1, H: 20, W: 20, C: 3, KH: 3, KW: 3, OutC: 64, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
	} {
		x := randSlice(r, p.N*p.H*p.W*p.C)
		w := randSlice(r, p.KH*p.KW*p.C*p.OutC)
		b := randSlice(r, p.OutC)
		y := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC)
		pw := PackConvWeights(p, w)
		allocs := testing.AllocsPerRun(20, func() { Conv2DPacked(p, x, pw, b, ActReLU, y) })
		if allocs > 3 {
			t.Errorf("Conv2DPacked %+v: %.0f allocations per call", p, allocs)
		}
	}
}

// alignedSlice returns n floats starting at a 64-byte boundary.
func alignedSlice(n int) []float32 {
	s := make([]float32, n+16)
	off := int(uintptr(unsafe.Pointer(&s[0]))%64) / 4
	if off != 0 {
		off = 16 - off
	}
	return s[off : off+n]
}

// TestConvStreamingStores runs every kernel with non-temporal stores forced
// on a vector-aligned output.
func TestConvStreamingStores(t *testing.T) {
	convStreamBytes = 1
	defer func() { convStreamBytes = 0 }()
	r := rand.New(rand.NewPCG(15, 16))
	for _, v := range convVariants() {
		withConvVariant(t, v, func() {
			for _, p := range []ConvParams{
				{N: 1, H: 9, W: 7, C: 3, KH: 3, KW: 3, OutC: 64, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
				{N: 2, H: 5, W: 5, C: 40, KH: 3, KW: 3, OutC: 32},
				{N: 1, H: 6, W: 6, C: 300, KH: 1, KW: 1, OutC: 96},
			} {
				p = p.norm()
				x := randSlice(r, p.N*p.H*p.W*p.C)
				w := randSlice(r, p.KH*p.KW*p.C*p.OutC)
				b := randSlice(r, p.OutC)
				want := naiveConv(p, x, w, b, ActReLU6)
				y := alignedSlice(len(want))
				Conv2D(p, x, w, b, ActReLU6, y)
				requireClose(t, want, y, p.KH*p.KW*p.C, fmt.Sprintf("%s stream %+v", v.name, p))
			}
		})
	}
}
