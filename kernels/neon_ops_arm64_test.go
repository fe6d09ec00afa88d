//go:build arm64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The NEON twins of the AVX2 conv, depthwise and pooling kernels: each row
// kernel against a float64 reference with guards around its output, then the
// public operations on the NEON path against the generic path.

// twoPaths runs fn under NEON and under Generic and returns both results.
func twoPaths(t *testing.T, fn func() []float32) (neon, generic []float32) {
	withPath(t, NEON, func() {
		require.NotNil(t, active.conv.asm, "the NEON path must use the assembly conv kernels")
		neon = fn()
	})
	withPath(t, Generic, func() { generic = fn() })
	return neon, generic
}

func TestNEONDepthwiseRowKernels(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(21, 22))
	kernels := []struct {
		name string
		act  Activation
		fn   func(rows **float32, wp, out *float32, count, c, xs, xd int)
	}{{"none", ActNone, depthwise3x3Packed}, {"relu", ActReLU, depthwise3x3PackedReLU}, {"relu6", ActReLU6, depthwise3x3PackedReLU6}}
	// 8, 16, 24: blocks of 8 only; 32, 40, 72, 104: blocks of 32, then of 8.
	for _, c := range []int{8, 16, 24, 32, 40, 72, 104} {
		for _, count := range []int{1, 2, 7, 17} {
			for _, sd := range [][2]int{{1, 1}, {2, 1}, {1, 2}, {3, 3}} {
				xs, xd := sd[0]*c, sd[1]*c
				span := (count-1)*xs + 2*xd + c
				var rows [3][]float32
				var ptrs [3]*float32
				for k := range rows {
					rows[k] = randSlice(r, span)
					for i := range rows[k] {
						rows[k][i] *= 4
					}
					ptrs[k] = &rows[k][0]
				}
				w, bias := randSlice(r, 9*c), randSlice(r, c)
				wp := packDepthwise3x3(w, bias, c, nil)
				for _, k := range kernels {
					what := fmt.Sprintf("%s c=%d count=%d xs=%d xd=%d", k.name, c, count, xs, xd)
					out, check := guarded(t, r, count*c)
					k.fn(&ptrs[0], &wp[0], &out[0], count, c, xs, xd)
					check(what)
					want := make([]float32, count*c)
					for i := 0; i < count; i++ {
						for j := 0; j < c; j++ {
							s := float64(bias[j])
							for kh := 0; kh < 3; kh++ {
								for kw := 0; kw < 3; kw++ {
									s += float64(rows[kh][i*xs+kw*xd+j]) * float64(w[(kh*3+kw)*c+j])
								}
							}
							want[i*c+j] = k.act.apply(float32(s))
						}
					}
					requireClose(t, want, out, 9, what)
				}

				what := fmt.Sprintf("grad c=%d count=%d xs=%d xd=%d", c, count, xs, xd)
				dy := randSlice(r, count*c)
				dw, check := guarded(t, r, 9*c)
				want := make([]float32, 9*c)
				for t := range want {
					kh, kw, j := t/c/3, t/c%3, t%c
					s := 0.0
					for i := 0; i < count; i++ {
						s += float64(rows[kh][i*xs+kw*xd+j]) * float64(dy[i*c+j])
					}
					want[t] = dw[t] + float32(s)
				}
				depthwise3x3RowGrad(&ptrs[0], &dy[0], &dw[0], count, c, xs, xd)
				check(what)
				requireClose(t, want, dw, count+1, what)
			}
		}
	}
}

