package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
)

// Evaluation is a model's quality on labelled images, as `keel evaluate`
// prints it and a report draws it: Keras' evaluate (loss, accuracy) and
// sklearn's classification_report and confusion_matrix. The JSON field
// names are those of `keel evaluate --json`.
type Evaluation struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	Images   int     `json:"images"`
	// Classes names the classes in the model's output order.
	Classes []string `json:"classes"`
	// Confusion[t][p] counts the images of true class t predicted as p.
	Confusion [][]int `json:"confusion"`
	// PerClass has one entry per class, in Classes' order.
	PerClass []ClassScores `json:"per_class"`
	// Misclassified lists the images predicted wrong, in the folder's
	// order (not in the JSON: it can be as long as the data).
	Misclassified []Misclassified `json:"-"`
}

// ClassScores are sklearn's per-class figures: precision tp/(tp+fp),
// recall tp/(tp+fn), F1 their harmonic mean (0 where undefined, as
// sklearn's zero_division default), support the images of the class.
type ClassScores struct {
	Class     string  `json:"class"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Misclassified is one image predicted wrong: its file, its true class,
// the class predicted and the probability the model gave that class.
type Misclassified struct {
	Path        string  `json:"path"`
	True        string  `json:"true"`
	Predicted   string  `json:"predicted"`
	Probability float64 `json:"probability"`
}

// Score computes an Evaluation from predictions: probs holds one row per
// image, either a probability per class or, for a one-unit sigmoid output
// of two classes, the probability of the second; labels are the true class
// indices and paths the files (optional). loss is the training loss
// (categorical, sparse or binary crossentropy: the targets are given the
// shape each expects); the predicted class is the row's argmax (or p > 0.5).
func Score(classes []string, probs *nn.Tensor, labels []int, paths []string, loss nn.Loss) (*Evaluation, error) {
	n, k := len(labels), len(classes)
	if n == 0 || probs == nil || probs.Batch() != n {
		return nil, fmt.Errorf("transfer: %d labels for predictions %v", n, probs)
	}
	cols := len(probs.Data) / n
	if cols != k && !(cols == 1 && k == 2) {
		return nil, fmt.Errorf("transfer: predictions have %d values per image for %d classes", cols, k)
	}
	if paths != nil && len(paths) != n {
		return nil, fmt.Errorf("transfer: %d paths for %d images", len(paths), n)
	}
	e := &Evaluation{Images: n, Classes: classes, Confusion: make([][]int, k)}
	for i := range e.Confusion {
		e.Confusion[i] = make([]int, k)
	}
	var target *nn.Tensor
	switch {
	case cols == 1:
		target = nn.NewTensor(n, 1)
	case isSparse(loss):
		target = nn.NewTensor(n)
	default:
		target = nn.NewTensor(n, k)
	}
	hits := 0
	for i, t := range labels {
		if t < 0 || t >= k {
			return nil, fmt.Errorf("transfer: label %d of image %d is not a class in 0..%d", t, i, k-1)
		}
		row := probs.Data[i*cols : (i+1)*cols]
		pred, p := 0, 0.0
		switch {
		case cols == 1:
			target.Data[i] = float32(t)
			p = float64(row[0])
			if p > 0.5 {
				pred = 1
			} else {
				p = 1 - p
			}
		case isSparse(loss):
			target.Data[i] = float32(t)
		default:
			target.Data[i*k+t] = 1
		}
		if cols > 1 {
			for j, v := range row {
				if v > row[pred] {
					pred = j
				}
			}
			p = float64(row[pred])
		}
		e.Confusion[t][pred]++
		if pred == t {
			hits++
			continue
		}
		m := Misclassified{True: classes[t], Predicted: classes[pred], Probability: p}
		if paths != nil {
			m.Path = paths[i]
		}
		e.Misclassified = append(e.Misclassified, m)
	}
	e.Accuracy = float64(hits) / float64(n)
	var err error
	if e.Loss, err = loss.Compute(probs, target, make([]float32, len(probs.Data))); err != nil {
		return nil, err
	}
	for c := range classes {
		tp, predicted, support := e.Confusion[c][c], 0, 0
		for j := range classes {
			predicted += e.Confusion[j][c]
			support += e.Confusion[c][j]
		}
		s := ClassScores{Class: classes[c], Support: support}
		if predicted > 0 {
			s.Precision = float64(tp) / float64(predicted)
		}
		if support > 0 {
			s.Recall = float64(tp) / float64(support)
		}
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		e.PerClass = append(e.PerClass, s)
	}
	return e, nil
}

func isSparse(l nn.Loss) bool {
	_, ok := l.(nn.SparseCategoricalCrossentropy)
	return ok
}

// EvalOptions say how Evaluate feeds images to a model: their size, the
// preprocessing (zoo.Preprocess's mode) and the batch size (default 32).
type EvalOptions struct {
	InputSize  int
	Preprocess zoo.Preprocessing
	BatchSize  int
	// Loss is the loss reported (default categorical crossentropy; binary
	// crossentropy for a one-unit output).
	Loss nn.Loss
}

// Evaluate runs m in inference mode on every image of list, in order,
// resized and preprocessed as training fed them (no augmentation), and
// scores the predictions against the listing's labels.
func Evaluate(ctx context.Context, m *nn.Model, list *imagedata.Listing, o EvalOptions) (*Evaluation, error) {
	if list.Len() == 0 {
		return nil, errors.New("transfer: no images to evaluate")
	}
	if o.BatchSize == 0 {
		o.BatchSize = 32
	}
	if o.Loss == nil {
		o.Loss = nn.CategoricalCrossentropy{}
		if out := m.Output().Shape(); len(out) == 1 && out[0] == 1 {
			o.Loss = nn.BinaryCrossentropy{}
		}
	}
	mode := o.Preprocess
	aug := &imagedata.Augment{Preprocess: func(x []float32, h, w int) { zoo.Preprocess(mode, x) }}
	ld, err := imagedata.NewLoader(list, imagedata.Options{Height: o.InputSize, Width: o.InputSize, BatchSize: o.BatchSize,
		Labels: imagedata.NoLabels, Augment: aug})
	if err != nil {
		return nil, err
	}
	ep := ld.Epoch(ctx, 0)
	defer ep.Close()
	var probs []float32
	var labels []int
	var paths []string
	for {
		b, err := ep.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		x, err := nn.TensorOf(b.X, b.N, b.H, b.W, b.C)
		if err != nil {
			return nil, err
		}
		out, err := m.Run(x)
		if err != nil {
			return nil, err
		}
		probs = append(probs, out[0].Data...)
		labels = append(labels, b.Classes...)
		paths = append(paths, b.Paths...)
	}
	p, err := nn.TensorOf(probs, len(labels), len(probs)/max(len(labels), 1))
	if err != nil {
		return nil, err
	}
	return Score(list.ClassNames, p, labels, paths, o.Loss)
}
