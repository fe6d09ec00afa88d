package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/internal/classify"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
	"github.com/stretchr/testify/require"
)

// splitPhotos links the first test files of each class folder of src into
// dir/test and the rest into dir/train.
func splitPhotos(t *testing.T, src, dir string, test int) (train, held string) {
	t.Helper()
	train, held = filepath.Join(dir, "train"), filepath.Join(dir, "test")
	classes, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, c := range classes {
		if !c.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(src, c.Name()))
		require.NoError(t, err)
		var names []string
		for _, f := range files {
			names = append(names, f.Name())
		}
		sort.Strings(names)
		for i, n := range names {
			to := filepath.Join(train, c.Name())
			if i < test {
				to = filepath.Join(held, c.Name())
			}
			require.NoError(t, os.MkdirAll(to, 0o755))
			require.NoError(t, os.Symlink(filepath.Join(src, c.Name(), n), filepath.Join(to, n)))
		}
	}
	return train, held
}

// folderScores runs a model file on every image of a class-per-folder tree
// as keel predict does, returning the scores and the true class indices.
func folderScores(t *testing.T, path, dir string) (*nn.Tensor, []int) {
	t.Helper()
	m, meta, err := modelfile.Load(path)
	require.NoError(t, err)
	size, mode, err := classify.InputOf(m, meta, "")
	require.NoError(t, err)
	h, w := classify.ImageSize(m, size)
	var x []float32
	var labels []int
	for ci, c := range meta.ClassNames {
		paths, _ := imagePaths([]string{filepath.Join(dir, c)})
		for _, p := range paths {
			img, err := imagedata.Load(p)
			require.NoError(t, err)
			px := make([]float32, h*w*3)
			classify.Pixels(img, h, w, px)
			x = append(x, px...)
			labels = append(labels, ci)
		}
	}
	require.NoError(t, zoo.Preprocess(mode, x))
	xt, err := nn.TensorOf(x, len(labels), h, w, 3)
	require.NoError(t, err)
	ys, err := m.Run(xt)
	require.NoError(t, err)
	return ys[0], labels
}

func argmaxRow(y *nn.Tensor, i int) int {
	k := y.Len() / y.Batch()
	row := y.Data[i*k : (i+1)*k]
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// The check on real photos: a MobileNet (the real ImageNet file)
// transfer-learned with keel train on hat and skirt photos, quantized with
// part of its training images, keeps its top-1 answers on the held-back
// photos (agreement at least 99%) and its accuracy (within 1 point); and
// keel predict and keel evaluate read the int8 file as any model file.
func TestQuantizeRealPhotos(t *testing.T) {
	weights := testenv.Shared(t, "realh5", "MicroExpressionRecognition", "mobilenet_2_5_224_tf_no_top.h5")
	photos := testenv.Shared(t, "data", "photos", "clothing-hat-skirt")
	dir := t.TempDir()
	train, test := splitPhotos(t, photos, dir, 25)
	// The checked configuration (about 15 s on two cores) in -short too: a
	// smaller input makes a weaker model whose near-even answers are not
	// what the check is about.
	size, epochs, images := "160", "12", "100"
	float := filepath.Join(dir, "hs.h5")
	_, stderr, code := runCLI(t, "train", "--model", "mobilenet", "--alpha", "0.25", "--weights", weights, "--input-size", size,
		"--data", train, "--epochs", epochs, "--seed", "1", "--out", float)
	require.Equal(t, 0, code, stderr)
	int8File := filepath.Join(dir, "hs.int8.h5")
	stdout, stderr, code := runCLI(t, "quantize", "--model-file", float, "--calibrate", train, "--images", images, "--out", int8File, "--json")
	require.Equal(t, 0, code, stderr)
	var rep struct {
		Images int `json:"calibration_images"`
		Layers []struct {
			Name      string  `json:"name"`
			Precision string  `json:"precision"`
			Err       float64 `json:"rel_rms_error"`
		} `json:"layers"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
	require.Equal(t, images, itoa(rep.Images))
	int8Layers := 0
	for _, l := range rep.Layers {
		if l.Precision == "int8" {
			int8Layers++
		}
	}
	require.Equal(t, 28, int8Layers, "27 convolutions and the global pooling in int8")

	yf, labels := folderScores(t, float, test)
	n := float64(len(labels))
	// The same check on 7-bit weights (--reduce-range), for CPUs without
	// dot-product instructions.
	reduced := filepath.Join(dir, "hs.int8r.h5")
	_, stderr, code = runCLI(t, "quantize", "--model-file", float, "--calibrate", train, "--images", images, "--out", reduced, "--reduce-range")
	require.Equal(t, 0, code, stderr)
	var rightQ int
	for _, f := range []string{int8File, reduced} {
		yq, labels2 := folderScores(t, f, test)
		require.Equal(t, labels, labels2)
		agree, rightF, right := 0, 0, 0
		for i, c := range labels {
			pf, pq := argmaxRow(yf, i), argmaxRow(yq, i)
			if pf == pq {
				agree++
			}
			if pf == c {
				rightF++
			}
			if pq == c {
				right++
			}
		}
		t.Logf("%s: %d held-back photos at %s px: top-1 agreement %.1f%%, accuracy float32 %.1f%%, int8 %.1f%%",
			filepath.Base(f), len(labels), size, 100*float64(agree)/n, 100*float64(rightF)/n, 100*float64(right)/n)
		require.GreaterOrEqual(t, float64(agree)/n, 0.99, f)
		require.InDelta(t, float64(rightF)/n, float64(right)/n, 0.01+1e-9, f)
		if f == int8File {
			rightQ = right
		}
	}

	// The int8 file through the commands that read model files.
	stdout, stderr, code = runCLI(t, "evaluate", "--model-file", int8File, "--data", test, "--json")
	require.Equal(t, 0, code, stderr)
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &ev), stdout)
	require.InDelta(t, float64(rightQ)/n, ev["accuracy"], 1e-9)
	stdout, stderr, code = runCLI(t, "predict", "--model-file", int8File, filepath.Join(test, "hat"))
	require.Equal(t, 0, code, stderr)
	require.True(t, strings.Contains(stdout, "hat") || strings.Contains(stdout, "skirt"), stdout)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// keel bench models --precision: the float32 record's fields plus
// precision, for int8 and bf16; an unknown precision is a usage error.
func TestBenchModelsPrecision(t *testing.T) {
	var fields []string
	for _, p := range []string{"float32", "int8", "bf16"} {
		stdout, stderr, code := runCLI(t, "bench", "models", "--model", "mobilenet", "--input-size", "32", "--precision", p,
			"--threads", "1", "--samples", "1", "--json")
		require.Equal(t, 0, code, stderr)
		recs := jsonLines(t, stdout)
		require.Len(t, recs, 1)
		require.Equal(t, p, recs[0]["precision"])
		var keys []string
		for k := range recs[0] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if fields == nil {
			fields = keys
		}
		require.Equal(t, fields, keys, p)
		require.Greater(t, recs[0]["seconds"], 0.0)
	}
	_, stderr, code := runCLI(t, "bench", "models", "--model", "mobilenet", "--precision", "fp8")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--precision must be float32, int8 or bf16")
}

// keel quantize's usage errors and an unreadable calibration folder.
func TestQuantizeUsage(t *testing.T) {
	_, stderr, code := runCLI(t, "quantize", "--model-file", "m.h5")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--model-file, --calibrate and --out are required")
	_, stderr, code = runCLI(t, "quantize", "--model-file", "m.h5", "--calibrate", t.TempDir(), "--out", "x.h5", "--method", "kl")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--method must be percentile or minmax")
}
