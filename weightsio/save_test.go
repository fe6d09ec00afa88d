package weightsio

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/stretchr/testify/require"
)

// readLayers reads a Keras file back into the form SaveWeights takes.
func readLayers(t *testing.T, path string) []SavedLayer {
	t.Helper()
	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []SavedLayer
	for _, l := range f.Layers() {
		sl := SavedLayer{Name: l.Name}
		for _, w := range l.Weights {
			data, err := w.Float32()
			require.NoError(t, err)
			sl.Weights = append(sl.Weights, SavedWeight{Name: w.Name, Shape: w.Shape, Data: data})
		}
		out = append(out, sl)
	}
	return out
}

// Keras 2.3.1's layout, written by us: everything reads back identically.
func TestSaveWeightsRoundTrip(t *testing.T) {
	src := testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5")
	layers := readLayers(t, src)
	out := filepath.Join(t.TempDir(), "w.h5")
	require.NoError(t, SaveWeights(out, layers, SaveOptions{}))
	f, err := Open(out)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, FormatH5Weights, f.Format)
	require.Equal(t, "2.3.1", f.KerasVersion)
	require.Equal(t, "tensorflow", f.Backend)
	require.Equal(t, layers, readLayers(t, out))
}

// h5dump -A -p shows the same groups, datasets, attribute types and storage
// as a file Keras 2.3.1 wrote, addresses aside.
func TestSaveWeightsMatchesKerasStructure(t *testing.T) {
	golden := testenv.Shared(t, "golden", "h5", "mobilenet_1.00_224.spec_weights.h5")
	h5dump := needTool(t, "h5dump")
	out := filepath.Join(t.TempDir(), "mobilenet_1.00_224.spec_weights.h5")
	require.NoError(t, SaveWeights(out, readLayers(t, golden), SaveOptions{}))
	dump := func(path string) string {
		b, err := exec.Command(h5dump, "-A", "-p", path).CombinedOutput()
		require.NoError(t, err, string(b))
		s := regexp.MustCompile(`OFFSET \d+`).ReplaceAllString(string(b), "OFFSET x")
		return strings.Replace(s, path, "FILE", 1)
	}
	want, got := dump(golden), dump(out)
	require.Greater(t, strings.Count(want, "DATASET"), 100)
	require.Equal(t, want, got)
}

// h5py reads what we write, with the same values.
func TestSaveWeightsReadByH5py(t *testing.T) {
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import h5py").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("h5py missing in CI: %v", err)
		}
		t.Skip("python3-h5py not installed")
	}
	layers := []SavedLayer{
		{Name: "input_1"},
		{Name: "dense_1", Weights: []SavedWeight{
			{Name: "dense_1/kernel:0", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
			{Name: "dense_1/bias:0", Shape: []int{3}, Data: []float32{-1, 0.5, 0}},
		}},
	}
	out := filepath.Join(t.TempDir(), "m.h5")
	cfg := `{"class_name": "Model", "config": {"name": "m"}}`
	require.NoError(t, SaveModel(out, layers, SaveOptions{ModelConfig: []byte(cfg), Attrs: map[string]string{"keel_preprocess": "tf"}}))
	script := `
import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
w = f["model_weights"]
print(json.dumps({
  "config": json.loads(f.attrs["model_config"]),
  "keras_version": f.attrs["keras_version"],
  "keel_preprocess": f.attrs["keel_preprocess"],
  "layer_names": [n.decode() for n in w.attrs["layer_names"]],
  "weight_names": [n.decode() for n in w["dense_1"].attrs["weight_names"]],
  "input_weight_names_dtype": str(w["input_1"].attrs["weight_names"].dtype),
  "kernel": w["dense_1/dense_1/kernel:0"][()].tolist(),
  "bias": w["dense_1/dense_1/bias:0"][()].tolist(),
}))
`
	b, err := exec.Command(python, "-c", script, out).CombinedOutput()
	require.NoError(t, err, string(b))
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	require.Equal(t, map[string]any{"name": "m"}, got["config"].(map[string]any)["config"])
	require.Equal(t, "2.3.1", got["keras_version"])
	require.Equal(t, "tf", got["keel_preprocess"])
	require.Equal(t, []any{"input_1", "dense_1"}, got["layer_names"])
	require.Equal(t, []any{"dense_1/kernel:0", "dense_1/bias:0"}, got["weight_names"])
	require.Equal(t, "float64", got["input_weight_names_dtype"])
	require.Equal(t, []any{[]any{1.0, 2.0, 3.0}, []any{4.0, 5.0, 6.0}}, got["kernel"])
	require.Equal(t, []any{-1.0, 0.5, 0.0}, got["bias"])
}

