package modelfile_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// realRef is one testdata/realh5ref/*.json file: what the independent float64
// interpreter in scripts/realh5_refs computed for a real Keras file.
type realRef struct {
	File         string         `json:"file"`
	KerasVersion string         `json:"keras_version"`
	LayerClasses []string       `json:"layer_classes"`
	Inputs       []realRefInput `json:"inputs"`
	Outputs      []realRefOut   `json:"outputs"`
}

type realRefInput struct {
	Name      string  `json:"name"`
	Shape     []int   `json:"shape"`
	Recipe    string  `json:"recipe"`
	K         int     `json:"k"`
	Modulo    int     `json:"modulo"`
	MaskValue float64 `json:"mask_value"`
}

type realRefOut struct {
	Shape    []int     `json:"shape"`
	N        int       `json:"n"`
	Stride   int       `json:"stride"`
	Values   []float64 `json:"values"`
	Sum      float64   `json:"sum"`
	SumAbs   float64   `json:"sum_abs"`
	SumSq    float64   `json:"sum_sq"`
	F32Drift float64   `json:"f32_drift"`
}

// refTolerance bounds |keel - ref| / (1 + |ref|). Keel computes in float32 and
// the reference in float64; a float32 run of the reference's own math drifts
// at most 1.3e-5 on these files (st_yolo_lc_v1_192, recorded per output as
// f32_drift) and below 4e-6 on all others. 1e-4 leaves room for Keel's
// different summation orders; a file whose own float32 drift comes within a
// tenth of that gets ten times its drift instead.
func refTolerance(o realRefOut) float64 {
	return math.Max(1e-4, 10*o.F32Drift)
}

// TestRealFullModelsMatchReferences runs every real full-model file that Keel
// loads on the reference's inputs and compares its outputs with the
// independent reference. Files Keel refuses are skipped (and logged); a
// loaded file that computes something else fails.
func TestRealFullModelsMatchReferences(t *testing.T) {
	root := testenv.Shared(t, "realh5")
	index := map[string]struct {
		Status string `json:"status"`
		JSON   string `json:"json"`
		Reason string `json:"reason"`
	}{}
	b, err := os.ReadFile(testenv.Testdata(t, "realh5ref", "index.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &index))
	files := make([]string, 0, len(index))
	for f := range index {
		files = append(files, f)
	}
	sort.Strings(files)
	var matched, refused, failed []string
	for _, rel := range files {
		e := index[rel]
		if e.Status != "ref" {
			t.Logf("%s: no reference (%s)", rel, e.Reason)
			continue
		}
		var ref realRef
		b, err := os.ReadFile(testenv.Testdata(t, "realh5ref", e.JSON))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &ref))
		outcome := &failed // also when a require stops the subtest early
		t.Run(rel, func(t *testing.T) {
			m, _, err := modelfile.Load(filepath.Join(root, rel))
			if err != nil {
				outcome = &refused
				t.Skipf("Keel refuses it today: %v", err)
			}
			if compareWithRef(t, m, ref) {
				outcome = &matched
			}
		})
		*outcome = append(*outcome, rel)
	}
	t.Logf("%d references: %d files match, %d mismatch or fail to run, %d refused by Keel",
		len(matched)+len(failed)+len(refused), len(matched), len(failed), len(refused))
	if len(failed) > 0 {
		t.Logf("mismatching files: %s", strings.Join(failed, ", "))
	}
}

// compareWithRef reports whether Keel's model m computes the reference's
// outputs on its inputs; a difference is a test error.
func compareWithRef(t *testing.T, m *nn.Model, ref realRef) bool {
	nodes := m.Inputs()
	require.Len(t, nodes, len(ref.Inputs), "number of inputs")
	xs := make([]*nn.Tensor, len(nodes))
	for k, in := range ref.Inputs {
		x := recipeInput(t, in)
		xs[k] = fitLayout(t, x, nodes[k].Shape(), fmt.Sprintf("input %q", in.Name))
	}
	ys, err := m.Run(xs...)
	require.NoError(t, err, "Keel loads the file but cannot run it")
	require.Len(t, ys, len(ref.Outputs), "number of outputs")
	for i, o := range ref.Outputs {
		worst, tol := compareOutput(t, ys[i], o, i)
		t.Logf("%s (Keras %s) output %d %v: max |d|/(1+|ref|) = %.3g (tolerance %.3g)",
			ref.File, ref.KerasVersion, i, o.Shape, worst, tol)
	}
	if t.Failed() {
		t.Logf("layer classes of %s: %s", ref.File, strings.Join(ref.LayerClasses, ", "))
		return false
	}
	return true
}

