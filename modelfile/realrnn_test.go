package modelfile_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
	"github.com/stretchr/testify/require"
)

// readDataset reads one float32 dataset of a plain HDF5 file.
func readDataset(t *testing.T, path, name string) *nn.Tensor {
	t.Helper()
	f, err := weightsio.Open(path)
	require.NoError(t, err)
	defer f.Close()
	root, err := f.HDF5().Root()
	require.NoError(t, err)
	d, err := root.Dataset(name)
	require.NoError(t, err)
	data, err := d.ReadFloat32()
	require.NoError(t, err)
	x, err := nn.TensorOf(data, d.Shape...)
	require.NoError(t, err)
	return x
}

// TestRealLSTMMatchesKeras runs a tf.keras 2 LSTM model (hard_sigmoid,
// dropout at inference) on the inputs saved beside it and compares with
// the LSTM activations and predictions Keras computed (dl4j's test
// resources; "outputs" there are the training targets).
func TestRealLSTMMatchesKeras(t *testing.T) {
	for _, c := range []struct{ model, io, layer, want string }{
		{"simple_flatten_lstm_tf_keras_2_model.h5", "simple_flatten_lstm_tf_keras_2_inputs_and_outputs.h5", "", "/predictions/dense_1"},
		{"simple_flatten_lstm_tf_keras_2_model.h5", "simple_flatten_lstm_tf_keras_2_inputs_and_outputs.h5", "lstm_1", "/activations/lstm_1"},
	} {
		t.Run(c.model+c.layer, func(t *testing.T) {
			dir := testenv.Shared(t, "realh5", "dl4j-test-resources")
			m, _, err := modelfile.Load(dir + "/" + c.model)
			require.NoError(t, err)
			x := readDataset(t, dir+"/"+c.io, "/inputs/lstm_1_input")
			want := readDataset(t, dir+"/"+c.io, c.want)
			var got []*nn.Tensor
			if c.layer == "" {
				got, err = m.Run(x)
			} else {
				got, err = m.RunLayers([]string{c.layer}, x)
			}
			require.NoError(t, err)
			require.Equal(t, want.Shape, got[0].Shape)
			for i, v := range want.Data {
				require.InDelta(t, v, got[0].Data[i], 1e-5*math.Max(1, math.Abs(float64(v))), "value %d", i)
			}
		})
	}
}

// TestRealSequenceModelsRun loads the real files with recurrent,
// Bidirectional, Masking and Embedding layers, runs them on a batch of two
// (valid indices for the Embeddings), and saves and loads them again.
func TestRealSequenceModelsRun(t *testing.T) {
	for _, rel := range []string{
		"lstm_tensorflow_2.h5", "lstm_theano_2.h5", "lstm_functional_tf_keras_2.h5", "reshape_model.h5",
		"rnn_0.h5", "rnn_1.h5", "rnn_120.h5", "simple_rnn_theano_2.h5",
		"bidirectional_lstm_tensorflow_2.h5", "bidirectional_lstm_theano_2.h5", "bidirectional_lstm_no_return_sequences_tensorflow_2.h5",
		"masking_zero_lstm.h5", "masking_two_lstm.h5", "custom_loss.h5", "misc_0.h5",
	} {
		t.Run(rel, func(t *testing.T) {
			m, _, err := modelfile.Load(testenv.Shared(t, "realh5", "dl4j-test-resources", rel))
			require.NoError(t, err)
			x := nn.NewTensor(append([]int{2}, m.Input().Shape()...)...)
			for i := range x.Data {
				x.Data[i] = float32(i % 3) // valid Embedding indices; steps equal to 0 and 2 masked
			}
			y, err := m.Run(x)
			require.NoError(t, err)
			for _, v := range y[0].Data {
				require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0))
			}
			// Saved and loaded again, the model computes the same.
			path := filepath.Join(t.TempDir(), "m.h5")
			require.NoError(t, modelfile.Save(path, m, modelfile.Meta{}))
			m2, _, err := modelfile.Load(path)
			require.NoError(t, err)
			y2, err := m2.Run(x)
			require.NoError(t, err)
			require.Equal(t, y[0].Data, y2[0].Data)
		})
	}
}
