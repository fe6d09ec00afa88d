package transfer

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
)

// FeatureData are backbone outputs computed before (by keel-beam, package
// featureset): X holds one row per image, (N, feature shape...), Labels
// each row's class index in ClassNames, the rows in flow_from_directory's
// order (class, then file) so that a validation split takes the images
// Train would.
type FeatureData struct {
	X          *nn.Tensor
	Labels     []int
	ClassNames []string
}

// TrainFeatures trains the head c.Head on features computed before, as
// Train trains it on the backbone outputs it caches: the same head layers,
// initialisation, shuffles and fit, so that for the same features and Seed
// the head's weights are Train's. c.ValidationSplit holds out the first
// fraction of each class's rows, as Train holds out images. Result.Model is
// the head alone, its input the features. What needs the images or the
// backbone (Augment, FineTuneFrom, Freeze, Resume, Test, NoCache) is refused.
func TrainFeatures(ctx context.Context, c Config, f FeatureData) (*Result, error) {
	c.defaults()
	if err := c.check(); err != nil {
		return nil, err
	}
	switch {
	case c.Augment != nil:
		return nil, errors.New("augmentation changes the images: it cannot apply to features computed before")
	case c.FineTuneFrom != "" || c.Freeze != (Freeze{}):
		return nil, errors.New("fine-tuning and unfreezing train the backbone, which features computed before leave out")
	case c.Resume != "" || c.Test != "" || c.NoCache:
		return nil, errors.New("resume, test images and no-cache are for training on images, not on features")
	}
	if f.X == nil || len(f.X.Shape) < 2 || f.X.Shape[0] != len(f.Labels) {
		return nil, fmt.Errorf("transfer: features %v for %d labels", f.X, len(f.Labels))
	}
	classes := len(f.ClassNames)
	if classes < 2 {
		return nil, fmt.Errorf("need images of at least two classes, the features have %d", classes)
	}
	head, err := ParseHead(c.Head)
	if err != nil {
		return nil, err
	}
	loss, err := NewLoss(c.Loss, c.LabelSmoothing)
	if err != nil {
		return nil, err
	}
	units := head[len(head)-1].Units
	if units == 0 {
		units = classes
	}
	labels, err := labelMode(loss, units, classes)
	if err != nil {
		return nil, fmt.Errorf("head %q with %s: %w", c.Head, loss.Name(), err)
	}
	shape := f.X.Shape[1:]
	if err := CheckHead(head, shape, classes); err != nil {
		return nil, fmt.Errorf("head %q: %w", c.Head, err)
	}
	train, val, err := splitRows(f.Labels, classes, c.ValidationSplit)
	if err != nil {
		return nil, err
	}
	if len(train) == 0 {
		return nil, errors.New("no features left to train on after the validation split")
	}
	headLayers := HeadLayers(head, classes)
	m, err := newHeadModel(headLayers, shape)
	if err != nil {
		return nil, err
	}
	res := &Result{Model: m, Loss: loss, FineTuneStart: -1, Cached: true, TrainImages: len(train), ValImages: len(val),
		Meta: modelfile.Meta{ClassNames: f.ClassNames}}
	trainLabels := make([]int, len(train))
	for i, r := range train {
		trainLabels[i] = f.Labels[r]
	}
	if c.ClassWeight == "balanced" {
		res.ClassWeights = BalancedClassWeights(trainLabels, classes)
	}
	r := &run{c: c, ctx: ctx, res: res, head: headLayers, loss: loss, labels: labels}
	if c.Checkpoint != "" {
		r.checkpoint = &bestCheckpoint{path: c.Checkpoint, best: math.Inf(1), save: func(path string) error { return modelfile.Save(path, m, res.Meta) }}
	}
	fo := r.fitOptions(0, c.Epochs)
	fx, fy, err := gatherRows(f, train, labels)
	if err != nil {
		return nil, err
	}
	if len(val) > 0 {
		vx, vy, err := gatherRows(f, val, labels)
		if err != nil {
			return nil, err
		}
		if fo.ValidationData, err = nn.NewArrayDataset([]*nn.Tensor{vx}, []*nn.Tensor{vy}, c.BatchSize, false, 0); err != nil {
			return nil, err
		}
	}
	return res, r.fitHead(m, fo, fx, fy)
}

