package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The F(4x4,3x3) tests of its own (the twins, the convolution against the
// oracle and the error beside the direct algorithm's share F(2x2,3x3)'s
// tests): the transforms against the matrices, the weight transform against
// its definition, and a PackedConv at both tile sizes.

// winograd4AsmPaths returns the paths with F(4x4,3x3) assembly transforms.
func winograd4AsmPaths(t *testing.T) []Path {
	return winogradPathsWith(t, func() winogradTransforms { return active.winograd4 })
}

// The F(4x4,3x3) matrices B^T, G and A^T, in float64.
var (
	winogradBT4 = [6][6]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	}
	winogradAT4 = [4][6]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	}
)

// TestWinograd4Transforms checks the Go transforms against the matrices
// (so that the assembly, equal to them bit for bit, computes B^T d B and
// A^T M A).
func TestWinograd4Transforms(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	d := randSlice(r, 36)
	var rows [36]*float32
	for k := range rows {
		rows[k] = &d[k]
	}
	v := make([]float32, 36)
	winogradInput6Go(&rows, 0, 1, v, 1)
	for i := 0; i < 6; i++ {
		for j := 0; j < 6; j++ {
			var want, abs float64
			for a := 0; a < 6; a++ {
				for b := 0; b < 6; b++ {
					term := winogradBT4[i][a] * float64(d[6*a+b]) * winogradBT4[j][b]
					want += term
					abs += math.Abs(term)
				}
			}
			if got := float64(v[6*i+j]); math.Abs(got-want) > 8*float32Eps*abs {
				t.Errorf("V[%d][%d] = %v, want %v", i, j, got, want)
			}
		}
	}
	m := randSlice(r, 36)
	bias := []float32{0.25}
	y := make([]float32, 16)
	var out [16]*float32
	for k := range out {
		out[k] = &y[k]
	}
	inf := float32(math.Inf(1))
	winogradOutput4Go(m, 1, 0, 1, bias, -inf, inf, &out)
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			want, abs := 0.25, 0.25
			for a := 0; a < 6; a++ {
				for b := 0; b < 6; b++ {
					term := winogradAT4[i][a] * float64(m[6*a+b]) * winogradAT4[j][b]
					want += term
					abs += math.Abs(term)
				}
			}
			if got := float64(y[4*i+j]); math.Abs(got-want) > 8*float32Eps*abs {
				t.Errorf("Y[%d][%d] = %v, want %v", i, j, got, want)
			}
		}
	}
}

// TestWinograd4WeightTransform checks U = G g G^T read back from the packed
// panels (several kc blocks and panels, the last partial) against the
// float64 definition: one rounding each.
func TestWinograd4WeightTransform(t *testing.T) {
	r := rand.New(rand.NewPCG(67, 68))
	u := &winogradWeights{c: 5, outC: 7, kc: 2, nr: 4, tile: 4}
	k := u.c * u.outC
	w := randSlice(r, 9*k)
	transformWinogradWeights(u, w)
	for ci := 0; ci < u.c; ci++ {
		pc := ci / u.kc * u.kc
		for o := 0; o < u.outC; o++ {
			jc := o / u.nr * u.nr
			for i := 0; i < 6; i++ {
				for j := 0; j < 6; j++ {
					var s float64
					for a := 0; a < 3; a++ {
						for b := 0; b < 3; b++ {
							s += winogradG4[i][a] * float64(w[(3*a+b)*k+ci*u.outC+o]) * winogradG4[j][b]
						}
					}
					got := u.panel(6*i+j, pc, jc)[(ci-pc)*u.nr+o-jc]
					if math.Abs(float64(got)-s) > float32Eps*math.Abs(s) { // one rounding
						t.Errorf("U[%d][%d] of channels %d->%d = %v, want %v", i, j, ci, o, got, float32(s))
					}
				}
			}
		}
	}
	for e := 0; e < 36; e++ {
		for ci := 0; ci < u.c; ci++ {
			pc := ci / u.kc * u.kc
			if v := u.panel(e, pc, 4)[(ci-pc)*u.nr+3]; v != 0 {
				t.Errorf("U_%d padding of channel %d = %v", e, ci, v)
			}
		}
	}
}

// winograd4Scale is winogradScale for F(4x4,3x3).
func winograd4Scale(p ConvParams, x, w, bias []float32) []float64 {
	rows := func(m [][6]float64) [][]float64 {
		r := make([][]float64, len(m))
		for i := range m {
			r[i] = m[i][:]
		}
		return r
	}
	g := make([][]float64, 6)
	for i := range g {
		g[i] = winogradG4[i][:]
	}
	return winogradScaleOf(p, x, w, bias, rows(winogradBT4[:]), g, rows(winogradAT4[:]))
}

// TestWinogradPackedBothTiles runs one PackedConv at two image sizes whose
// rule picks different tiles: each size gets its own transformed weights
// (not the direct algorithm for lack of them), and both results are right.
func TestWinogradPackedBothTiles(t *testing.T) {
	prevCaches := machineCaches
	defer func() { machineCaches = prevCaches }()
	machineCaches = Caches{L1: 32 << 10, L2: 1 << 20, L3: 32 << 20}
	r := rand.New(rand.NewPCG(73, 74))
	shape := func(hw int) ConvParams {
		return ConvParams{N: 1, H: hw, W: hw, C: 64, KH: 3, KW: 3, OutC: 64, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}.norm()
	}
	w := randSlice(r, 9*64*64)
	for _, path := range winograd4AsmPaths(t) {
		withPath(t, path, func() {
			pw := PackConvWeights(shape(56), w)
			tiles := map[int]bool{}
			for _, hw := range []int{56, 12, 10} {
				p := shape(hw)
				tr, ok := winogradPackedFor(p)
				if !ok {
					continue
				}
				tiles[tr.tile] = true
				x := randSlice(r, p.H*p.W*p.C)
				want := naiveConv(p, x, w, nil, ActNone)
				got := make([]float32, len(want))
				Conv2DPacked(p, x, pw, nil, ActNone, got)
				if e := maxRelErr(got, want); e > 1e-5 {
					t.Errorf("%s %dx%d (F%d): relative error %.3g", path, hw, hw, tr.tile, e)
				}
				if pw.winograd[tr.tile/2-1].u == nil {
					t.Errorf("%s %dx%d: no F(%dx%d,3x3) weights made", path, hw, hw, tr.tile, tr.tile)
				}
			}
			if len(tiles) < 2 {
				t.Errorf("%s: the sizes took tiles %v, want both", path, tiles)
			}
		})
	}
}

// maxRelErr is max|got-want| / max|want|.
func maxRelErr(got, want []float32) float64 {
	d, m := 0.0, 0.0
	for i := range want {
		d = max(d, math.Abs(float64(got[i])-float64(want[i])))
		m = max(m, math.Abs(float64(want[i])))
	}
	return d / max(m, 1e-30)
}
