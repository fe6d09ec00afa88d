package transfer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/keelml/keel/internal/testimages"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
	"github.com/stretchr/testify/require"
)

// The two phases of the Keras guide: the head on the frozen backbone,
// then the backbone from conv_pw_13 up unfrozen with BatchNormalization in
// inference mode. In the second phase conv_pw_13's kernel and its BN's
// gamma train, the layers before stay as loaded, and the BN's moving
// statistics never change (training=False); the history marks where the
// phase starts, the checkpoint holds a loadable model and the test folder
// is scored.
func TestFineTuneSecondPhase(t *testing.T) {
	data := testimages.ColourFolder(t, 8, 40, 36, 7)
	c := smallConfig(t, data)
	c.Epochs, c.FineTuneFrom, c.FineTuneEpochs, c.FineTuneLR = 2, "conv_pw_13", 2, 1e-3
	c.Checkpoint = filepath.Join(t.TempDir(), "best.h5")
	c.Test, c.ClassWeight = data, "balanced"
	out := &bytes.Buffer{}
	c.Output = out
	res, err := Train(context.Background(), c)
	require.NoError(t, err)

	require.Equal(t, []int{0, 1, 2, 3}, res.History.Epoch)
	require.Equal(t, 2, res.FineTuneStart)
	require.Len(t, res.History.History["val_loss"], 4)
	require.Contains(t, out.String(), "Epoch 3/4")
	require.Contains(t, out.String(), "fine-tuning from conv_pw_13")
	require.Equal(t, 4, res.Epoch)

	loaded, err := zoo.New("mobilenet", zoo.Options{Weights: c.Weights, InputShape: []int{32, 32, 3}, Alpha: 0.25})
	require.NoError(t, err)
	value := func(m *nn.Model, layer, name string) []float32 {
		for _, v := range m.Layer(layer).Weights() {
			if v.Name() == name {
				return v.Value()
			}
		}
		t.Fatalf("%s has no %s", layer, name)
		return nil
	}
	m := res.Model
	for _, l := range []string{"conv_pw_12", "conv_pw_12_bn", "conv_dw_13"} {
		require.False(t, m.Layer(l).Trainable(), l)
	}
	for _, l := range []string{"conv_pw_13", "conv_pw_13_bn", "head_2_dense"} {
		require.True(t, m.Layer(l).Trainable(), l)
	}
	require.Equal(t, value(loaded, "conv_pw_12", "kernel"), value(m, "conv_pw_12", "kernel"), "frozen below the layer")
	require.NotEqual(t, value(loaded, "conv_pw_13", "kernel"), value(m, "conv_pw_13", "kernel"), "trained from the layer")
	require.NotEqual(t, value(loaded, "conv_pw_13_bn", "gamma"), value(m, "conv_pw_13_bn", "gamma"), "BN's gamma trains")
	for _, stat := range []string{"moving_mean", "moving_variance"} {
		require.Equal(t, value(loaded, "conv_pw_13_bn", stat), value(m, "conv_pw_13_bn", stat), "BN in inference mode keeps its %s", stat)
	}

	back, meta, err := modelfile.Load(c.Checkpoint)
	require.NoError(t, err)
	require.Equal(t, res.Meta, meta)
	require.Equal(t, m.Output().Shape(), back.Output().Shape())

	require.NotNil(t, res.Test)
	require.Equal(t, 24, res.Test.Images)
	require.Equal(t, []string{"blue", "green", "red"}, res.Test.Classes)
	// Balanced weights of 6 training images per class are all 1.
	require.Equal(t, map[int]float64{0: 1, 1: 1, 2: 1}, res.ClassWeights)
}

// The trainable set of the fine-tuning model: the layers from the named
// one on, and the head; the backbone applied in inference mode.
func TestFineTuneModelTrainableSet(t *testing.T) {
	base, err := zoo.New("mobilenet", zoo.Options{InputShape: []int{32, 32, 3}, Alpha: 0.25})
	require.NoError(t, err)
	base.SetTrainable(false)
	head := HeadLayers([]HeadLayer{{Kind: "gap"}, {Kind: "dense", Activation: "softmax"}}, 2)
	_, err = nn.NewModel(base.Inputs(), []*nn.Node{Apply(head, base.Output())})
	require.NoError(t, err)
	tune, err := fineTuneModel(base, head, "conv_pw_13")
	require.NoError(t, err)
	var names []string
	for _, v := range tune.TrainableWeights() {
		names = append(names, v.Path())
	}
	require.Equal(t, []string{"conv_pw_13/kernel", "conv_pw_13_bn/gamma", "conv_pw_13_bn/beta", "head_2_dense/kernel", "head_2_dense/bias"}, names)
	require.Contains(t, tune.Config()["layers"].([]any)[1].(map[string]any)["inbound_nodes"].([]any)[0].([]any)[0].([]any)[3], "training", "applied with training=False")

	_, err = fineTuneModel(base, head, "no_such_layer")
	require.Error(t, err)
}

