package kernels

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/npy"
	"github.com/keelml/keel/internal/testenv"
)

// Golden per-layer gradient cases (torch float64 autograd, rounded to float32)
// from ../shared/golden/grads, copied into testdata/golden/grads so that the
// tests run without the shared folder. Tolerance, from the golden README:
// max|got - ref| <= goldenTol * max|ref| per tensor.
const goldenTol = 1e-5

type goldenCase struct {
	Op     string         `json:"op"`
	Params map[string]any `json:"params"`
	Files  map[string]struct {
		Shape []int `json:"shape"`
	} `json:"files"`
	dir string
}

func (g goldenCase) load(t *testing.T, name string) []float32 {
	t.Helper()
	shape, data, err := npy.Read(filepath.Join(g.dir, name+".npy"))
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

func (g goldenCase) shape(name string) []int { return g.Files[name].Shape }

func (g goldenCase) has(name string) bool { _, ok := g.Files[name]; return ok }

// goldenCases reads the index of the golden gradient cases, from the
// repository's testdata (always) or, with shared=true, from ../shared.
func goldenCases(t *testing.T, shared bool) map[string]goldenCase {
	t.Helper()
	dir := testenv.Testdata(t, "golden", "grads")
	if shared {
		dir = testenv.Shared(t, "golden", "grads")
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs map[string]goldenCase
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatal(err)
	}
	for k, c := range cs {
		c.dir = filepath.Join(dir, k)
		cs[k] = c
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