func TestNEONDepthwiseTaps(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(23, 24))
	for _, c := range []int{8, 16, 24, 40, 72} {
		for _, n := range []int{0, 1, 2, 9, 25} {
			xs, ws := make([]*float32, max(n, 1)), make([]*float32, max(n, 1))
			xr, wr := make([][]float32, n), make([][]float32, n)
			for i := 0; i < n; i++ {
				xr[i], wr[i] = randSlice(r, c), randSlice(r, c)
				xs[i], ws[i] = &xr[i][0], &wr[i][0]
			}
			bias := bigRand(r, c)
			for _, flags := range []int{0, convReLU, convReLU6} {
				what := fmt.Sprintf("c=%d n=%d flags=%d", c, n, flags)
				out, check := guarded(t, r, c)
				depthwiseTapsAct(&xs[0], &ws[0], n, c, &bias[0], &out[0], flags)
				check(what)
				act := map[int]Activation{0: ActNone, convReLU: ActReLU, convReLU6: ActReLU6}[flags]
				want := make([]float32, c)
				for j := range want {
					s := float64(bias[j])
					for i := 0; i < n; i++ {
						s += float64(xr[i][j]) * float64(wr[i][j])
					}
					want[j] = act.apply(float32(s))
				}
				requireClose(t, want, out, n+1, what)
			}

			// The gradient twin: each acc row += x row * dy, rows guarded.
			what := fmt.Sprintf("grad c=%d n=%d", c, n)
			dy := randSlice(r, c)
			accs := make([]*float32, max(n, 1))
			ar := make([][]float32, n)
			checks := make([]func(string), n)
			want := make([][]float32, n)
			for i := 0; i < n; i++ {
				ar[i], checks[i] = guarded(t, r, c)
				accs[i] = &ar[i][0]
				want[i] = make([]float32, c)
				for j := range want[i] {
					want[i][j] = float32(float64(ar[i][j]) + float64(xr[i][j])*float64(dy[j]))
				}
			}
			depthwiseTapsGrad(&xs[0], &accs[0], n, c, &dy[0])
			for i := 0; i < n; i++ {
				checks[i](what)
				requireClose(t, want[i], ar[i], 2, what)
			}
		}
	}
}

func TestNEONPoolRows(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(25, 26))
	for _, c := range []int{8, 16, 24, 40, 72} {
		for _, n := range []int{1, 2, 3, 9, 64} {
			what := fmt.Sprintf("c=%d n=%d", c, n)
			ptrs := make([]*float32, n)
			rows := make([][]float32, n)
			for i := range rows {
				rows[i] = randSlice(r, c)
				ptrs[i] = &rows[i][0]
			}
			out, check := guarded(t, r, c)
			poolMaxRows(&ptrs[0], n, c, &out[0])
			check("max " + what)
			wantMax, wantAvg := make([]float32, c), make([]float32, c)
			for j := 0; j < c; j++ {
				m, s := rows[0][j], 0.0
				for i := 0; i < n; i++ {
					m = max(m, rows[i][j])
					s += float64(rows[i][j])
				}
				wantMax[j], wantAvg[j] = m, float32(s/float64(n))
			}
			require.Equal(t, wantMax, out, "max %s", what)
			poolSumRows(&ptrs[0], n, c, 1/float32(n), &out[0])
			check("avg " + what)
			requireClose(t, wantAvg, out, n, "avg "+what)
		}
	}
}

func TestNEONPoolMaxGradRows(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(33, 34))
	for _, c := range []int{8, 16, 40} {
		for _, n := range []int{1, 2, 4, 9} {
			what := fmt.Sprintf("c=%d n=%d", c, n)
			xs, dxs := make([]*float32, n), make([]*float32, n)
			xr, dxr := make([][]float32, n), make([][]float32, n)
			checks := make([]func(string), n)
			for i := 0; i < n; i++ {
				xr[i] = randSlice(r, c)
				for j := range xr[i] {
					xr[i][j] = float32(int(xr[i][j] * 2)) // ties: the first row holding the maximum wins
				}
				dxr[i], checks[i] = guarded(t, r, c)
				xs[i], dxs[i] = &xr[i][0], &dxr[i][0]
			}
			dy := randSlice(r, c)
			want := make([][]float32, n)
			for i := range want {
				want[i] = append([]float32(nil), dxr[i]...)
			}
			for j := 0; j < c; j++ {
				best := 0
				for i := 1; i < n; i++ {
					if xr[i][j] > xr[best][j] {
						best = i
					}
				}
				want[best][j] += dy[j]
			}
			poolMaxGradRows(&xs[0], &dxs[0], n, c, &dy[0])
			for i := 0; i < n; i++ {
				checks[i](what)
				require.Equal(t, want[i], dxr[i], "%s: row %d", what, i)
			}
		}
	}
}

