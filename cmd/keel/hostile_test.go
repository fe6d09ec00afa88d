package main

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/hostile"
	"github.com/stretchr/testify/require"
)

// writePNG writes a small RGB image.
func writePNG(t *testing.T, path string) {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())
}

// TestPredictHostileFiles runs keel predict on files that declare far more
// than they hold: exit code 1 and a message naming the file and what it
// declares, never a panic or a runtime fatal error.
func TestPredictHostileFiles(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "img.png")
	writePNG(t, img)
	model, err := hostile.ConvModelH5(dir, "hostile.h5", 100_000_000)
	require.NoError(t, err)
	okModel, err := hostile.ConvModelH5(dir, "ok.h5", 4)
	require.NoError(t, err)
	npyFile := filepath.Join(dir, "hostile.npy")
	require.NoError(t, os.WriteFile(npyFile, hostile.NPY("<f4", []int{100000, 100000, 3}, 128), 0o644))
	out := filepath.Join(dir, "out.npy")
	modelMsg := model + `: nn: layer "conv" (Conv2D) declares weight kernel of shape (3, 3, 3, 100000000) = 10.8 GB of float32, more than the 112 weight values the file holds`
	npyMsg := "npy: " + npyFile + ": header declares shape (100000, 100000, 3) = 120 GB of float32, the file holds 128 bytes"
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"model on image", []string{"predict", "--model-file", model, img}, modelMsg},
		{"model on npy", []string{"predict", "--model-file", model, "--input", npyFile, "--output", out}, modelMsg},
		{"zoo on npy", []string{"predict", "--model", "mobilenet", "--weights", "imagenet", "--input", npyFile, "--output", out}, npyMsg},
		{"model file on npy", []string{"predict", "--model-file", okModel, "--input", npyFile, "--output", out}, npyMsg},
		{"evaluate", []string{"evaluate", "--model-file", model, "--data", dir}, modelMsg},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, c.args...)
			require.Equal(t, 1, code, "stdout %q stderr %q", stdout, stderr)
			require.Contains(t, stderr, c.want)
			for _, bad := range []string{"panic", "fatal error", "goroutine"} {
				require.NotContains(t, stderr, bad)
			}
		})
	}
}
