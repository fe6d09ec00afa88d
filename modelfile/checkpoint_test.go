package modelfile_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
	"github.com/stretchr/testify/require"
)

// perturb changes every weight of m so that loading has to restore them.
func perturb(t *testing.T, m *nn.Model) {
	for _, v := range m.Weights() {
		d := append([]float32(nil), v.Value()...)
		for i := range d {
			d[i] = d[i]*0.5 + 0.01
		}
		require.NoError(t, v.Set(v.Shape(), d))
	}
}

// mlp is a compiled 4 -> 8 -> 3 classifier.
func mlp(t *testing.T) *nn.Model {
	sc := nn.NewNameScope()
	in := nn.Input([]int{4}, nn.WithScope(sc))
	x := nn.NewDense(8, nn.WithActivation("relu"), nn.WithScope(sc)).Apply(in)
	x = nn.NewDense(3, nn.WithActivation("softmax"), nn.WithScope(sc)).Apply(x)
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{x}, nn.WithName("tiny"))
	require.NoError(t, err)
	m.Compile(nn.NewAdam(nn.AdamConfig{}), nn.CategoricalCrossentropy{}, nn.NewAccuracy())
	return m
}

// mlpData is n samples of 4 features labelled by the largest of the first 3.
func mlpData(n int) (*nn.Tensor, *nn.Tensor) {
	x, y := nn.NewTensor(n, 4), nn.NewTensor(n, 3)
	for i := 0; i < n; i++ {
		best := 0
		for j := 0; j < 4; j++ {
			x.Data[i*4+j] = float32((i*7+j*13)%17) / 17
			if j < 3 && x.Data[i*4+j] > x.Data[i*4+best] {
				best = j
			}
		}
		y.Data[i*3+best] = 1
	}
	return x, y
}

func predict(t *testing.T, m *nn.Model, x *nn.Tensor) []float32 {
	d, err := nn.NewArrayDataset([]*nn.Tensor{x}, nil, x.Shape[0], false, 0)
	require.NoError(t, err)
	p, err := m.Predict(context.Background(), d)
	require.NoError(t, err)
	return p[0].Data
}

// The last checkpoint of a fit, weights-only or whole model, loads into a
// fresh model (or is one, with the attributes it was given) with identical
// predictions.
func TestCheckpointLastLoadsWithIdenticalPredictions(t *testing.T) {
	x, y := mlpData(64)
	saveModel := func(path string, m *nn.Model) error {
		return modelfile.SaveWithOptions(path, m, modelfile.Meta{InputSize: 4}, weightsio.SaveOptions{Attrs: map[string]string{"keel_classes": "a,b,c"}})
	}
	for _, weightsOnly := range []bool{true, false} {
		t.Run(fmt.Sprint("weightsOnly=", weightsOnly), func(t *testing.T) {
			m := mlp(t)
			ck := &nn.ModelCheckpoint{Filepath: filepath.Join(t.TempDir(), "ck-{epoch:02d}.h5"), Save: saveModel}
			if weightsOnly {
				ck.Save = modelfile.SaveWeights
			}
			d, err := nn.NewArrayDataset([]*nn.Tensor{x}, []*nn.Tensor{y}, 16, true, 0)
			require.NoError(t, err)
			_, err = m.Fit(context.Background(), d, nn.FitOptions{Epochs: 3, Verbose: nn.VerboseSilent, Callbacks: []nn.Callback{ck}})
			require.NoError(t, err)
			require.Len(t, ck.Saved, 3)
			last := ck.Saved[2]
			require.Equal(t, "ck-03.h5", filepath.Base(last))
			want := predict(t, m, x)

			fresh := mlp(t)
			perturb(t, fresh)
			require.NotEqual(t, want, predict(t, fresh, x), "the fresh model already predicts the same")
			_, err = modelfile.LoadWeights(fresh, last, false)
			require.NoError(t, err)
			require.Equal(t, want, predict(t, fresh, x), "predictions after loading the last checkpoint")

			f, err := weightsio.Open(last)
			require.NoError(t, err)
			defer f.Close()
			require.Equal(t, weightsOnly, f.ModelConfig == nil)
			require.Equal(t, "2.3.1", f.KerasVersion)
			if weightsOnly {
				return
			}
			root, err := f.HDF5().Root()
			require.NoError(t, err)
			a, err := root.Attr("keel_classes")
			require.NoError(t, err)
			require.NotNil(t, a, "the extra attribute is saved")
			rebuilt, meta, err := modelfile.Load(last)
			require.NoError(t, err)
			require.Equal(t, 4, meta.InputSize)
			require.Equal(t, want, predict(t, rebuilt, x), "the model rebuilt from the file")
		})
	}
}

