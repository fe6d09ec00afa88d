package kernels

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/golden"
	"github.com/keelml/keel/internal/npy"
	"github.com/keelml/keel/internal/testenv"
)

// Golden per-layer gradient cases (torch float64 autograd, rounded to float32)
// from ../shared/golden/grads, copied into testdata/golden/grads so that the
// tests run without the shared folder. Tolerance, from the golden README:
// max|got - ref| <= goldenTol * max|ref| per tensor.
const goldenTol = 1e-5

type goldenCase struct{ golden.Case }

func (g goldenCase) load(t *testing.T, name string) []float32 {
	t.Helper()
	shape, data, err := npy.Read(filepath.Join(g.Dir, name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	want := g.Files[name].Shape
	if len(shape) != len(want) {
		t.Fatalf("%s: shape %v, index says %v", name, shape, want)
	}
	return data
}

func (g goldenCase) ints(key string) []int {
	v, _ := g.Params[key].([]any)
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x.(float64))
	}
	return out
}

// pads returns top, bottom, left, right for `same`, or zeros for `valid`.
func (g goldenCase) pads() (int, int, int, int) {
	v, ok := g.Params["tf_pads_[[top,bottom],[left,right]]"].([]any)
	if !ok || g.Params["padding"] != "same" {
		return 0, 0, 0, 0
	}
	hb, wb := v[0].([]any), v[1].([]any)
	return int(hb[0].(float64)), int(hb[1].(float64)), int(wb[0].(float64)), int(wb[1].(float64))
}

// bias is the case's bias and a buffer for its gradient, or nils when the
// case has none.
func (g goldenCase) bias(t *testing.T) (bias, dbias []float32) {
	t.Helper()
	if !g.Has("bias") {
		return nil, nil
	}
	bias = g.load(t, "bias")
	return bias, make([]float32, len(bias))
}

// requireBiasGrad checks the gradient db of the case's bias, when it has one
// (db is not nil).
func (g goldenCase) requireBiasGrad(t *testing.T, name string, db []float32, tol float64) {
	t.Helper()
	if db != nil {
		requireGolden(t, name+" dbias", g.load(t, "dbias"), db, tol)
	}
}

// depthwiseParams is the depthwise convolution of the case's x with a kh x
// kw kernel, the multiplier, and the case's strides and padding.
func (g goldenCase) depthwiseParams(kh, kw, multiplier int) DepthwiseParams {
	xs, st := g.shape("x"), g.ints("strides")
	pt, pb, pl, pr := g.pads()
	return DepthwiseParams{N: xs[0], H: xs[1], W: xs[2], C: xs[3], KH: kh, KW: kw, Multiplier: multiplier,
		StrideH: st[0], StrideW: st[1], PadTop: pt, PadBottom: pb, PadLeft: pl, PadRight: pr}
}

// requireNormGrads checks a normalization's gradients of x, gamma and beta.
func (g goldenCase) requireNormGrads(t *testing.T, name string, dx, dgamma, dbeta []float32, tol float64) {
	t.Helper()
	requireGolden(t, name+" dx", g.load(t, "dx"), dx, tol)
	requireGolden(t, name+" dgamma", g.load(t, "dgamma"), dgamma, tol)
	requireGolden(t, name+" dbeta", g.load(t, "dbeta"), dbeta, tol)
}

func (g goldenCase) shape(name string) []int { return g.Files[name].Shape }

// goldenCases reads the index of the golden gradient cases, from the
// repository's testdata (always) or, with shared=true, from ../shared.
func goldenCases(t *testing.T, shared bool) map[string]goldenCase {
	t.Helper()
	dir := testenv.Testdata(t, "golden", "grads")
	if shared {
		dir = testenv.Shared(t, "golden", "grads")
	}
	cs := map[string]goldenCase{}
	for k, c := range golden.Cases(t, dir) {
		cs[k] = goldenCase{c}
	}
	return cs
}

// requireGolden checks max|got-want| <= tol * max|want|.
func requireGolden(t *testing.T, what string, want, got []float32, tol float64) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale, worst float64
	for i, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
		worst = math.Max(worst, math.Abs(float64(got[i])-float64(w)))
		if math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: NaN at %d", what, i)
		}
	}
	if worst > tol*math.Max(scale, 1e-30) {
		t.Fatalf("%s: max|got-want| = %.3g, %.3g of max|want| %.3g (tolerance %.1g)", what, worst, worst/scale, scale, tol)
	}
}