// splitRows is flow_from_directory's split of rows in class order: of each
// class's rows the first int(split * count) validate, the rest train.
func splitRows(labels []int, classes int, split float64) (train, val []int, err error) {
	if split < 0 || split >= 1 {
		return nil, nil, fmt.Errorf("validation split %v outside [0, 1)", split)
	}
	byClass := make([][]int, classes)
	for i, l := range labels {
		if l < 0 || l >= classes {
			return nil, nil, fmt.Errorf("row %d: label %d is not a class in 0..%d", i, l, classes-1)
		}
		byClass[l] = append(byClass[l], i)
	}
	// Listing order: validation is taken class by class, as ListDirectory's
	// Validation subset lists it; training likewise.
	for _, rows := range byClass {
		cut := int(split * float64(len(rows)))
		val = append(val, rows[:cut]...)
		train = append(train, rows[cut:]...)
	}
	return train, val, nil
}

// gatherRows is the features and labels of rows, the labels as the Loader
// gives them in mode (one-hot rows, or one class index a row).
func gatherRows(f FeatureData, rows []int, mode imagedata.LabelMode) (x, y *nn.Tensor, err error) {
	per := len(f.X.Data) / f.X.Shape[0]
	xs := make([]float32, 0, len(rows)*per)
	cols := 1
	if mode == imagedata.Categorical {
		cols = len(f.ClassNames)
	}
	ys := make([]float32, len(rows)*cols)
	for i, r := range rows {
		xs = append(xs, f.X.Data[r*per:(r+1)*per]...)
		if mode == imagedata.Categorical {
			ys[i*cols+f.Labels[r]] = 1
		} else {
			ys[i] = float32(f.Labels[r])
		}
	}
	if x, err = nn.TensorOf(xs, append([]int{len(rows)}, f.X.Shape[1:]...)...); err != nil {
		return nil, nil, err
	}
	y, err = nn.TensorOf(ys, len(rows), cols)
	return x, y, err
}

// EvaluateFeatures runs the head m (a model TrainFeatures trained) on every
// row of f, in batches of o.BatchSize, and scores its predictions as
// Evaluate does; paths name the rows' images (optional).
func EvaluateFeatures(ctx context.Context, m *nn.Model, f FeatureData, paths []string, o EvalOptions) (*Evaluation, error) {
	if f.X == nil || len(f.X.Shape) < 2 || f.X.Shape[0] == 0 || f.X.Shape[0] != len(f.Labels) {
		return nil, errors.New("transfer: no features to evaluate")
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	if o.Loss == nil {
		o.Loss = nn.CategoricalCrossentropy{}
		if out := m.Output().Shape(); len(out) == 1 && out[0] == 1 {
			o.Loss = nn.BinaryCrossentropy{}
		}
	}
	n, per := f.X.Shape[0], len(f.X.Data)/f.X.Shape[0]
	var probs []float32
	for lo := 0; lo < n; lo += o.BatchSize {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(n, lo+o.BatchSize)
		x, err := nn.TensorOf(f.X.Data[lo*per:hi*per], append([]int{hi - lo}, f.X.Shape[1:]...)...)
		if err != nil {
			return nil, err
		}
		out, err := m.Run(x)
		if err != nil {
			return nil, err
		}
		probs = append(probs, out[0].Data...)
	}
	p, err := nn.TensorOf(probs, n, len(probs)/n)
	if err != nil {
		return nil, err
	}
	return Score(f.ClassNames, p, f.Labels, paths, o.Loss)
}
