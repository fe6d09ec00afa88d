package modelfile_test

import (
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/specweights"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
	"github.com/keelml/keel/zoo"
	"github.com/stretchr/testify/require"
)

func input(t *testing.T, n, size int) *nn.Tensor {
	x, err := nn.TensorOf(specweights.RawImages([]int{n, size, size, 3}), n, size, size, 3)
	require.NoError(t, err)
	for i := range x.Data {
		x.Data[i] = x.Data[i]/127.5 - 1
	}
	return x
}

// A real transfer-learned MobileNet saved by tf.keras 2.8 loads and runs.
func TestLoadRealKerasModel(t *testing.T) {
	path := testenv.Shared(t, "realh5", "stm32ai-modelzoo", "mobilenet_v1_0.25_224_tl.h5")
	m, meta, err := modelfile.Load(path)
	require.NoError(t, err)
	require.Equal(t, modelfile.Meta{}, meta)
	require.Equal(t, "mobilenet_v1_alpha_0.25", m.Name())
	y, err := m.Run(input(t, 2, 224))
	require.NoError(t, err)
	require.Equal(t, []int{2, 5}, y[0].Shape)
	for r := 0; r < 2; r++ {
		sum := 0.0
		for _, p := range y[0].Data[r*5 : r*5+5] {
			require.True(t, p >= 0 && p <= 1)
			sum += float64(p)
		}
		require.InDelta(t, 1, sum, 1e-5, "softmax output")
	}
	// The weights are the file's, value for value.
	f, err := weightsio.Open(path)
	require.NoError(t, err)
	defer f.Close()
	fl, _ := f.Layer("dense")
	want, err := fl.Weights[0].Float32()
	require.NoError(t, err)
	require.Equal(t, want, m.Layer("dense").Weights()[0].Value())
}

// transferModel is a small frozen backbone with a new head.
func transferModel(t *testing.T) *nn.Model {
	base, err := zoo.New("mobilenet", zoo.Options{Alpha: 0.25, InputShape: []int{32, 32, 3}, Notices: io.Discard})
	require.NoError(t, err)
	base.SetTrainable(false)
	x := nn.NewGlobalAveragePooling2D(nn.WithName("head_gap")).Apply(base.Output())
	x = nn.NewDense(4, nn.WithActivation("softmax"), nn.WithName("head_dense")).Apply(x)
	m, err := nn.NewModel(base.Inputs(), []*nn.Node{x}, nn.WithName("transfer"))
	require.NoError(t, err)
	return m
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := transferModel(t)
	x := input(t, 3, 32)
	want, err := m.Run(x)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "model.h5")
	meta := modelfile.Meta{Preprocess: "tf", InputSize: 32, ClassNames: []string{"cat", "dog", "emu", "yak"}}
	require.NoError(t, modelfile.Save(path, m, meta))

	back, gotMeta, err := modelfile.Load(path)
	require.NoError(t, err)
	require.Equal(t, meta, gotMeta)
	got, err := back.Run(x)
	require.NoError(t, err)
	require.Equal(t, want[0].Data, got[0].Data, "identical predictions")
	require.False(t, back.Layer("conv1").Trainable(), "the frozen flags travel in the config")

	f, err := weightsio.Open(path)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, weightsio.FormatH5Model, f.Format)
	require.Len(t, f.Layers(), len(m.Layers()))
}

// A backbone used as one layer of another model is saved as Keras saves
// it: one group holding every weight of the nested model.
func TestSaveLoadNestedModel(t *testing.T) {
	base, err := zoo.New("mobilenet", zoo.Options{Alpha: 0.25, InputShape: []int{32, 32, 3}, Notices: io.Discard})
	require.NoError(t, err)
	in := nn.Input([]int{32, 32, 3}, nn.WithName("image"))
	x := base.Apply(in)
	x = nn.NewGlobalMaxPooling2D().Apply(x)
	x = nn.NewDense(3).Apply(x)
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{x}, nn.WithName("outer"))
	require.NoError(t, err)
	xs := input(t, 2, 32)
	want, err := m.Run(xs)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "nested.h5")
	require.NoError(t, modelfile.Save(path, m, modelfile.Meta{}))
	back, _, err := modelfile.Load(path)
	require.NoError(t, err)
	got, err := back.Run(xs)
	require.NoError(t, err)
	require.Equal(t, want[0].Data, got[0].Data)
}

