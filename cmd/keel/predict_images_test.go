package main

import (
	"encoding/csv"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// colourModel saves a model that averages an 8x8 image's channels and
// gives softmax(mean/20): the dominant channel's class wins.
func colourModel(t *testing.T, dir string) string {
	t.Helper()
	dense := nn.NewDense(3, nn.WithActivation("softmax"))
	m, err := nn.Sequential([]int{8, 8, 3}, nn.NewGlobalAveragePooling2D(), dense)
	require.NoError(t, err)
	kernel := dense.Weights()[0].Value() // (3, 3), input-major
	for i := range kernel {
		kernel[i] = 0
	}
	for c := 0; c < 3; c++ {
		kernel[c*3+c] = 0.05
	}
	path := filepath.Join(dir, "colours.h5")
	require.NoError(t, modelfile.Save(path, m, modelfile.Meta{Preprocess: "none", InputSize: 8, ClassNames: []string{"red", "green", "blue"}}))
	return path
}

// colourSoftmax is the model's output for a solid colour, by hand.
func colourSoftmax(rgb [3]float64) [3]float64 {
	var e [3]float64
	sum := 0.0
	for i, v := range rgb {
		e[i] = math.Exp(v * 0.05) // the mean of a solid image is its colour
		sum += e[i]
	}
	for i := range e {
		e[i] /= sum
	}
	return e
}

func writeSolid(t *testing.T, path string, c color.RGBA) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	img := image.NewRGBA(image.Rect(0, 0, 20, 12))
	for y := 0; y < 12; y++ {
		for x := 0; x < 20; x++ {
			img.Set(x, y, c)
		}
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())
}

// imageFolder holds three solid images (one nested), a note that is not an
// image, and a corrupt PNG.
func imageFolder(t *testing.T) (dir string, colours map[string][3]float64) {
	dir = t.TempDir()
	colours = map[string][3]float64{
		filepath.Join(dir, "a", "red.png"):          {200, 40, 0},
		filepath.Join(dir, "b", "green.png"):        {10, 180, 60},
		filepath.Join(dir, "b", "deep", "blue.PNG"): {0, 90, 160},
	}
	for p, c := range colours {
		writeSolid(t, p, color.RGBA{uint8(c[0]), uint8(c[1]), uint8(c[2]), 255})
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an image"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b", "broken.png"), []byte("\x89PNG truncated"), 0o644))
	return dir, colours
}

func TestPredictFolderAsCSV(t *testing.T) {
	model := colourModel(t, t.TempDir())
	dir, colours := imageFolder(t)
	out := filepath.Join(t.TempDir(), "preds.csv")

	// Flags after the folder, as a new user types them.
	stdout, stderr, code := runCLI(t, "predict", dir, "--model-file", model, "--top", "2", "--csv", out, "--batch", "2")
	require.Equal(t, 0, code, "three of four images were read: %s", stderr)
	require.Empty(t, stdout)
	require.Equal(t, 1, strings.Count(stderr, "broken.png"), stderr)
	require.Contains(t, stderr, "1 of 4 files could not be read")
	require.NotContains(t, stderr, "notes.txt", "files without an image extension are passed over")

	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"path", "class", "probability", "class_2", "probability_2"}, rows[0])
	require.Len(t, rows, 4)
	names := []string{"red", "green", "blue"}
	for _, row := range rows[1:] {
		want := colourSoftmax(colours[row[0]])
		best, second := 0, 1
		for i := range want {
			if want[i] > want[best] {
				best = i
			}
		}
		for i := range want {
			if i != best && (second == best || want[i] > want[second]) {
				second = i
			}
		}
		require.Equal(t, names[best], row[1], row[0])
		require.Equal(t, names[second], row[3], row[0])
		for _, c := range []struct {
			cell string
			want float64
		}{{row[2], want[best]}, {row[4], want[second]}} {
			p, err := strconv.ParseFloat(c.cell, 64)
			require.NoError(t, err)
			require.InDelta(t, c.want, p, 1e-5, row[0])
		}
	}
}

func TestPredictJSONLines(t *testing.T) {
	model := colourModel(t, t.TempDir())
	dir, _ := imageFolder(t)
	red := filepath.Join(dir, "a", "red.png")
	stdout, stderr, code := runCLI(t, "predict", "--json", red, "--model-file", model, filepath.Join(dir, "b", "green.png"), "--top", "5")
	require.Equal(t, 0, code, stderr)
	recs := jsonLines(t, stdout)
	require.Len(t, recs, 2)
	require.Equal(t, red, recs[0]["path"])
	preds := recs[0]["predictions"].([]any)
	require.Len(t, preds, 3, "--top 5 of a 3-class model gives all 3")
	first := preds[0].(map[string]any)
	require.Equal(t, "red", first["class"])
	require.Equal(t, 0.0, first["index"])
	require.InDelta(t, colourSoftmax([3]float64{200, 40, 0})[0], first["probability"].(float64), 1e-5)
}

// Not one readable image: exit 1, and each reason said once.
func TestPredictNothingReadable(t *testing.T) {
	model := colourModel(t, t.TempDir())
	dir, _ := imageFolder(t)
	broken, missing := filepath.Join(dir, "b", "broken.png"), filepath.Join(dir, "missing.jpg")
	_, stderr, code := runCLI(t, "predict", "--model-file", model, broken, missing)
	require.Equal(t, 1, code)
	require.Equal(t, 1, strings.Count(stderr, "broken.png"), stderr)
	require.Equal(t, 1, strings.Count(stderr, "missing.jpg"), stderr)
	require.Contains(t, stderr, "no image could be read")

	empty := t.TempDir()
	_, stderr, code = runCLI(t, "predict", "--model-file", model, empty)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "no images in "+empty)
	require.Equal(t, 1, strings.Count(stderr, empty), stderr)
}

func TestPredictOutputFlagsMisuse(t *testing.T) {
	model := colourModel(t, t.TempDir())
	dir, _ := imageFolder(t)
	for _, args := range [][]string{
		{"--csv", "x.csv", "--json", dir},
		{"--json"},
		{"--top", "0", dir},
	} {
		_, stderr, code := runCLI(t, append([]string{"predict", "--model-file", model}, args...)...)
		require.Equal(t, 2, code, "%v: %s", args, stderr)
	}
}