func TestBalancedClassWeights(t *testing.T) {
	// sklearn: 6 samples, 2 classes, counts 4 and 2 -> 6/8 and 6/4.
	require.Equal(t, map[int]float64{0: 0.75, 1: 1.5}, BalancedClassWeights([]int{0, 0, 1, 0, 1, 0}, 2))
	require.Equal(t, map[int]float64{0: 0.5}, BalancedClassWeights([]int{0, 0, 0}, 2))
}

func TestNewOptimizerAndLoss(t *testing.T) {
	for name, want := range map[Optimizer]string{"": "Adam", Adam: "Adam", SGD: "SGD", RMSprop: "RMSprop"} {
		o, err := NewOptimizer(name, 0, 0, false)
		require.NoError(t, err)
		require.Equal(t, want, modelfile.OptimizerName(o))
	}
	sgd, _ := NewOptimizer(SGD, 0, 0.9, true)
	require.Equal(t, 0.01, sgd.LearningRate(), "Keras' SGD default")
	adam, _ := NewOptimizer(Adam, 0, 0, false)
	require.Equal(t, 1e-3, adam.LearningRate())
	_, err := NewOptimizer(Adam, 0, 0.9, false)
	require.ErrorContains(t, err, "SGD's arguments")
	_, err = NewOptimizer("adagrad", 0, 0, false)
	require.ErrorContains(t, err, "unknown optimizer")

	l, err := NewLoss("categorical_crossentropy", 0.1)
	require.NoError(t, err)
	require.Equal(t, nn.CategoricalCrossentropy{LabelSmoothing: 0.1}, l)
	_, err = NewLoss("sparse_categorical_crossentropy", 0.1)
	require.Error(t, err)
	_, err = NewLoss("hinge", 0)
	require.ErrorContains(t, err, "unknown loss")
}

// Each phase gets its own early stopping (patience, restore_best_weights
// as asked) and the run's one checkpoint.
func TestFitOptionsCallbacks(t *testing.T) {
	r := &run{c: Config{EarlyStopping: 3, RestoreBestWeights: true}, res: &Result{}, checkpoint: &bestCheckpoint{}}
	a, b := r.fitOptions(0, 5), r.fitOptions(5, 8)
	require.Equal(t, [2]int{5, 8}, [2]int{b.InitialEpoch, b.Epochs})
	es := a.Callbacks[1].(*nn.EarlyStopping)
	require.Equal(t, 3, es.Patience)
	require.True(t, es.RestoreBestWeights)
	require.NotSame(t, es, b.Callbacks[1])
	require.Same(t, a.Callbacks[2], b.Callbacks[2])
	require.True(t, slices.ContainsFunc(b.Callbacks, func(c nn.Callback) bool { _, ok := c.(*bestCheckpoint); return ok }))
}

// The sparse loss trains on class indices, and binary crossentropy with a
// one-unit sigmoid head on two classes (flow_from_directory's class_mode
// "sparse" and "binary"); the test evaluation scores them alike.
func TestSparseAndBinaryLosses(t *testing.T) {
	data := testimages.ColourFolder(t, 8, 40, 36, 7)
	c := smallConfig(t, data)
	c.Epochs, c.Loss, c.Test = 3, "sparse_categorical_crossentropy", data
	res, err := Train(context.Background(), c)
	require.NoError(t, err)
	require.Equal(t, nn.SparseCategoricalCrossentropy{}, res.Loss)
	require.Len(t, res.Test.Confusion, 3)

	require.NoError(t, os.RemoveAll(filepath.Join(data, "red")))
	c = smallConfig(t, data)
	c.Epochs, c.Loss, c.Head, c.Test = 3, "binary_crossentropy", "gap,dense:8:relu,dense:1:sigmoid", data
	res, err = Train(context.Background(), c)
	require.NoError(t, err)
	require.Equal(t, []int{1}, res.Model.Output().Shape())
	require.Equal(t, 16, res.Test.Images)
	require.Len(t, res.Test.Confusion, 2)

	c.Loss = "categorical_crossentropy"
	_, err = Train(context.Background(), c)
	require.ErrorContains(t, err, "1 units for 2 classes")
}

// A run saved after its head phase, resumed with fine-tuning, ends as the
// run that did both phases at once: the second phase starts with a fresh
// optimizer either way.
func TestResumeIntoFineTuning(t *testing.T) {
	data := testimages.ColourFolder(t, 6, 40, 36, 7)
	config := func() Config {
		c := smallConfig(t, data)
		c.Epochs, c.FineTuneFrom, c.FineTuneEpochs, c.FineTuneLR = 2, "conv_pw_13", 2, 1e-3
		return c
	}
	whole, err := Train(context.Background(), config())
	require.NoError(t, err)

	c := config()
	c.FineTuneFrom, c.FineTuneEpochs = "", 0
	first, err := Train(context.Background(), c)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "phase1.h5")
	require.NoError(t, first.Save(path))
	c = config()
	c.Resume = path
	resumed, err := Train(context.Background(), c)
	require.NoError(t, err)
	require.Equal(t, []int{2, 3}, resumed.History.Epoch)
	require.Equal(t, 0, resumed.FineTuneStart)
	a, b := whole.Model.Weights(), resumed.Model.Weights()
	for i := range a {
		require.Equal(t, a[i].Value(), b[i].Value(), a[i].Path())
	}
}
