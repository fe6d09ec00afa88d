package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// winogradAsmPaths returns the paths whose Winograd transforms are assembly
// on this machine (none on arm64 or with purego).
func winogradAsmPaths(t *testing.T) []Path {
	return winogradPathsWith(t, func() winogradTransforms { return active.winograd })
}

// winogradPathsWith returns the paths on which the transforms that tr picks
// from the active table are assembly; the test skips where there are none.
func winogradPathsWith(t *testing.T, tr func() winogradTransforms) []Path {
	var ps []Path
	for _, p := range []Path{AVX2, AVX512} {
		prev, ok := usePath(p)
		if !ok {
			continue
		}
		if tr().lanes > 0 {
			ps = append(ps, p)
		}
		usePath(prev)
	}
	if len(ps) == 0 {
		t.Skip("no Winograd assembly in this build or on this CPU")
	}
	return ps
}

// sameBits says whether a and b are the same float, NaNs by payload.
func sameBits(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

// transformChannels are channel counts around the vector widths: a tail
// alone, a tail after one ymm or zmm, exact vectors, vectors and a tail.
var transformChannels = []int{1, 7, 8, 16, 17, 33}

// winogradTwinCase is one tile size's transforms as the twin tests run
// them: the active table's assembly, and the Go twins over pointer tables.
type winogradTwinCase struct {
	name   string
	tr     func() winogradTransforms
	alpha  int              // input tile side
	padded func(k int) bool // the points of a bottom-right corner tile in the padding
	input  func(rows []*float32, c0, c1 int, v []float32, vs int)
	output func(m []float32, ms, c0, c1 int, bias []float32, lo, hi float32, out []*float32)
}

var winogradTwinCases = []winogradTwinCase{
	{"F2", func() winogradTransforms { return active.winograd }, 4,
		func(k int) bool { return k%4 == 3 || k < 4 }, // top row and right column
		func(rows []*float32, c0, c1 int, v []float32, vs int) {
			winogradInputGo((*[16]*float32)(rows), c0, c1, v, vs)
		},
		func(m []float32, ms, c0, c1 int, bias []float32, lo, hi float32, out []*float32) {
			winogradOutputGo(m, ms, c0, c1, bias, lo, hi, (*[4]*float32)(out))
		}},
	{"F4", func() winogradTransforms { return active.winograd4 }, 6,
		func(k int) bool { return k%6 >= 4 || k < 6 }, // top row and two right columns
		func(rows []*float32, c0, c1 int, v []float32, vs int) {
			winogradInput6Go((*[36]*float32)(rows), c0, c1, v, vs)
		},
		func(m []float32, ms, c0, c1 int, bias []float32, lo, hi float32, out []*float32) {
			winogradOutput4Go(m, ms, c0, c1, bias, lo, hi, (*[16]*float32)(out))
		}},
}

// TestWinogradInputTwins checks each assembly input transform, F(2x2,3x3)'s
// and F(4x4,3x3)'s, with the Go twin finishing the channels past its last
// vector, against the Go twin alone: the same bits, for tiles inside the
// image and tiles whose points partly fall in the padding (the zero
// buffer), with magnitudes that round differently.
func TestWinogradInputTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, path := range winogradAsmPaths(t) {
		for _, tc := range winogradTwinCases {
			for _, c := range transformChannels {
				for _, edge := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/%s/c%d/edge=%v", path, tc.name, c, edge), func(t *testing.T) {
						withPath(t, path, func() {
							tr := tc.tr()
							if tr.lanes == 0 {
								t.Skip("no assembly for this tile size")
							}
							pts := tc.alpha * tc.alpha
							x := randSlice(r, pts*c)
							for i := range x {
								x[i] *= float32(1 + r.IntN(1000))
							}
							x[r.IntN(len(x))] = float32(math.NaN())
							zero := make([]float32, c)
							rows := make([]*float32, pts)
							for k := range rows {
								rows[k] = &x[k*c]
								if edge && tc.padded(k) {
									rows[k] = &zero[0]
								}
							}
							vs := c + 3 // V matrices need not be contiguous
							want := make([]float32, pts*vs)
							got := make([]float32, pts*vs)
							tc.input(rows, 0, c, want, vs)
							full := c / tr.lanes * tr.lanes
							if full > 0 {
								tr.input(&rows[0], full, &got[0], vs)
							}
							tc.input(rows, full, c, got, vs)
							for i := range want {
								if !sameBits(want[i], got[i]) {
									t.Fatalf("V[%d][%d] = %v, Go twin %v", i/vs, i%vs, got[i], want[i])
								}
							}
						})
					})
				}
			}
		}
	}
}

