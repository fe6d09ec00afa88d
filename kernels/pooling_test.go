package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// naivePool is the oracle: max over the window's real elements (padding
// ignored), or their mean (divided by the count of real elements).
func naivePool(p PoolParams, x []float32, isMax bool) []float32 {
	oh, ow := p.OutH(), p.OutW()
	y := make([]float32, p.N*oh*ow*p.C)
	for n := 0; n < p.N; n++ {
		for r := 0; r < oh; r++ {
			for c := 0; c < ow; c++ {
				for ch := 0; ch < p.C; ch++ {
					best, sum, cnt := math.Inf(-1), 0.0, 0
					for kh := 0; kh < p.KH; kh++ {
						for kw := 0; kw < p.KW; kw++ {
							ih, iw := r*p.StrideH+kh-p.PadTop, c*p.StrideW+kw-p.PadLeft
							if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
								continue
							}
							v := float64(x[((n*p.H+ih)*p.W+iw)*p.C+ch])
							best, sum, cnt = math.Max(best, v), sum+v, cnt+1
						}
					}
					out := sum / float64(cnt)
					if isMax {
						out = best
					}
					y[((n*oh+r)*ow+c)*p.C+ch] = float32(out)
				}
			}
		}
	}
	return y
}

func TestPoolingMatchesNaive(t *testing.T) {
	for _, v := range convVariants() {
		t.Run(v.name, func(t *testing.T) {
			withConvVariant(t, v, func() { testPoolingMatchesNaive(t) })
		})
	}
}

func testPoolingMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, c := range []int{1, 3, 7, 8, 17, 33, 40, 64} {
		for _, k := range [][3]int{{2, 2, 2}, {3, 3, 2}, {3, 3, 1}, {2, 3, 1}} {
			for _, hw := range [][2]int{{7, 7}, {8, 9}, {5, 4}} {
				p := PoolParams{N: 2, H: hw[0], W: hw[1], C: c, KH: k[0], KW: k[1], StrideH: k[2], StrideW: k[2]}
				for _, same := range []bool{false, true} {
					if same {
						p.PadTop, p.PadBottom = SamePadding(p.H, p.KH, p.StrideH, 1)
						p.PadLeft, p.PadRight = SamePadding(p.W, p.KW, p.StrideW, 1)
					}
					x := randSlice(r, p.N*p.H*p.W*p.C)
					for i := range x {
						x[i] -= 2 // all negative: a padded zero would win a max
					}
					for _, isMax := range []bool{true, false} {
						want := naivePool(p, x, isMax)
						g := withGuards(make([]float32, len(want)))
						got := g[16 : 16+len(want)]
						if isMax {
							MaxPool2D(p, x, got)
						} else {
							AvgPool2D(p, x, got)
						}
						checkGuards(t, g)
						requireClose(t, want, got, p.KH*p.KW, "pool")
					}
				}
			}
		}
	}
}

func TestZeroPad2D(t *testing.T) {
	p := PadParams{N: 1, H: 2, W: 2, C: 1, Top: 0, Bottom: 1, Left: 0, Right: 1}
	y := make([]float32, 9)
	for i := range y {
		y[i] = 7
	}
	ZeroPad2D(p, []float32{1, 2, 3, 4}, y)
	require.Equal(t, []float32{1, 2, 0, 3, 4, 0, 0, 0, 0}, y)
	dx := make([]float32, 4)
	ZeroPad2DBackward(p, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, dx)
	require.Equal(t, []float32{1, 2, 4, 5}, dx)
}

// TestMaxPoolBackwardTwins compares the assembly routing with the Go loop,
// ties included (repeated values route to the first in window order).
func TestMaxPoolBackwardTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	vs := convVariants()
	for _, c := range []int{8, 16, 24, 64} {
		for _, k := range [][3]int{{2, 2, 2}, {3, 3, 2}, {3, 3, 1}, {2, 3, 1}} {
			p := PoolParams{N: 2, H: 9, W: 8, C: c, KH: k[0], KW: k[1], StrideH: k[2], StrideW: k[2]}
			p.PadTop, p.PadBottom = SamePadding(p.H, p.KH, p.StrideH, 1)
			p.PadLeft, p.PadRight = SamePadding(p.W, p.KW, p.StrideW, 1)
			x := randSlice(r, p.N*p.H*p.W*p.C)
			for i := range x {
				x[i] = float32(int(x[i] * 3)) // many ties
			}
			dy := randSlice(r, p.N*p.OutH()*p.OutW()*p.C)
			var outs [][]float32
			for _, v := range vs {
				dx := make([]float32, len(x))
				for i := range dx {
					dx[i] = 99
				}
				withConvVariant(t, v, func() { MaxPool2DBackward(p, x, dy, dx) })
				outs = append(outs, dx)
			}
			for i := 1; i < len(outs); i++ {
				requireClose(t, outs[0], outs[i], 9, fmt.Sprintf("%+v %s", p, vs[i].name))
			}
		}
	}
}

// TestGlobalAvgPoolBits: every table sums in float64, row after row, so the
// assembly and the Go loop give the same bits (channel counts with and
// without a block of 32 and a rest below 8).
func TestGlobalAvgPoolBits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	forVariantsAndThreads(t, func(t *testing.T) {
		for _, c := range []int{1, 3, 8, 16, 40, 72, 100} {
			for _, hw := range []int{1, 7, 49} {
				n := 2
				x := randSlice(r, n*hw*c)
				want := make([]float32, n*c)
				for b := 0; b < n; b++ {
					for j := 0; j < c; j++ {
						var s float64
						for p := 0; p < hw; p++ {
							s += float64(x[(b*hw+p)*c+j])
						}
						want[b*c+j] = float32(s / float64(hw))
					}
				}
				y := make([]float32, n*c)
				GlobalAvgPool(n, hw, c, x, y)
				for i := range y {
					if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
						t.Fatalf("c=%d hw=%d: y[%d] = %v, want %v", c, hw, i, y[i], want[i])
					}
				}
			}
		}
	})
}
