package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/npy"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
	"github.com/stretchr/testify/require"
)

// A model file that leaves its input's height and width open runs at the
// size of the .npy batch it is given.
func TestPredictModelFileOfUnknownSize(t *testing.T) {
	m, err := nn.Sequential([]int{4, 4, 3}, nn.NewConv2D(2, 3, 3, nn.WithName("conv"), nn.WithPadding("same")))
	require.NoError(t, err)
	cfg, err := json.Marshal(m)
	require.NoError(t, err)
	cfg = []byte(strings.Replace(string(cfg), `"batch_input_shape":[null,4,4,3]`, `"batch_input_shape":[null,null,null,3]`, 1))
	dir := t.TempDir()
	model, in, out := filepath.Join(dir, "fcn.h5"), filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	require.NoError(t, modelfile.SaveWithOptions(model, m, modelfile.Meta{}, weightsio.SaveOptions{ModelConfig: cfg}))
	require.NoError(t, npy.Write(in, []int{2, 6, 5, 3}, make([]float32, 2*6*5*3)))

	_, stderr, code := runCLI(t, "predict", "--model-file", model, "--input", in, "--output", out)
	require.Equal(t, 0, code, stderr)
	shape, _, err := npy.Read(out)
	require.NoError(t, err)
	require.Equal(t, []int{2, 6, 5, 2}, shape)

	_, stderr, code = runCLI(t, "predict", "--model-file", model)
	require.NotZero(t, code)
	require.Contains(t, stderr, "unknown dimensions")
}
