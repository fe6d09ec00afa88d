package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/npy"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/internal/testimages"
	"github.com/keelml/keel/weightsio"
	"github.com/stretchr/testify/require"
)

// keel train, then keel evaluate and keel predict on what it saved.
func TestTrainEvaluatePredict(t *testing.T) {
	data := testimages.ColourFolder(t, 20, 48, 40, 3)
	weights := testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5")
	out := filepath.Join(t.TempDir(), "colours.h5")
	stdout, stderr, code := runCLI(t, "train", "--model", "mobilenet", "--alpha", "0.25", "--weights", weights, "--data", data,
		"--input-size", "32", "--epochs", "25", "--batch", "8", "--lr", "0.01", "--head", "gap,dense:16:relu,dense:softmax",
		"--validation-split", "0.25", "--seed", "3", "--out", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "Epoch 25/25")
	require.Contains(t, stdout, "computed once")
	require.Contains(t, stdout, "saved "+out)

	// The file is a Keras full model with Keel's metadata.
	f, err := weightsio.Open(out)
	require.NoError(t, err)
	require.Equal(t, weightsio.FormatH5Model, f.Format)
	require.Equal(t, "Model", f.ModelConfig["class_name"])
	f.Close()

	stdout, stderr, code = runCLI(t, "evaluate", "--model-file", out, "--data", data, "--json")
	require.Equal(t, 0, code, stderr)
	recs := jsonLines(t, stdout)
	require.Greater(t, recs[0]["accuracy"].(float64), 0.7, "well above chance (1/3)")
	require.Equal(t, 60.0, recs[0]["images"])

	// Images: top classes named as the model records them.
	red := filepath.Join(data, "red", "000.png")
	stdout, stderr, code = runCLI(t, "predict", "--model-file", out, red)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "  1. red")

	// --input is fed exactly as given; predictions are identical run to run.
	x := make([]float32, 2*32*32*3)
	for i := range x {
		x[i] = float32(i%255)/127.5 - 1
	}
	in, y1, y2 := filepath.Join(t.TempDir(), "x.npy"), filepath.Join(t.TempDir(), "y1.npy"), filepath.Join(t.TempDir(), "y2.npy")
	require.NoError(t, npy.Write(in, []int{2, 32, 32, 3}, x))
	for _, y := range []string{y1, y2} {
		_, stderr, code = runCLI(t, "predict", "--model-file", out, "--input", in, "--output", y)
		require.Equal(t, 0, code, stderr)
	}
	s1, a, err := npy.Read(y1)
	require.NoError(t, err)
	_, b, err := npy.Read(y2)
	require.NoError(t, err)
	require.Equal(t, []int{2, 3}, s1)
	require.Equal(t, a, b)
}

func TestTrainFlagErrors(t *testing.T) {
	_, stderr, code := runCLI(t, "train", "--model", "mobilenet", "--data", "x", "--out", "y.h5")
	require.NotZero(t, code)
	require.Contains(t, stderr, "--weights")
	_, stderr, code = runCLI(t, "train", "--model", "mobilenet", "--weights", "imagenet", "--data", "x", "--out", "y.h5", "--freeze", "some")
	require.NotZero(t, code)
	require.Contains(t, stderr, "until=LAYER")
	_, stderr, code = runCLI(t, "train", "--model", "mobilenet", "--weights", "imagenet", "--data", "x", "--out", "y.h5", "--augment", "spin=3")
	require.NotZero(t, code)
	require.True(t, strings.Contains(stderr, "unknown argument"), stderr)
}

func TestParseAugment(t *testing.T) {
	a, err := parseAugment("rotation_range=20,zoom_range=0.1,horizontal_flip=true,brightness_range=0.8:1.2,fill_mode=reflect,width_shift_range=0.1")
	require.NoError(t, err)
	require.Equal(t, 20.0, a.RotationRange)
	require.Equal(t, [2]float64{0.9, 1.1}, a.ZoomRange)
	require.True(t, a.HorizontalFlip)
	require.Equal(t, [2]float64{0.8, 1.2}, a.BrightnessRange)
	require.Equal(t, "reflect", a.FillMode.String())
	none, err := parseAugment("")
	require.NoError(t, err)
	require.Nil(t, none)
	for _, bad := range []string{"rotation_range", "zoom_range=x", "brightness_range=0.8", "horizontal_flip=maybe"} {
		_, err := parseAugment(bad)
		require.Error(t, err, bad)
	}
}

// --out x.keras saves a Keras 3 archive that keel predict reads, class
// names included.
func TestTrainSavesKerasArchive(t *testing.T) {
	data := testimages.ColourFolder(t, 6, 48, 40, 3)
	weights := testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5")
	out := filepath.Join(t.TempDir(), "colours.keras")
	stdout, stderr, code := runCLI(t, "train", "--model", "mobilenet", "--alpha", "0.25", "--weights", weights, "--data", data,
		"--input-size", "32", "--epochs", "1", "--batch", "8", "--seed", "3", "--out", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "saved "+out)
	f, err := weightsio.Open(out)
	require.NoError(t, err)
	require.Equal(t, weightsio.FormatArchive, f.Format)
	require.Equal(t, "Functional", f.ModelConfig["class_name"])
	f.Close()
	stdout, stderr, code = runCLI(t, "predict", "--model-file", out, filepath.Join(data, "red", "000.png"))
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `  1\. (blue|green|red) `, stdout, "the class names travel in the archive")
}
