package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// winogradScale is, for each output, the scale of F(2x2,3x3)'s rounding
// error: the float64 value of |A|^T [ (|G| |g| |G|^T) .* (|B|^T |d| |B|) ] |A|
// summed over the input channels, plus |bias|, for the tile that holds the
// output (d its 4x4 input patch, zero in the padding). Each rounding in the
// transforms, the products, the sum over channels and the output transform
// is at most eps times a part of it, so the error is a small multiple of
// eps times it (a forward error bound). It is at least the direct
// algorithm's sum of |terms|, and a few times more only where the tile's
// other inputs are large: the transforms add and then cancel them.
func winogradScale(p ConvParams, x, w, bias []float32) []float64 {
	bt := [][]float64{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}}
	g := [][]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	at := [][]float64{{1, 1, 1, 0}, {0, 1, -1, -1}}
	return winogradScaleOf(p, x, w, bias, bt, g, at)
}

// winogradScaleOf is winogradScale for the transform matrices B^T (alpha x
// alpha), G (alpha x 3) and A^T (f x alpha) of F(f x f, 3x3), their entries
// taken in absolute value.
func winogradScaleOf(p ConvParams, x, w, bias []float32, bt, g, at [][]float64) []float64 {
	alpha, f := len(bt), len(at)
	oh, ow := p.OutH(), p.OutW()
	s := make([]float64, p.N*oh*ow*p.OutC)
	// u[c*OutC+o][alpha*i+j] = (|G| |g| |G|^T)[i][j]
	u := make([][]float64, p.C*p.OutC)
	for q := range u {
		u[q] = make([]float64, alpha*alpha)
		for i := 0; i < alpha; i++ {
			for j := 0; j < alpha; j++ {
				for a := 0; a < 3; a++ {
					for b := 0; b < 3; b++ {
						u[q][alpha*i+j] += math.Abs(g[i][a]*g[j][b]) * math.Abs(float64(w[(3*a+b)*p.C*p.OutC+q]))
					}
				}
			}
		}
	}
	d, v := make([]float64, alpha*alpha), make([]float64, alpha*alpha)
	for n := 0; n < p.N; n++ {
		for ti := 0; ti < ceilDiv(oh, f); ti++ {
			for tj := 0; tj < ceilDiv(ow, f); tj++ {
				for c := 0; c < p.C; c++ {
					for i := 0; i < alpha; i++ {
						for j := 0; j < alpha; j++ {
							d[alpha*i+j] = 0
							ih, iw := f*ti+i-p.PadTop, f*tj+j-p.PadLeft
							if ih >= 0 && ih < p.H && iw >= 0 && iw < p.W {
								d[alpha*i+j] = math.Abs(float64(x[((n*p.H+ih)*p.W+iw)*p.C+c]))
							}
						}
					}
					for i := 0; i < alpha; i++ {
						for j := 0; j < alpha; j++ {
							v[alpha*i+j] = 0
							for a := 0; a < alpha; a++ {
								for b := 0; b < alpha; b++ {
									v[alpha*i+j] += math.Abs(bt[i][a]*bt[j][b]) * d[alpha*a+b]
								}
							}
						}
					}
					for a := 0; a < f; a++ {
						for b := 0; b < f; b++ {
							row, col := f*ti+a, f*tj+b
							if row >= oh || col >= ow {
								continue
							}
							out := s[((n*oh+row)*ow+col)*p.OutC:]
							for o := 0; o < p.OutC; o++ {
								var t float64
								for i := 0; i < alpha; i++ {
									for j := 0; j < alpha; j++ {
										t += math.Abs(at[a][i]*at[b][j]) * u[c*p.OutC+o][alpha*i+j] * v[alpha*i+j]
									}
								}
								out[o] += t
							}
						}
					}
				}
			}
		}
	}
	if bias != nil {
		for i := range s {
			s[i] += math.Abs(float64(bias[i%p.OutC]))
		}
	}
	return s
}

// winogradTolerance bounds F(2x2,3x3)'s error in units of float32Eps times
// winogradScale.
const winogradTolerance = 4

