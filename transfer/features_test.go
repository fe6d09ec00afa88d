package transfer

import (
	"context"
	"io"
	"testing"

	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// splitRows takes the first int(split * count) rows of each class for
// validation, as ListDirectory's Validation subset takes files.
func TestSplitRows(t *testing.T) {
	for _, c := range []struct {
		labels     []int
		split      float64
		train, val []int
	}{
		{[]int{0, 0, 0, 0, 1, 1, 1, 1}, 0.25, []int{1, 2, 3, 5, 6, 7}, []int{0, 4}},
		{[]int{0, 0, 1, 1, 1}, 0.5, []int{1, 3, 4}, []int{0, 2}},
		{[]int{0, 1}, 0, []int{0, 1}, nil},
		{[]int{0, 0, 0, 1}, 0.4, []int{1, 2, 3}, []int{0}}, // int(0.4*3) = 1, int(0.4*1) = 0
	} {
		train, val, err := splitRows(c.labels, 2, c.split)
		require.NoError(t, err)
		require.Equal(t, c.train, train, "%v", c.labels)
		require.Equal(t, c.val, val, "%v", c.labels)
	}
	_, _, err := splitRows([]int{0, 2}, 2, 0.2)
	require.ErrorContains(t, err, "row 1: label 2 is not a class in 0..1")
	_, _, err = splitRows([]int{0, 1}, 2, 1)
	require.ErrorContains(t, err, "validation split 1 outside [0, 1)")
}

// What needs images or the backbone is refused, as are features that do
// not fit the head.
func TestTrainFeaturesRefuses(t *testing.T) {
	x, err := nn.TensorOf(make([]float32, 8*3), 8, 3)
	require.NoError(t, err)
	f := FeatureData{X: x, Labels: []int{0, 0, 0, 0, 1, 1, 1, 1}, ClassNames: []string{"a", "b"}}
	base := Config{Model: "mobilenet", Head: "dense:softmax", Epochs: 1, Output: io.Discard}
	for _, c := range []struct {
		edit func(*Config, *FeatureData)
		want string
	}{
		{func(c *Config, _ *FeatureData) { c.FineTuneFrom, c.FineTuneEpochs = "conv1", 1 }, "fine-tuning and unfreezing"},
		{func(c *Config, _ *FeatureData) { c.Freeze = Freeze{None: true} }, "fine-tuning and unfreezing"},
		{func(c *Config, _ *FeatureData) { c.Test = "test/" }, "resume, test images and no-cache"},
		{func(c *Config, _ *FeatureData) { c.Head = "gap,dense:softmax" }, "needs (H, W, C) features"},
		{func(_ *Config, f *FeatureData) { f.ClassNames = []string{"a"} }, "at least two classes"},
		{func(_ *Config, f *FeatureData) { f.Labels = f.Labels[1:] }, "for 7 labels"},
	} {
		cfg, fd := base, f
		c.edit(&cfg, &fd)
		_, err := TrainFeatures(context.Background(), cfg, fd)
		require.ErrorContains(t, err, c.want)
	}
	res, err := TrainFeatures(context.Background(), base, f)
	require.NoError(t, err)
	require.Equal(t, []int{3}, res.Model.Input().Shape(), "the head alone, on the features")
}