// TestWinogradOutputTwins checks each assembly output transform (with bias
// and each activation's clamp) against the Go twin: the same bits, NaNs
// included.
func TestWinogradOutputTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	inf := float32(math.Inf(1))
	clamps := []struct {
		name   string
		lo, hi float32
	}{{"none", -inf, inf}, {"relu", 0, inf}, {"relu6", 0, 6}}
	for _, path := range winogradAsmPaths(t) {
		for _, tc := range winogradTwinCases {
			for _, c := range transformChannels {
				for _, cl := range clamps {
					t.Run(fmt.Sprintf("%s/%s/c%d/%s", path, tc.name, c, cl.name), func(t *testing.T) {
						withPath(t, path, func() {
							tr := tc.tr()
							if tr.lanes == 0 {
								t.Skip("no assembly for this tile size")
							}
							pts, outs := tc.alpha*tc.alpha, (tc.alpha-2)*(tc.alpha-2)
							ms := c + 5
							m := randSlice(r, pts*ms)
							for i := range m {
								m[i] *= 8 // past the relu6 cap now and then
							}
							m[r.IntN(len(m))] = float32(math.NaN())
							bias := randSlice(r, c)
							want, got := make([]float32, outs*c), make([]float32, outs*c)
							wo, go_ := make([]*float32, outs), make([]*float32, outs)
							for k := range wo {
								wo[k], go_[k] = &want[k*c], &got[k*c]
							}
							tc.output(m, ms, 0, c, bias, cl.lo, cl.hi, wo)
							full := c / tr.lanes * tr.lanes
							if full > 0 {
								tr.output(&m[0], ms, full, &bias[0], cl.lo, cl.hi, &go_[0])
							}
							tc.output(m, ms, full, c, bias, cl.lo, cl.hi, go_)
							for i := range want {
								if !sameBits(want[i], got[i]) {
									t.Fatalf("y[%d][%d] = %v, Go twin %v", i/c, i%c, got[i], want[i])
								}
							}
						})
					})
				}
			}
		}
	}
}

// TestWinogradWeightTransform checks U = G g G^T, read back from the packed
// panels (several kc blocks and panels, the last partial), against the
// definition in float64 (the halves make it exact but for the additions'
// rounding).
func TestWinogradWeightTransform(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	u := &winogradWeights{c: 5, outC: 7, kc: 2, nr: 4, tile: 2}
	k := u.c * u.outC
	w := randSlice(r, 9*k)
	transformWinogradWeights(u, w)
	g := [4][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	for ci := 0; ci < u.c; ci++ {
		pc := ci / u.kc * u.kc
		for o := 0; o < u.outC; o++ {
			jc := o / u.nr * u.nr
			for i := 0; i < 4; i++ {
				for j := 0; j < 4; j++ {
					var s, abs float64
					for a := 0; a < 3; a++ {
						for b := 0; b < 3; b++ {
							term := g[i][a] * float64(w[(3*a+b)*k+ci*u.outC+o]) * g[j][b]
							s += term
							abs += math.Abs(term)
						}
					}
					got := float64(u.panel(4*i+j, pc, jc)[(ci-pc)*u.nr+o-jc])
					if math.Abs(got-s) > 4*float32Eps*abs {
						t.Errorf("U[%d][%d] of channels %d->%d = %v, want %v", i, j, ci, o, got, s)
					}
				}
			}
		}
	}
	// The padding past OutC in the last panel is zero.
	for e := 0; e < 16; e++ {
		for ci := 0; ci < u.c; ci++ {
			pc := ci / u.kc * u.kc
			if v := u.panel(e, pc, 4)[(ci-pc)*u.nr+3]; v != 0 {
				t.Errorf("U_%d padding of channel %d = %v", e, ci, v)
			}
		}
	}
}

// float32Eps is the float32 unit roundoff, 2^-24.
const float32Eps = 1.0 / (1 << 24)
