package modelfile_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// A checkpoint restores the optimizer exactly: steps after loading it are
// bit-identical to steps of the run that saved it, for every optimizer with
// state.
func TestCheckpointRestoresOptimizer(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  func() nn.StatefulOptimizer
	}{
		{"Adam", func() nn.StatefulOptimizer { return nn.NewAdam(nn.AdamConfig{}) }},
		{"SGD", func() nn.StatefulOptimizer { return nn.NewSGD(nn.SGDConfig{Momentum: 0.9}) }},
		{"RMSprop", func() nn.StatefulOptimizer { return nn.NewRMSprop(nn.RMSpropConfig{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			build := func() (*nn.Model, nn.StatefulOptimizer) {
				in := nn.Input([]int{6})
				x := nn.NewDense(8, nn.WithActivation("relu"), nn.WithName("hidden")).Apply(in)
				x = nn.NewDense(3, nn.WithActivation("softmax"), nn.WithName("out")).Apply(x)
				m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{x})
				require.NoError(t, err)
				opt := tc.opt()
				m.Compile(opt, nn.CategoricalCrossentropy{})
				return m, opt
			}
			x, y := nn.NewTensor(5, 6), nn.NewTensor(5, 3)
			for i := range x.Data {
				x.Data[i] = float32(i%11)/11 - 0.4
			}
			for i := 0; i < 5; i++ {
				y.Data[i*3+i%3] = 1
			}
			a, optA := build()
			for i := 0; i < 3; i++ {
				_, err := a.TrainStep(x, y)
				require.NoError(t, err)
			}
			path := filepath.Join(t.TempDir(), "ckpt.h5")
			require.NoError(t, modelfile.SaveCheckpoint(path, a, modelfile.Meta{InputSize: 6}, 2, 1, optA))

			// The file is still a model Load reads.
			_, meta, err := modelfile.Load(path)
			require.NoError(t, err)
			require.Equal(t, 6, meta.InputSize)

			ts, err := modelfile.LoadTrainingState(path)
			require.NoError(t, err)
			require.Equal(t, 2, ts.Epoch)
			require.Equal(t, 1, ts.Step)
			require.Equal(t, tc.name, ts.Optimizer)
			require.Equal(t, 3, ts.State.Iterations)
			require.Len(t, ts.State.Slots, 4)

			b, optB := build()
			_, err = modelfile.LoadWeights(b, path, false)
			require.NoError(t, err)
			require.NoError(t, ts.Restore(optB, b.Weights()))
			for i := 0; i < 2; i++ {
				_, err := a.TrainStep(x, y)
				require.NoError(t, err)
				_, err = b.TrainStep(x, y)
				require.NoError(t, err)
			}
			for i, v := range a.Weights() {
				require.True(t, slices.Equal(v.Value(), b.Weights()[i].Value()), v.Path())
			}

			// Another optimizer's state is refused.
			other := nn.StatefulOptimizer(nn.NewAdam(nn.AdamConfig{}))
			if tc.name == "Adam" {
				other = nn.NewSGD(nn.SGDConfig{})
			}
			require.Error(t, ts.Restore(other, b.Weights()))
		})
	}
}

// A file without a training state has none, and no error.
func TestNoTrainingState(t *testing.T) {
	in := nn.Input([]int{2})
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{nn.NewDense(1).Apply(in)})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "m.h5")
	require.NoError(t, modelfile.Save(path, m, modelfile.Meta{}))
	ts, err := modelfile.LoadTrainingState(path)
	require.NoError(t, err)
	require.Nil(t, ts)
}

// ModelCheckpoint with CheckpointSaver writes files that Fit resumes from
// exactly: 3 epochs, or 2 checkpointed and 1 more after loading the file.
func TestCheckpointSaverResumesFit(t *testing.T) {
	build := func() *nn.Model {
		in := nn.Input([]int{4})
		x := nn.NewDense(6, nn.WithActivation("relu"), nn.WithName("h")).Apply(in)
		m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{nn.NewDense(2, nn.WithActivation("softmax"), nn.WithName("o")).Apply(x)})
		require.NoError(t, err)
		m.Compile(nn.NewAdam(nn.AdamConfig{}), nn.CategoricalCrossentropy{})
		return m
	}
	x, y := nn.NewTensor(24, 4), nn.NewTensor(24, 2)
	for i := range x.Data {
		x.Data[i] = float32(i%9)/9 - 0.3
	}
	for i := 0; i < 24; i++ {
		y.Data[i*2+i%2] = 1
	}
	data := func() nn.Dataset {
		d, err := nn.NewArrayDataset([]*nn.Tensor{x}, []*nn.Tensor{y}, 5, true, 3)
		require.NoError(t, err)
		return d
	}
	a, b := build(), build()
	for i, v := range a.Weights() {
		require.NoError(t, b.Weights()[i].Set(v.Shape(), v.Value()))
	}
	_, err := a.Fit(context.Background(), data(), nn.FitOptions{Epochs: 3, Verbose: nn.VerboseSilent})
	require.NoError(t, err)

	path := filepath.Join(t.TempDir(), "ckpt.h5")
	ckpt := &nn.ModelCheckpoint{Filepath: path, SaveEpoch: modelfile.CheckpointSaver(modelfile.Meta{})}
	_, err = b.Fit(context.Background(), data(), nn.FitOptions{Epochs: 2, Verbose: nn.VerboseSilent, Callbacks: []nn.Callback{ckpt}})
	require.NoError(t, err)

	c := build()
	_, err = modelfile.LoadWeights(c, path, false)
	require.NoError(t, err)
	ts, err := modelfile.LoadTrainingState(path)
	require.NoError(t, err)
	require.Equal(t, 2, ts.Epoch)
	require.NoError(t, ts.Restore(c.Optimizer().(nn.StatefulOptimizer), c.Weights()))
	_, err = c.Fit(context.Background(), data(), nn.FitOptions{Epochs: 3, InitialEpoch: ts.Epoch, Verbose: nn.VerboseSilent})
	require.NoError(t, err)
	for i, v := range a.Weights() {
		require.True(t, slices.Equal(v.Value(), c.Weights()[i].Value()), v.Path())
	}
}
