package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/featureset"
	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/internal/testimages"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/transfer"
	"github.com/keelml/keel/zoo"
	"github.com/stretchr/testify/require"
)

// keel train --features on the features keel train computes in process
// gives the head weights of keel train --data, bit for bit, and keel
// evaluate --features scores it as keel evaluate scores the whole model.
func TestTrainEvaluateFeatures(t *testing.T) {
	data := testimages.ColourFolder(t, 20, 48, 40, 5)
	weights := testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5")
	dir := t.TempDir()
	full, head, feats := filepath.Join(dir, "full.h5"), filepath.Join(dir, "head.h5"), filepath.Join(dir, "features")
	common := []string{"--epochs", "6", "--batch", "8", "--lr", "0.01", "--head", "gap,dense:16:relu,dense:softmax",
		"--validation-split", "0.25", "--seed", "3"}
	_, stderr, code := runCLI(t, append([]string{"train", "--model", "mobilenet", "--alpha", "0.25", "--weights", weights,
		"--data", data, "--input-size", "32", "--out", full}, common...)...)
	require.Equal(t, 0, code, stderr)

	// The features keel train's cache computes: each subset at the batch size.
	base, err := zoo.New("mobilenet", zoo.Options{Weights: weights, InputShape: []int{32, 32, 3}, Alpha: 0.25})
	require.NoError(t, err)
	aug := &imagedata.Augment{Preprocess: func(x []float32, h, w int) { zoo.Preprocess(zoo.PreprocessTF, x) }}
	var paths []string
	var x []float32
	for _, sub := range []imagedata.Subset{imagedata.Validation, imagedata.Training} {
		list, err := imagedata.ListDirectory(data, imagedata.ListOptions{ValidationSplit: 0.25, Subset: sub})
		require.NoError(t, err)
		ld, err := imagedata.NewLoader(list, imagedata.Options{Height: 32, Width: 32, BatchSize: 8, Augment: aug})
		require.NoError(t, err)
		fx, _, err := transfer.Features(context.Background(), base, ld)
		require.NoError(t, err)
		paths, x = append(paths, list.Paths...), append(x, fx.Data...)
	}
	_, err = featureset.WriteDir(feats, "mobilenet", base.Output().Shape(), paths, x, 16)
	require.NoError(t, err)

	stdout, stderr, code := runCLI(t, append([]string{"train", "--features", feats, "--out", head}, common...)...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "head trained on the features of 60 images")
	require.Contains(t, stdout, "Epoch 6/6")

	fm, _, err := modelfile.Load(full)
	require.NoError(t, err)
	hm, meta, err := modelfile.Load(head)
	require.NoError(t, err)
	require.Equal(t, testimages.ColourClasses, meta.ClassNames)
	compared := 0
	for _, l := range hm.Layers() {
		if !strings.HasPrefix(l.Name(), "head_") {
			continue
		}
		fl := fm.Layer(l.Name())
		require.NotNil(t, fl, l.Name())
		for i, v := range l.Weights() {
			require.Equal(t, fl.Weights()[i].Value(), v.Value(), "%s/%s", l.Name(), v.Name())
			compared++
		}
	}
	require.Equal(t, 4, compared, "two dense layers' kernels and biases")

	stdout, stderr, code = runCLI(t, "evaluate", "--model-file", head, "--features", feats, "--json")
	require.Equal(t, 0, code, stderr)
	got := jsonLines(t, stdout)[0]
	stdout, stderr, code = runCLI(t, "evaluate", "--model-file", full, "--data", data, "--json")
	require.Equal(t, 0, code, stderr)
	want := jsonLines(t, stdout)[0]
	for _, k := range []string{"loss", "accuracy", "classes", "confusion", "per_class", "images"} {
		require.Contains(t, got, k)
	}
	require.Equal(t, 60.0, got["images"])
	require.Equal(t, want["classes"], got["classes"])
	require.Equal(t, want["confusion"], got["confusion"])
	require.InDelta(t, want["loss"].(float64), got["loss"].(float64), 1e-4)

	// Misuse: the two sources together, a model the features are not of,
	// options that need images.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--features", feats, "--data", data, "--out", head}, "give --data or --features, not both"},
		{[]string{"train", "--features", feats, "--model", "vgg16", "--out", head}, "holds features of mobilenet"},
		{[]string{"train", "--features", feats, "--augment", "horizontal_flip=true", "--out", head}, "augmentation"},
		{[]string{"train", "--features", filepath.Join(dir, "none"), "--out", head}, "manifest.json"},
		{[]string{"evaluate", "--model-file", full, "--features", feats}, "takes inputs of shape"},
	} {
		_, stderr, code := runCLI(t, c.args...)
		require.NotEqual(t, 0, code, c.args)
		require.Contains(t, stderr, c.want, c.args)
	}
}