// bigRand is a random slice scaled so that ReLU6 clips some sums.
func bigRand(r *rand.Rand, n int) []float32 {
	s := randSlice(r, n)
	for i := range s {
		s[i] *= 3
	}
	return s
}

func TestNEONConvMatchesGeneric(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(27, 28))
	var cases []ConvParams
	for _, c := range []int{1, 3, 8, 17, 33} {
		for _, oc := range []int{1, 7, 16, 17, 33} {
			for _, k := range [][3]int{{1, 1, 1}, {3, 1, 1}, {3, 2, 1}, {3, 1, 2}} { // kernel, stride, dilation
				p := ConvParams{N: 2, H: 9, W: 7, C: c, KH: k[0], KW: k[0], OutC: oc, StrideH: k[1], StrideW: k[1], DilationH: k[2], DilationW: k[2]}
				p.PadTop, p.PadBottom = SamePadding(p.H, p.KH, p.StrideH, p.DilationH)
				p.PadLeft, p.PadRight = SamePadding(p.W, p.KW, p.StrideW, p.DilationW)
				cases = append(cases, p)
			}
		}
	}
	cases = append(cases, ConvParams{N: 1, H: 5, W: 5, C: 300, KH: 3, KW: 3, OutC: 20, StrideH: 1, StrideW: 1}) // C split across blocks
	// Few channels, output width a multiple of 6 and channels of 16: the
	// strided kernel (one pointer per segment).
	for _, p := range []ConvParams{
		{N: 2, H: 7, W: 12, C: 3, KH: 3, KW: 3, OutC: 16, StrideH: 1, StrideW: 1, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 1, H: 9, W: 12, C: 8, KH: 3, KW: 3, OutC: 32, StrideH: 2, StrideW: 2, PadTop: 1, PadBottom: 1, PadLeft: 0, PadRight: 1},
		{N: 1, H: 4, W: 18, C: 1, KH: 5, KW: 5, OutC: 48, StrideH: 1, StrideW: 1, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 2},
	} {
		require.Zero(t, p.OutW()%6)
		cases = append(cases, p)
	}
	for _, p := range cases {
		what := fmt.Sprintf("%+v", p)
		x, w, bias := bigRand(r, p.N*p.H*p.W*p.C), randSlice(r, p.KH*p.KW*p.C*p.OutC), bigRand(r, p.OutC)
		ny := p.N * p.OutH() * p.OutW() * p.OutC
		for _, act := range []Activation{ActNone, ActReLU6} {
			neon, generic := twoPaths(t, func() []float32 {
				y, check := guarded(t, r, ny)
				Conv2D(p, x, w, bias, act, y)
				check(what)
				return y
			})
			requireClose(t, generic, neon, p.KH*p.KW*p.C, fmt.Sprintf("Conv2D %v %s", act, what))
		}
		dy := randSlice(r, ny)
		neon, generic := twoPaths(t, func() []float32 {
			dx, check := guarded(t, r, len(x))
			Conv2DBackwardInput(p, dy, w, dx)
			check(what)
			return dx
		})
		requireClose(t, generic, neon, p.KH*p.KW*p.OutC, "Conv2DBackwardInput "+what)
		neon, generic = twoPaths(t, func() []float32 {
			dw, check := guarded(t, r, len(w))
			Conv2DBackwardWeights(p, x, dy, dw, nil)
			check(what)
			return dw
		})
		requireClose(t, generic, neon, ny, "Conv2DBackwardWeights "+what)
	}
}

