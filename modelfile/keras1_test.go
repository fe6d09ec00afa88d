package modelfile_test

import (
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
	"github.com/stretchr/testify/require"
)

// Keras 1 full models of the layers Keel has, TensorFlow and Theano, load
// and run; so do channels_first Keras 2 models.
var keras1AndChannelsFirst = []string{
	"dense_tensorflow_1.h5", "dense_theano_1.h5", "conv2d_theano_1.h5", "cnn_tf_model.h5", "model.h5",
	"batch_to_conv2d_tensorflow_1.h5", "batch_to_conv2d_theano_1.h5",
	"conv2d_reshape_tensorflow_1.h5", "conv2d_reshape_theano_1.h5",
	"simpleconv2d.hdf5", "simpleconv2d_model.hdf5",
}

func TestKeras1AndChannelsFirstFilesLoad(t *testing.T) {
	for _, name := range keras1AndChannelsFirst {
		t.Run(name, func(t *testing.T) {
			m, _, err := modelfile.Load(testenv.Shared(t, "realh5", "dl4j-test-resources", name))
			require.NoError(t, err)
			x := nn.NewTensor(append([]int{2}, m.Input().Shape()...)...)
			for i := range x.Data {
				x.Data[i] = float32(i%13)/13 - 0.5
			}
			y, err := m.Run(x)
			require.NoError(t, err)
			require.Equal(t, 2, y[0].Shape[0])
		})
	}
}

func rawWeight(t *testing.T, f *weightsio.File, layer string, i int) ([]float32, []int) {
	t.Helper()
	l, ok := f.Layer(layer)
	require.True(t, ok, layer)
	data, err := l.Weights[i].Float32()
	require.NoError(t, err)
	return data, l.Weights[i].Shape
}

// A Theano-trained kernel computes a true convolution (kernel reversed in
// rows and columns); TensorFlow's, a correlation. The reference here is
// written from the file's raw kernel, NHWC, stride 1, valid.
func TestTheanoKernelsConvolve(t *testing.T) {
	for _, c := range []struct {
		file   string
		flip   bool
		kernel string
	}{
		{"conv2d_theano_1.h5", true, "convolution2d_1"}, // Keras 1: weight names without ":0"
		{"conv2d_theano_2.h5", true, "conv2d_1"},        // Keras 2: backend "theano"
		{"conv2d_tensorflow_2.h5", false, "conv2d_1"},
	} {
		t.Run(c.file, func(t *testing.T) {
			path := testenv.Shared(t, "realh5", "dl4j-test-resources", c.file)
			m, _, err := modelfile.Load(path)
			require.NoError(t, err)
			f, err := weightsio.Open(path)
			require.NoError(t, err)
			defer f.Close()
			k, ks := rawWeight(t, f, c.kernel, 0)
			b, _ := rawWeight(t, f, c.kernel, 1)
			in := m.Input().Shape()
			h, w, ch := in[0], in[1], in[2]
			x := nn.NewTensor(1, h, w, ch)
			for i := range x.Data {
				x.Data[i] = float32(math.Sin(float64(i) * 0.7))
			}
			y, err := m.Run(x)
			require.NoError(t, err)
			kh, kw, f0 := ks[0], ks[1], ks[3]
			oh, ow := h-kh+1, w-kw+1
			require.Equal(t, []int{1, oh, ow, f0}, y[0].Shape)
			for i := range oh {
				for j := range ow {
					for o := range f0 {
						s := float64(b[o])
						for a := range kh {
							for bb := range kw {
								ka, kb := a, bb
								if c.flip {
									ka, kb = kh-1-a, kw-1-bb
								}
								for ci := range ch {
									s += float64(x.Data[((i+a)*w+j+bb)*ch+ci]) * float64(k[((ka*kw+kb)*ch+ci)*f0+o])
								}
							}
						}
						got := y[0].Data[(i*ow+j)*f0+o]
						require.InDelta(t, s, got, 1e-4+1e-6*math.Abs(s), "(%d, %d, %d)", i, j, o)
					}
				}
			}
		})
	}
}