// winogradConvCases are 3x3 stride-1 shapes: odd and tiny sizes (partial
// tiles at the right and bottom), batch 2, same, valid and asymmetric
// padding, channels around the vector widths.
func winogradConvCases() []ConvParams {
	var cs []ConvParams
	pads := []struct{ t, b, l, r int }{{1, 1, 1, 1}, {0, 0, 0, 0}, {0, 1, 0, 1}, {1, 0, 2, 1}}
	sizes := []struct{ h, w int }{{1, 1}, {2, 3}, {3, 2}, {5, 7}, {7, 5}, {13, 13}, {3, 13}}
	chans := []struct{ c, oc int }{{1, 16}, {7, 17}, {16, 16}, {17, 33}, {33, 7}, {32, 64}}
	for i, s := range sizes {
		for j, pd := range pads {
			ch := chans[(i+j)%len(chans)]
			p := ConvParams{N: 2, H: s.h, W: s.w, C: ch.c, KH: 3, KW: 3, OutC: ch.oc,
				PadTop: pd.t, PadBottom: pd.b, PadLeft: pd.l, PadRight: pd.r}.norm()
			if p.OutH() > 0 && p.OutW() > 0 {
				cs = append(cs, p)
			}
		}
	}
	// Several blocks of tiles, so that the threads share them; enough tiles
	// that Conv2D without packing takes Winograd too.
	cs = append(cs,
		ConvParams{N: 1, H: 40, W: 31, C: 24, KH: 3, KW: 3, OutC: 48, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}.norm(),
		ConvParams{N: 2, H: 23, W: 24, C: 16, KH: 3, KW: 3, OutC: 20, PadBottom: 1, PadRight: 1}.norm(),
		// More input channels than the GEMM's kc (384 AVX2, 512 AVX-512):
		// the reduction accumulates over two blocks.
		ConvParams{N: 1, H: 5, W: 6, C: 520, KH: 3, KW: 3, OutC: 20, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}.norm(),
		// Blocks ending in a strip of 8 rows or fewer (49 tiles: 42 + 7;
		// 7 tiles), which AVX-512 gives to the conv kernel, the second
		// accumulating over two kc blocks.
		ConvParams{N: 1, H: 14, W: 14, C: 32, KH: 3, KW: 3, OutC: 40, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}.norm(),
		ConvParams{N: 1, H: 2, W: 13, C: 520, KH: 3, KW: 3, OutC: 32, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}.norm())
	return cs
}

// TestWinogradConvMatchesNaive runs F(2x2,3x3) and F(4x4,3x3) on each
// assembly path, with and without bias, each activation, 1 and 2 threads,
// against the float64 oracle within each one's forward error bound; the
// shapes that Conv2D and Conv2DPacked themselves route to the tile size go
// through them too.
func TestWinogradConvMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	for _, tc := range []struct {
		name  string
		tr    func() winogradTransforms
		scale func(p ConvParams, x, w, bias []float32) []float64
	}{
		{"F2", func() winogradTransforms { return active.winograd }, winogradScale},
		{"F4", func() winogradTransforms { return active.winograd4 }, winograd4Scale},
	} {
		worst := 0.0
		for _, path := range winogradPathsWith(t, tc.tr) {
			for _, p := range winogradConvCases() {
				x := randSlice(r, p.N*p.H*p.W*p.C)
				w := randSlice(r, 9*p.C*p.OutC)
				bias := randSlice(r, p.OutC)
				for _, act := range []Activation{ActNone, ActReLU, ActReLU6} {
					for _, b := range [][]float32{nil, bias} {
						want := naiveConv(p, x, w, b, act)
						scale := tc.scale(p, x, w, b)
						for _, threads := range []int{1, 2} {
							name := fmt.Sprintf("%s/%s/%+v/%s/bias=%v/threads=%d", tc.name, path, p, act, b != nil, threads)
							withPath(t, path, func() {
								prev := SetThreads(threads)
								defer SetThreads(prev)
								for _, run := range winogradRunners(p, tc.tr()) {
									y := make([]float32, len(want))
									for i := range y {
										y[i] = float32(math.NaN()) // every output must be written
									}
									run.fn(x, w, b, act, y)
									worst = max(worst, checkWinograd(t, name+"/"+run.name, want, y, scale))
								}
							})
						}
					}
				}
			}
		}
		t.Logf("%s: worst error: %.2f x eps x its scale", tc.name, worst)
	}
}

type winogradRunner struct {
	name string
	fn   func(x, w, bias []float32, act Activation, y []float32)
}

// winogradRunners are the ways to reach tr's path for p: directly, and
// through Conv2DPacked and (F(2x2,3x3) only) Conv2D where they take it.
func winogradRunners(p ConvParams, tr winogradTransforms) []winogradRunner {
	rs := []winogradRunner{{"direct call", func(x, w, bias []float32, act Activation, y []float32) {
		conv2DWinogradRaw(p, tr, x, w, bias, act, y)
	}}}
	if ptr, ok := winogradPackedFor(p); ok && ptr.tile == tr.tile {
		rs = append(rs, winogradRunner{"Conv2DPacked", func(x, w, bias []float32, act Activation, y []float32) {
			Conv2DPacked(p, x, PackConvWeights(p, w), bias, act, y)
		}})
	}
	if _, ok := winogradFor(p); ok && tr.tile == 2 && winogradTiles(p) >= winogradRawMinTiles {
		rs = append(rs, winogradRunner{"Conv2D", func(x, w, bias []float32, act Activation, y []float32) { Conv2D(p, x, w, bias, act, y) }})
	}
	return rs
}