// nested is a model whose first layer after the input is a backbone with
// its convolution frozen, so that Keras' saved order (trainable weights
// first) is not layer order.
func nested(t *testing.T, outer string) *nn.Model {
	sc := nn.NewNameScope()
	bin := nn.Input([]int{6, 6, 2}, nn.WithScope(sc))
	conv := nn.NewConv2D(3, 3, 3, nn.WithScope(sc))
	bx := nn.NewBatchNormalization(nn.WithScope(sc)).Apply(conv.Apply(bin))
	base, err := nn.NewModel([]*nn.Node{bin}, []*nn.Node{bx}, nn.WithName("base"))
	require.NoError(t, err)
	conv.SetTrainable(false)
	in := nn.Input([]int{6, 6, 2}, nn.WithScope(sc))
	x := nn.NewGlobalAveragePooling2D(nn.WithScope(sc)).Apply(base.Apply(in))
	x = nn.NewDense(2, nn.WithName(outer+"dense")).Apply(x)
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{x}, nn.WithName(outer))
	require.NoError(t, err)
	return m
}

// A nested model is saved as Keras saves it, one layer entry with all its
// weights, trainable first, and loads back by name and by topological order.
func TestCheckpointNestedModel(t *testing.T) {
	m := nested(t, "outer")
	perturb(t, m)
	path := filepath.Join(t.TempDir(), "w.h5")
	require.NoError(t, modelfile.SaveWeights(path, m))
	f, err := weightsio.Open(path)
	require.NoError(t, err)
	var names, wn []string
	for _, l := range f.Layers() {
		names = append(names, l.Name)
	}
	bl, _ := f.Layer("base")
	for _, w := range bl.Weights {
		wn = append(wn, w.Name)
	}
	f.Close()
	require.Equal(t, []string{"input_2", "base", "global_average_pooling2d_1", "outerdense"}, names)
	require.Equal(t, []string{"batch_normalization_1/gamma:0", "batch_normalization_1/beta:0",
		"conv2d_1/kernel:0", "conv2d_1/bias:0", "batch_normalization_1/moving_mean:0", "batch_normalization_1/moving_variance:0"}, wn)

	x := nn.NewTensor(2, 6, 6, 2)
	for i := range x.Data {
		x.Data[i] = float32(i%7) / 7
	}
	want := predict(t, m, x)
	for _, name := range []string{"outer", "renamed"} {
		fresh := nested(t, name)
		rep, err := modelfile.LoadWeights(fresh, path, false)
		require.NoError(t, err)
		require.Equal(t, name == "renamed", rep.ByOrder)
		require.Equal(t, want, predict(t, fresh, x), "%s: predictions after loading", name)
	}
	// A file without the model's layers is an error naming them.
	_, err = modelfile.LoadWeights(mlp(t), path, false)
	require.ErrorContains(t, err, "dense_1: not in the file")
}

// A Sequential model's weights leave out its InputLayer, as Keras'
// Sequential.layers does, in weight and whole-model files alike.
func TestSaveSequentialLeavesOutInputLayer(t *testing.T) {
	m, err := nn.Sequential([]int{4}, nn.NewDense(5, nn.WithName("hidden")), nn.NewDense(3, nn.WithName("out")))
	require.NoError(t, err)
	require.Len(t, m.Layers(), 3)
	perturb(t, m)
	x, _ := mlpData(4)
	dir := t.TempDir()
	for _, save := range []func(string, *nn.Model) error{modelfile.SaveWeights, func(p string, m *nn.Model) error { return modelfile.Save(p, m, modelfile.Meta{}) }} {
		path := filepath.Join(dir, "seq.h5")
		require.NoError(t, save(path, m))
		f, err := weightsio.Open(path)
		require.NoError(t, err)
		var names []string
		for _, l := range f.Layers() {
			names = append(names, l.Name)
		}
		whole := f.ModelConfig != nil
		f.Close()
		require.Equal(t, []string{"hidden", "out"}, names)
		if whole {
			back, _, err := modelfile.Load(path)
			require.NoError(t, err)
			require.Equal(t, predict(t, m, x), predict(t, back, x))
		}
	}
}

// Saving over a checkpoint replaces it by a rename: a reader of the old
// file still reads it whole, and no temporary file is left behind.
func TestCheckpointAtomicReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ck.h5")
	m := mlp(t)
	require.NoError(t, modelfile.SaveWeights(path, m))
	before, _ := os.ReadFile(path)
	old, err := os.Open(path)
	require.NoError(t, err)
	defer old.Close()
	perturb(t, m)
	require.NoError(t, modelfile.SaveWeights(path, m))
	kept, _ := io.ReadAll(old)
	after, _ := os.ReadFile(path)
	require.True(t, bytes.Equal(kept, before) && !bytes.Equal(after, before), "the old checkpoint was modified in place")
	// A save that fails (the target is a directory) leaves nothing behind.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.h5"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub.h5", "x"), nil, 0o644))
	require.Error(t, modelfile.SaveWeights(filepath.Join(dir, "sub.h5"), m), "saving over a directory")
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 2, "files left")
}