// A list of names longer than an attribute holds is split as Keras splits
// it (layer_names0, layer_names1, ...) and reads back whole.
func TestSaveWeightsSplitsLongNameLists(t *testing.T) {
	var layers []SavedLayer
	for i := 0; i < 1500; i++ {
		layers = append(layers, SavedLayer{Name: fmt.Sprintf("a_rather_long_layer_name_of_a_very_deep_keras_model_%04d", i)})
	}
	out := filepath.Join(t.TempDir(), "many.h5")
	require.NoError(t, SaveWeights(out, layers, SaveOptions{}))
	f, err := Open(out)
	require.NoError(t, err)
	defer f.Close()
	var names []string
	for _, l := range f.Layers() {
		names = append(names, l.Name)
	}
	require.Len(t, names, 1500)
	require.True(t, slices.IsSorted(names))
	root, err := f.HDF5().Root()
	require.NoError(t, err)
	attrs, err := root.Attrs()
	require.NoError(t, err)
	var attrNames []string
	for _, a := range attrs {
		attrNames = append(attrNames, a.Name)
	}
	// 1500 names of 57 bytes (85,500 bytes) make two chunks of 750.
	require.Subset(t, attrNames, []string{"layer_names0", "layer_names1"})
	require.NotContains(t, attrNames, "layer_names")
}

func TestSaveModelRoundTrip(t *testing.T) {
	layers := []SavedLayer{{Name: "input_1"}, {Name: "conv1", Weights: []SavedWeight{{Name: "conv1/kernel:0", Shape: []int{1, 1, 1, 2}, Data: []float32{3, 4}}}}}
	out := filepath.Join(t.TempDir(), "m.h5")
	cfg := []byte(`{"class_name": "Model", "config": {"name": "m", "layers": []}}`)
	require.NoError(t, SaveModel(out, layers, SaveOptions{ModelConfig: cfg, TrainingConfig: []byte(`{"loss": "categorical_crossentropy"}`)}))
	f, err := Open(out)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, FormatH5Model, f.Format)
	require.Equal(t, "m", f.ModelConfig["config"].(map[string]any)["name"])
	require.Equal(t, "categorical_crossentropy", f.TrainingConfig["loss"])
	require.Equal(t, layers, readLayers(t, out))

	require.Error(t, SaveModel(out, layers, SaveOptions{}), "a full model needs its config")
}

// A save that fails leaves the previous file as it was.
func TestSaveIsAtomic(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "w.h5")
	good := []SavedLayer{{Name: "d", Weights: []SavedWeight{{Name: "d/kernel:0", Shape: []int{2}, Data: []float32{1, 2}}}}}
	require.NoError(t, SaveWeights(out, good, SaveOptions{}))
	before, err := os.ReadFile(out)
	require.NoError(t, err)
	bad := []SavedLayer{{Name: "d", Weights: []SavedWeight{{Name: "d/kernel:0", Shape: []int{3}, Data: []float32{1, 2}}}}}
	require.Error(t, SaveWeights(out, bad, SaveOptions{}))
	require.Error(t, SaveWeights(out, []SavedLayer{{Name: "x"}, {Name: "x"}}, SaveOptions{}), "repeated layer name")
	after, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, before, after)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing in CI (.ci/run installs it)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}