func TestLoadErrors(t *testing.T) {
	_, _, err := modelfile.Load(testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5"))
	require.ErrorContains(t, err, "weights only")

	convLSTM := testenv.Shared(t, "realh5", "dl4j-test-resources", "convlstm2d_0.h5")
	_, _, err = modelfile.Load(convLSTM)
	require.ErrorContains(t, err, "ConvLSTM2D")
}

func TestSaveWeightsLoadsBack(t *testing.T) {
	m := transferModel(t)
	path := filepath.Join(t.TempDir(), "w.h5")
	require.NoError(t, modelfile.SaveWeights(path, m))
	m2 := transferModel(t)
	for _, v := range m2.Layer("head_dense").Weights() {
		vals := v.Value()
		for i := range vals {
			vals[i] = float32(math.NaN())
		}
	}
	rep, err := modelfile.LoadWeights(m2, path, false)
	require.NoError(t, err)
	require.Empty(t, rep.Unused)
	require.Equal(t, m.Layer("head_dense").Weights()[0].Value(), m2.Layer("head_dense").Weights()[0].Value())
}

// What Keel cannot build is refused with the reason.
func TestLoadRefusesWithReasons(t *testing.T) {
	for _, c := range []struct{ file, why string }{
		{"dl4j-test-resources/space_to_depth_simple_tensorflow_2.h5", "RegisterLambda"},
		{"dl4j-test-resources/12net.h5", "unknown dimensions"},
		{"hls4ml-example-models/garnet_1layer_weights.h5", "GarNet"},
	} {
		_, _, err := modelfile.Load(testenv.Shared(t, "realh5", c.file))
		require.ErrorContains(t, err, c.why, c.file)
	}
}

// tinyNet is conv -> BN -> dense with the given layer-name prefix and width.
func tinyNet(t *testing.T, prefix string, width int) *nn.Model {
	in := nn.Input([]int{8, 8, 3})
	x := nn.NewConv2D(width, 3, 3, nn.WithName(prefix+"conv")).Apply(in)
	x = nn.NewBatchNormalization(nn.WithName(prefix + "bn")).Apply(x)
	x = nn.NewGlobalAveragePooling2D(nn.WithName(prefix + "gap")).Apply(x)
	x = nn.NewDense(2, nn.WithName(prefix+"dense")).Apply(x)
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{x})
	require.NoError(t, err)
	for _, l := range m.Layers() {
		for _, v := range l.Weights() {
			vals := v.Value()
			for i := range vals {
				vals[i] = float32(len(prefix)*1000 + i)
			}
		}
	}
	return m
}

// Where the names differ, weights load by topological order with every shape
// checked, as Keras' load_weights does (Keras 3 renamed layers such as
// DenseNet's conv1/conv); where the order does not fit either, the error
// says both why.
func TestLoadWeightsByTopologicalOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.h5")
	src := tinyNet(t, "old_", 4)
	require.NoError(t, modelfile.SaveWeights(path, src))

	dst := tinyNet(t, "renamed/", 4)
	rep, err := modelfile.LoadWeights(dst, path, false)
	require.NoError(t, err)
	require.True(t, rep.ByOrder)
	require.Equal(t, []string{"old_conv -> renamed/conv", "old_bn -> renamed/bn", "old_dense -> renamed/dense"}, rep.Renamed)
	for i, l := range dst.Layers() {
		for j, v := range l.Weights() {
			require.Equal(t, src.Layers()[i].Weights()[j].Value(), v.Value(), v.Path())
		}
	}
	var notices strings.Builder
	rep.Print(&notices)
	require.Contains(t, notices.String(), "loaded by topological order")

	same := tinyNet(t, "old_", 4)
	rep, err = modelfile.LoadWeights(same, path, false)
	require.NoError(t, err)
	require.False(t, rep.ByOrder, "names that match load by name")

	wider := tinyNet(t, "other_", 5)
	_, err = modelfile.LoadWeights(wider, path, false)
	require.ErrorContains(t, err, "other_conv: not in the file")
	require.ErrorContains(t, err, "nor by topological order: layer 1: model layer other_conv weight kernel has shape [3 3 3 5], file layer old_conv's")
	rep, err = modelfile.LoadWeights(wider, path, true)
	require.NoError(t, err, "skip_mismatch skips what does not fit")
	require.Len(t, rep.Skipped, 3)
}