// A fully convolutional model ([null, null, null, 3]) is built at the size
// it is given, and says what is missing when none is.
func TestUnknownInputDimensions(t *testing.T) {
	_, _, err := modelfile.Load(testenv.Shared(t, "realh5", "dl4j-test-resources", "12net.h5"))
	require.ErrorIs(t, err, modelfile.ErrUnknownInputShape)
	require.Contains(t, err.Error(), `input "input_2" is (?, ?, 3)`)

	// A Keel model saved with a config that leaves height and width open.
	m, err := nn.Sequential([]int{4, 4, 3}, nn.NewConv2D(2, 3, 3, nn.WithName("conv"), nn.WithPadding("same")))
	require.NoError(t, err)
	cfg, err := json.Marshal(m)
	require.NoError(t, err)
	cfg = []byte(strings.Replace(string(cfg), `"batch_input_shape":[null,4,4,3]`, `"batch_input_shape":[null,null,null,3]`, 1))
	require.Contains(t, string(cfg), `[null,null,null,3]`)
	path := filepath.Join(t.TempDir(), "fcn.h5")
	require.NoError(t, modelfile.SaveWithOptions(path, m, modelfile.Meta{}, weightsio.SaveOptions{ModelConfig: cfg}))
	_, _, err = modelfile.Load(path)
	require.ErrorIs(t, err, modelfile.ErrUnknownInputShape)
	for _, size := range [][]int{{4, 4, 3}, {7, 5, 3}} {
		back, _, err := modelfile.LoadWith(path, modelfile.Options{InputShape: size})
		require.NoError(t, err)
		require.Equal(t, size, back.Input().Shape())
		x := nn.NewTensor(append([]int{1}, size...)...)
		x.Data[0] = 1 // one pixel: the output is the kernel around it
		y, err := back.Run(x)
		require.NoError(t, err)
		require.Equal(t, []int{1, size[0], size[1], 2}, y[0].Shape)
		k := m.Layers()[1].Weight("kernel").Value()
		// y[0][0][f] = k[1][1][0][f] (the centre tap reads pixel (0, 0)).
		for f := range 2 {
			require.InDelta(t, k[((1*3+1)*3+0)*2+f], y[0].Data[f], 1e-6)
		}
	}
	for _, bad := range []struct {
		shape []int
		want  string
	}{
		{[]int{12, 12, 4}, "differs in a known dimension"},
		{[]int{12, 12}, "another rank"},
		{[]int{0, 12, 3}, "must be positive"},
	} {
		_, _, err := modelfile.LoadWith(path, modelfile.Options{InputShape: bad.shape})
		require.ErrorContains(t, err, bad.want)
	}
	_, _, err = modelfile.LoadWith(testenv.Shared(t, "realh5", "dl4j-test-resources", "dense_tensorflow_1.h5"), modelfile.Options{InputShape: []int{5}})
	require.ErrorContains(t, err, "differs")
}

// Keras 1's 12 LSTM arrays, joined into Keras 2's three, give the outputs
// Keras 1 recorded beside the model (TensorFlow and Theano backends). It
// needs the LSTM layer, which another part of Keel provides.
func TestKeras1LSTMMatchesRecordedOutputs(t *testing.T) {
	if !slices.Contains(nn.LayerClasses(), "LSTM") {
		t.Skip("this build has no LSTM layer")
	}
	for _, backend := range []string{"tf", "th"} {
		t.Run(backend, func(t *testing.T) {
			dir := testenv.Shared(t, "realh5", "dl4j-test-resources")
			m, _, err := modelfile.Load(filepath.Join(dir, "simple_lstm_"+backend+"_keras_1_model.h5"))
			require.NoError(t, err)
			ref, err := weightsio.Open(filepath.Join(dir, "simple_lstm_"+backend+"_keras_1_inputs_and_outputs.h5"))
			require.NoError(t, err)
			defer ref.Close()
			root, err := ref.HDF5().Root()
			require.NoError(t, err)
			read := func(path string) ([]float32, []int) {
				ds, err := root.Dataset(path)
				require.NoError(t, err)
				v, err := ds.ReadFloat32()
				require.NoError(t, err)
				return v, ds.Shape
			}
			x, xs := read("inputs/lstm_input_1")
			want, _ := read("predictions/dense_1") // outputs/ holds the training targets
			y, err := m.Run(&nn.Tensor{Shape: xs, Data: x})
			require.NoError(t, err)
			require.Len(t, y[0].Data, len(want))
			for i := range want {
				require.InDelta(t, want[i], y[0].Data[i], 1e-4, "sample %d", i)
			}
		})
	}
}
