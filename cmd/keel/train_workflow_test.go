package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/internal/testimages"
	"github.com/stretchr/testify/require"
)

// The Keras guide's whole workflow in one `keel train` line (a small
// backbone and images for speed): a head ending in a random_uniform
// softmax Dense, ImageDataGenerator's augmentation and validation split,
// Adam with categorical crossentropy, then fine-tuning, a best-val_loss
// checkpoint, balanced class weights, early stopping and a test folder;
// then `keel evaluate --json` on the file.
func TestTrainGuideWorkflow(t *testing.T) {
	data := testimages.ColourFolder(t, 12, 40, 36, 5)
	weights := testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5")
	dir := t.TempDir()
	out, best := filepath.Join(dir, "model.h5"), filepath.Join(dir, "best.h5")
	stdout, stderr, code := runCLI(t, "train", "--model", "mobilenet", "--alpha", "0.25", "--weights", weights, "--data", data,
		"--input-size", "32", "--batch", "8", "--epochs", "3", "--seed", "2",
		"--head", "gap,dense:16:relu,dense:softmax:init=random_uniform",
		"--augment", "rotation_range=10,width_shift_range=0.1,height_shift_range=0.1,shear_range=0.1,zoom_range=0.2,horizontal_flip=true",
		"--validation-split", "0.15", "--optimizer", "adam", "--lr", "0.01", "--loss", "categorical_crossentropy", "--label-smoothing", "0.1",
		"--class-weight", "balanced", "--early-stopping", "5", "--checkpoint", best,
		"--fine-tune-from", "conv_pw_13", "--fine-tune-epochs", "2", "--fine-tune-lr", "1e-4",
		"--test", data, "--json", "--out", out)
	require.Equal(t, 0, code, stderr)
	// Progress goes to stderr, one line per epoch (not a terminal).
	require.Contains(t, stderr, "Epoch 5/5")
	require.Contains(t, stderr, "fine-tuning from conv_pw_13")
	require.NotContains(t, stderr, "\r")
	require.Contains(t, stderr, "saving model to "+best)

	var res struct {
		Epochs        []int                `json:"epochs"`
		History       map[string][]float64 `json:"history"`
		FineTuneStart int                  `json:"fine_tune_start"`
		Classes       []string             `json:"classes"`
		Test          map[string]any       `json:"test"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	require.Equal(t, []int{0, 1, 2, 3, 4}, res.Epochs)
	require.Equal(t, 3, res.FineTuneStart)
	for _, k := range []string{"loss", "accuracy", "val_loss", "val_accuracy"} {
		require.Len(t, res.History[k], 5, k)
	}
	require.Equal(t, []string{"blue", "green", "red"}, res.Classes)
	require.Equal(t, 36.0, res.Test["images"])

	for _, model := range []string{out, best} {
		stdout, stderr, code = runCLI(t, "evaluate", "--model-file", model, "--data", data, "--json")
		require.Equal(t, 0, code, stderr)
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &e))
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		require.Equal(t, []string{"accuracy", "classes", "confusion", "images", "loss", "per_class"}, keys)
		require.Len(t, e["confusion"], 3)
		pc := e["per_class"].([]any)[0].(map[string]any)
		require.Equal(t, "blue", pc["class"])
		require.Equal(t, 12.0, pc["support"])
		for _, k := range []string{"precision", "recall", "f1"} {
			require.Contains(t, pc, k)
		}
	}
	stdout, stderr, code = runCLI(t, "evaluate", "--model-file", out, "--data", data)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "36 images - loss: ")
	require.Contains(t, stdout, "precision  recall  f1-score  support")
	require.True(t, strings.Contains(stdout, "confusion matrix (rows: true class, columns: predicted)"), stdout)
}

func TestTrainWorkflowFlagErrors(t *testing.T) {
	base := []string{"train", "--model", "mobilenet", "--weights", "imagenet", "--data", "x", "--out", "y.h5"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--fine-tune-from", "conv_pw_13"}, "--fine-tune-epochs"},
		{[]string{"--optimizer", "adagrad"}, "unknown optimizer"},
		{[]string{"--optimizer", "adam", "--momentum", "0.9"}, "SGD's arguments"},
		{[]string{"--early-stopping", "2", "--validation-split", "0"}, "give a validation split"},
		{[]string{"--class-weight", "inverse"}, "only balanced"},
		{[]string{"--loss", "hinge"}, "unknown loss"},
	} {
		_, stderr, code := runCLI(t, append(base, tc.args...)...)
		require.NotZero(t, code, tc.args)
		require.Contains(t, stderr, tc.want, tc.args)
	}
}
