package main

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/npy"
	"github.com/keelml/keel/internal/specweights"
	"github.com/keelml/keel/internal/testenv"
	"github.com/stretchr/testify/require"
)

func TestPredictNpyWithRealWeights(t *testing.T) {
	weights := testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	require.NoError(t, npy.Write(in, []int{2, 64, 64, 3}, specweights.RawImages([]int{2, 64, 64, 3})))

	_, stderr, code := runCLI(t, "predict", "--model", "mobilenet", "--alpha", "0.25", "--weights", weights, "--input", in, "--output", out)
	require.Equal(t, 0, code, stderr)
	shape, y, err := npy.Read(out)
	require.NoError(t, err)
	require.Equal(t, []int{2, 2, 2, 256}, shape)
	for _, v := range y {
		require.True(t, v >= 0 && v <= 6, "conv_pw_13_relu is a ReLU6 output")
	}

	// --layer gives an intermediate layer; batch size does not change results.
	_, stderr, code = runCLI(t, "predict", "--model", "mobilenet", "--alpha", "0.25", "--weights", weights, "--input", in, "--output", out, "--layer", "conv_dw_6", "--batch", "1")
	require.Equal(t, 0, code, stderr)
	shape, _, err = npy.Read(out)
	require.NoError(t, err)
	require.Equal(t, []int{2, 4, 4, 64}, shape)

	// --input-size must agree with the input.
	_, stderr, code = runCLI(t, "predict", "--model", "mobilenet", "--alpha", "0.25", "--weights", weights, "--input", in, "--output", out, "--input-size", "96")
	require.NotZero(t, code)
	require.Contains(t, stderr, "--input-size is 96")
}

// The same numbers as the Keras-semantics reference, through the command line.
func TestPredictMatchesGolden(t *testing.T) {
	weights := testenv.Shared(t, "golden", "h5", "mobilenet_1.00_224.spec_weights.h5")
	dir := t.TempDir()
	out := filepath.Join(dir, "y.npy")
	raw := testenv.Shared(t, "golden", "inputs", "raw_2x224x224x3.npy")
	_, stderr, code := runCLI(t, "predict", "--model", "mobilenet", "--top", "--weights", weights, "--input", raw, "--output", out, "--layer", "reshape_2")
	require.Equal(t, 0, code, stderr)
	_, got, err := npy.Read(out)
	require.NoError(t, err)
	_, want, err := npy.Read(testenv.Shared(t, "golden", "outputs", "mobilenet_top_224", "reshape_2.npy"))
	require.NoError(t, err)
	var d, m float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i]-want[i])))
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	require.Less(t, d/m, 1e-4)
}

func TestPredictImagesPrintsTopFive(t *testing.T) {
	weights := testenv.Shared(t, "golden", "h5", "mobilenet_1.00_224.spec_weights.h5")
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	path := filepath.Join(dir, "gradient.png")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	f.Close()
	broken := filepath.Join(dir, "broken.jpg")
	require.NoError(t, os.WriteFile(broken, []byte("not a jpeg"), 0o644))

	stdout, stderr, code := runCLI(t, "predict", "--model", "mobilenet", "--top", "--weights", weights, path, broken)
	require.Equal(t, 0, code, "one image of two was classified: %s", stderr)
	require.Equal(t, 1, strings.Count(stderr, "broken.jpg"), stderr)
	require.Contains(t, stderr, "1 of 2 files could not be read")
	require.Contains(t, stdout, "gradient.png")
	require.Contains(t, stdout, "  5. n")
}