// recipeInput builds an input from the reference's recipe, in Keras' layout
// (scripts/realh5_refs/README.md defines the recipes).
func recipeInput(t *testing.T, in realRefInput) *nn.Tensor {
	x := nn.NewTensor(in.Shape...)
	for i := range x.Data {
		switch in.Recipe {
		case "sin", "sin_masked":
			x.Data[i] = float32(0.5 * math.Sin(0.37*float64(i)+1.3*float64(in.K)))
		case "int":
			x.Data[i] = float32((i*7 + in.K) % in.Modulo)
		default:
			t.Fatalf("input %q: unknown recipe %q", in.Name, in.Recipe)
		}
	}
	if in.Recipe == "sin_masked" {
		step := len(x.Data) / (in.Shape[0] * in.Shape[1])
		for n := 0; n < in.Shape[0]; n++ {
			for ts := 0; ts < in.Shape[1]; ts++ {
				if (ts+2*n)%4 != 1 {
					continue
				}
				row := x.Data[(n*in.Shape[1]+ts)*step:][:step]
				for j := range row {
					row[j] = float32(in.MaskValue)
				}
			}
		}
	}
	return x
}

// fitLayout returns x as Keel's input wants it: unchanged when the shapes
// agree (unknown dims, 0 or negative, agree with anything), or with the
// channels moved last when Keel runs a channels_first model channels-last.
func fitLayout(t *testing.T, x *nn.Tensor, want []int, what string) *nn.Tensor {
	if shapeFits(x.Shape[1:], want) {
		return x
	}
	if last := channelsLastShape(x.Shape); last != nil && shapeFits(last[1:], want) {
		return permuteTensor(x, channelsLastPerm(len(x.Shape)))
	}
	t.Fatalf("%s: Keel wants (batch, %v), the reference has %v", what, want, x.Shape)
	return nil
}

func shapeFits(got, want []int) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if want[i] > 0 && want[i] != got[i] {
			return false
		}
	}
	return true
}

// channelsLastPerm is the axis order (0, 2, ..., r-1, 1).
func channelsLastPerm(rank int) []int {
	p := []int{0}
	for a := 2; a < rank; a++ {
		p = append(p, a)
	}
	return append(p, 1)
}

func channelsLastShape(shape []int) []int {
	if len(shape) < 3 {
		return nil
	}
	out := make([]int, len(shape))
	for i, a := range channelsLastPerm(len(shape)) {
		out[i] = shape[a]
	}
	return out
}

// permuteTensor returns y with y[i_0..] = x[i_perm...], axis j of y being axis perm[j] of x.
func permuteTensor(x *nn.Tensor, perm []int) *nn.Tensor {
	shape := make([]int, len(perm))
	for j, a := range perm {
		shape[j] = x.Shape[a]
	}
	y := nn.NewTensor(shape...)
	for i, v := range x.Data {
		y.Data[permutedIndex(i, x.Shape, perm)] = v
	}
	return y
}

// permutedIndex maps a flat C-order index of shape to the flat index of the
// same element once the axes are reordered by perm.
func permutedIndex(i int, shape, perm []int) int {
	multi := make([]int, len(shape))
	for a := len(shape) - 1; a >= 0; a-- {
		multi[a] = i % shape[a]
		i /= shape[a]
	}
	j := 0
	for _, a := range perm {
		j = j*shape[a] + multi[a]
	}
	return j
}

// compareOutput checks Keel's output y against the reference values (all of
// them, or every stride-th with the sums of all) and returns the worst error
// relative to 1+|ref| and the tolerance.
func compareOutput(t *testing.T, y *nn.Tensor, o realRefOut, idx int) (float64, float64) {
	tol := refTolerance(o)
	var index func(int) int
	switch {
	case slices.Equal(y.Shape, o.Shape):
		index = func(i int) int { return i }
	case slices.Equal(y.Shape, channelsLastShape(o.Shape)):
		perm := channelsLastPerm(len(o.Shape))
		index = func(i int) int { return permutedIndex(i, o.Shape, perm) }
	default:
		t.Fatalf("output %d: Keel gives shape %v, the reference %v", idx, y.Shape, o.Shape)
	}
	worst, bad := 0.0, 0
	for s, want := range o.Values {
		i := s * o.Stride
		got := float64(y.Data[index(i)])
		e := math.Abs(got-want) / (1 + math.Abs(want))
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		worst = math.Max(worst, e)
		if e > tol && bad < 5 {
			bad++
			t.Errorf("output %d value %d: Keel %g, reference %g", idx, i, got, want)
		}
	}
	if o.Stride > 1 {
		var sum, sumSq float64
		for _, v := range y.Data {
			sum += float64(v)
			sumSq += float64(v) * float64(v)
		}
		n := float64(o.N)
		// |d| <= tol*(1+|x|) per value bounds the sums' errors as below.
		if d := math.Abs(sum - o.Sum); !(d <= tol*(n+o.SumAbs)) {
			t.Errorf("output %d: sum %g, reference %g", idx, sum, o.Sum)
		}
		if d := math.Abs(sumSq - o.SumSq); !(d <= 2*tol*(o.SumAbs+o.SumSq)+tol*tol*n*4) {
			t.Errorf("output %d: sum of squares %g, reference %g", idx, sumSq, o.SumSq)
		}
	}
	return worst, tol
}