// checkWinograd reports outputs off by more than winogradTolerance and
// returns the worst error in units of eps x scale.
func checkWinograd(t *testing.T, name string, want, got []float32, scale []float64) float64 {
	t.Helper()
	worst := 0.0
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		bound := float32Eps * max(scale[i], 1e-30)
		if !(d <= winogradTolerance*bound) {
			t.Fatalf("%s: y[%d] = %v, want %v (scale %v)", name, i, got[i], want[i], scale[i])
		}
		worst = max(worst, d/bound)
	}
	return worst
}

// naiveConvAbs is the float64 sum of the absolute terms of each output of a
// 3x3 Conv2D (|x*w| over the window, and |bias|).
func naiveConvAbs(p ConvParams, x, w, bias []float32) []float64 {
	absX, absW := make([]float32, len(x)), make([]float32, len(w))
	for i, v := range x {
		absX[i] = float32(math.Abs(float64(v)))
	}
	for i, v := range w {
		absW[i] = float32(math.Abs(float64(v)))
	}
	var absBias []float32
	if bias != nil {
		absBias = make([]float32, len(bias))
		for i, v := range bias {
			absBias[i] = float32(math.Abs(float64(v)))
		}
	}
	s32 := naiveConv(p, absX, absW, absBias, ActNone)
	s := make([]float64, len(s32))
	for i, v := range s32 {
		s[i] = float64(v)
	}
	return s
}

// TestWinogradErrorNearDirect compares the errors of F(2x2,3x3), F(4x4,3x3)
// and the direct convolution, in units of eps times the sum of |terms|, on
// layers like the networks' (inputs after a ReLU, so non-negative; weights
// of both signs): F(2x2,3x3)'s must stay a few units, within a small factor
// of the direct algorithm's. F(4x4,3x3)'s larger constants cost it about 15
// times F(2x2,3x3)'s (measured: 38 units against 2.6 at 16x16x64): it must
// stay within 64 units (4e-6 of the sum of |terms|), far inside the golden
// models' 1e-4 of each tensor's largest value.
func TestWinogradErrorNearDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(49, 50))
	for _, path := range winogradAsmPaths(t) {
		for _, p := range []ConvParams{
			{N: 1, H: 14, W: 14, C: 64, KH: 3, KW: 3, OutC: 64, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
			{N: 1, H: 16, W: 16, C: 64, KH: 3, KW: 3, OutC: 64, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
			{N: 1, H: 7, W: 7, C: 256, KH: 3, KW: 3, OutC: 32, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		} {
			p = p.norm()
			x := randSlice(r, p.N*p.H*p.W*p.C)
			for i := range x {
				x[i] = max(x[i], 0)
			}
			w := randSlice(r, 9*p.C*p.OutC)
			want := naiveConv(p, x, w, nil, ActNone)
			scale := naiveConvAbs(p, x, w, nil)
			withPath(t, path, func() {
				worst := func(y []float32) float64 {
					e := 0.0
					for i := range y {
						e = max(e, math.Abs(float64(y[i])-float64(want[i]))/(float32Eps*scale[i]))
					}
					return e
				}
				direct, wino := make([]float32, len(want)), make([]float32, len(want))
				conv2D(p, x, convWeights{raw: w}, nil, ActNone, 0, direct)
				conv2DWinogradRaw(p, active.winograd, x, w, nil, ActNone, wino)
				d, wg := worst(direct), worst(wino)
				w4 := -1.0
				if active.winograd4.lanes > 0 {
					conv2DWinogradRaw(p, active.winograd4, x, w, nil, ActNone, wino)
					w4 = worst(wino)
				}
				t.Logf("%s %dx%dx%d->%d: worst error x eps x sum|terms|: direct %.2f, F(2x2) %.2f, F(4x4) %.2f", path, p.H, p.W, p.C, p.OutC, d, wg, w4)
				if wg > 4 || wg > 4*max(d, 0.5) {
					t.Errorf("%s %+v: F(2x2,3x3) error %.2f units, direct %.2f", path, p, wg, d)
				}
				if w4 > 64 {
					t.Errorf("%s %+v: F(4x4,3x3) error %.2f units, direct %.2f", path, p, w4, d)
				}
			})
		}
	}
}