func TestNEONDepthwiseMatchesGeneric(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(29, 30))
	var cases []DepthwiseParams
	for _, c := range []int{7, 8, 16, 24, 40} {
		for _, k := range [][3]int{{3, 1, 1}, {3, 2, 1}, {3, 1, 2}, {5, 1, 1}, {3, 2, 2}} { // kernel, stride, dilation
			for _, same := range []bool{true, false} {
				p := DepthwiseParams{N: 2, H: 11, W: 13, C: c, KH: k[0], KW: k[0], Multiplier: 1, StrideH: k[1], StrideW: k[1], DilationH: k[2], DilationW: k[2]}
				if same {
					p.PadTop, p.PadBottom = SamePadding(p.H, p.KH, p.StrideH, p.DilationH)
					p.PadLeft, p.PadRight = SamePadding(p.W, p.KW, p.StrideW, p.DilationW)
				}
				cases = append(cases, p)
			}
		}
	}
	cases = append(cases, DepthwiseParams{N: 1, H: 4, W: 17, C: 8, KH: 3, KW: 3, Multiplier: 1, StrideH: 1, StrideW: 1, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1})
	for _, p := range cases {
		what := fmt.Sprintf("%+v", p)
		x, w, bias := bigRand(r, p.N*p.H*p.W*p.C), randSlice(r, p.KH*p.KW*p.C), bigRand(r, p.C)
		ny := p.N * p.OutH() * p.OutW() * p.C
		for _, act := range []Activation{ActNone, ActReLU, ActReLU6} {
			neon, generic := twoPaths(t, func() []float32 {
				y, check := guarded(t, r, ny)
				DepthwiseConv2D(p, x, w, bias, act, y)
				check(what)
				return y
			})
			requireClose(t, generic, neon, p.KH*p.KW, fmt.Sprintf("DepthwiseConv2D %v %s", act, what))
		}
		dy := randSlice(r, ny)
		neon, generic := twoPaths(t, func() []float32 {
			dx, check := guarded(t, r, len(x))
			DepthwiseConv2DBackwardInput(p, dy, w, dx)
			check(what)
			return dx
		})
		requireClose(t, generic, neon, p.KH*p.KW, "DepthwiseConv2DBackwardInput "+what)
		neon, generic = twoPaths(t, func() []float32 {
			dw, check := guarded(t, r, len(w))
			DepthwiseConv2DBackwardWeights(p, x, dy, dw, nil)
			check(what)
			return dw
		})
		requireClose(t, generic, neon, ny, "DepthwiseConv2DBackwardWeights "+what)
	}
}

func TestNEONPoolingMatchesGeneric(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(31, 32))
	for _, c := range []int{7, 8, 16, 24, 40} {
		for _, k := range [][2]int{{2, 2}, {3, 1}, {3, 2}, {7, 7}} { // window, stride
			for _, same := range []bool{true, false} {
				p := PoolParams{N: 2, H: 9, W: 14, C: c, KH: k[0], KW: k[0], StrideH: k[1], StrideW: k[1]}
				if same {
					p.PadTop, p.PadBottom = SamePadding(p.H, p.KH, p.StrideH, 1)
					p.PadLeft, p.PadRight = SamePadding(p.W, p.KW, p.StrideW, 1)
				}
				what := fmt.Sprintf("%+v", p)
				x := randSlice(r, p.N*p.H*p.W*p.C)
				ny := p.N * p.OutH() * p.OutW() * p.C
				for _, op := range []struct {
					name string
					fn   func(PoolParams, []float32, []float32)
				}{{"MaxPool2D", MaxPool2D}, {"AvgPool2D", AvgPool2D}} {
					neon, generic := twoPaths(t, func() []float32 {
						y, check := guarded(t, r, ny)
						op.fn(p, x, y)
						check(what)
						return y
					})
					requireClose(t, generic, neon, p.KH*p.KW, op.name+" "+what)
				}
				dy := randSlice(r, ny)
				for _, op := range []struct {
					name string
					fn   func(dx []float32)
				}{{"MaxPool2DBackward", func(dx []float32) { MaxPool2DBackward(p, x, dy, dx) }}, {"AvgPool2DBackward", func(dx []float32) { AvgPool2DBackward(p, dy, dx) }}} {
					neon, generic := twoPaths(t, func() []float32 {
						dx, check := guarded(t, r, len(x))
						op.fn(dx)
						check(what)
						return dx
					})
					requireClose(t, generic, neon, p.KH*p.KW, op.name+" "+what)
				}
			}
		}
	}
}
