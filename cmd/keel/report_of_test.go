package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/internal/testimages"
	"github.com/stretchr/testify/require"
)

// `keel train --report` draws the run (curves with the fine-tuning mark,
// the test set's confusion matrix and mistakes) and `keel evaluate
// --report` the evaluation; each picture is a real PNG, and the page shows
// the run's settings.
func TestTrainAndEvaluateReports(t *testing.T) {
	data := testimages.ColourFolder(t, 12, 40, 36, 5)
	weights := testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5")
	dir := t.TempDir()
	out, trainReport, evalReport := filepath.Join(dir, "model.h5"), filepath.Join(dir, "train"), filepath.Join(dir, "eval")
	_, stderr, code := runCLI(t, "train", "--model", "mobilenet", "--alpha", "0.25", "--weights", weights, "--data", data,
		"--input-size", "32", "--batch", "8", "--epochs", "2", "--seed", "3", "--validation-split", "0.2",
		"--fine-tune-from", "conv_pw_13", "--fine-tune-epochs", "1",
		"--test", data, "--report", trainReport, "--json", "--out", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "report: "+filepath.Join(trainReport, "index.html"))
	for _, name := range []string{"curves.png", "confusion.png"} {
		f, err := os.Open(filepath.Join(trainReport, name))
		require.NoError(t, err)
		img, err := png.Decode(f)
		f.Close()
		require.NoError(t, err, name)
		require.Greater(t, img.Bounds().Dx(), 100, name)
	}
	page, err := os.ReadFile(filepath.Join(trainReport, "index.html"))
	require.NoError(t, err)
	for _, want := range []string{"keel train", "fine-tune-from", "conv_pw_13", "data:image/png;base64,"} {
		require.Contains(t, string(page), want)
	}
	require.NotContains(t, string(page), "--report")

	stdout, stderr, code := runCLI(t, "evaluate", "--model-file", out, "--data", data, "--report", evalReport)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "report: "+filepath.Join(evalReport, "index.html"))
	_, err = os.Stat(filepath.Join(evalReport, "confusion.png"))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(evalReport, "curves.png"))
	require.True(t, os.IsNotExist(err), "an evaluation has no training curves")
	page, err = os.ReadFile(filepath.Join(evalReport, "index.html"))
	require.NoError(t, err)
	require.True(t, strings.Contains(string(page), "keel evaluate"))
}
