package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/keelml/keel/featureset"
	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/internal/classify"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/report"
	"github.com/keelml/keel/transfer"
	"github.com/keelml/keel/zoo"
)

func init() {
	register(command{name: "evaluate", summary: "loss, accuracy, per-class figures and confusion matrix of a saved model on an image folder", flags: evaluateFlags})
}

func evaluateFlags(fs *flag.FlagSet) func([]string) error {
	modelFile := fs.String("model-file", "", "a Keras full-model .h5 (Keel's or Keras')")
	data := fs.String("data", "", "image folder with one sub-folder per class")
	features := fs.String("features", "", "instead of --data: a feature folder keel-beam featurize wrote, for a head keel train --features saved")
	pre := fs.String("preprocess", "", "caffe, tf, torch or none (default: what the file records, else none)")
	batch := fs.Int("batch", 32, "batch size")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	reportDir := fs.String("report", "", "write confusion.png, errors.png (the most confidently misclassified images) and index.html to this folder")
	return func([]string) error {
		if *modelFile == "" || *data == "" && *features == "" {
			return fmt.Errorf("%w: --model-file and --data (or --features) are required", errUsage)
		}
		if *data != "" && *features != "" {
			return fmt.Errorf("%w: give --data or --features, not both", errUsage)
		}
		m, meta, err := modelfile.Load(*modelFile)
		if err != nil {
			return err
		}
		var e *transfer.Evaluation
		if *features != "" {
			if e, err = evaluateFeatures(m, meta, *modelFile, *features, *batch); err != nil {
				return err
			}
			return finishEvaluation(e, fs, *reportDir, *asJSON)
		}
		size, mode, err := inputFor(m, meta, *pre)
		if err != nil {
			return err
		}
		// The model's classes, in its output order, name the folders to read.
		list, err := imagedata.ListDirectory(*data, imagedata.ListOptions{Classes: meta.ClassNames})
		if err != nil {
			return err
		}
		if outs := m.Output().Shape(); len(outs) != 1 || outs[0] != len(list.ClassNames) && !(outs[0] == 1 && len(list.ClassNames) == 2) {
			return fmt.Errorf("%s has %v outputs, %s has %d classes", *modelFile, m.Output().Shape(), *data, len(list.ClassNames))
		}
		if e, err = transfer.Evaluate(context.Background(), m, list, transfer.EvalOptions{InputSize: size, Preprocess: mode, BatchSize: *batch}); err != nil {
			return err
		}
		return finishEvaluation(e, fs, *reportDir, *asJSON)
	}
}

// finishEvaluation writes the report (with --report) and prints e.
func finishEvaluation(e *transfer.Evaluation, fs *flag.FlagSet, reportDir string, asJSON bool) error {
	if reportDir != "" {
		run := report.Run{Settings: flagSettings("evaluate", fs), History: report.History{FineTuneStart: -1}, Evaluation: reportEvaluation(e)}
		if err := writeReport(reportDir, run, asJSON); err != nil {
			return err
		}
	}
	if asJSON {
		return json.NewEncoder(os.Stdout).Encode(e)
	}
	printEvaluation(os.Stdout, e)
	return nil
}

// evaluateFeatures scores a head (keel train --features) on a feature
// folder, each row labelled by the model's class of its name.
func evaluateFeatures(m *nn.Model, meta modelfile.Meta, modelFile, dir string, batch int) (*transfer.Evaluation, error) {
	set, err := featureset.Load(dir)
	if err != nil {
		return nil, err
	}
	if in := m.Input().Shape(); !slices.Equal(in, set.FeatureShape) {
		return nil, fmt.Errorf("%s takes inputs of shape %v, %s holds features of shape %v (a head keel train --features saved takes its features)", modelFile, in, dir, set.FeatureShape)
	}
	classes := meta.ClassNames
	if len(classes) == 0 {
		classes = set.Classes
	}
	index := map[string]int{}
	for i, c := range classes {
		index[c] = i
	}
	labels := make([]int, len(set.Rows))
	for i, r := range set.Rows {
		l, ok := index[r.Class]
		if !ok {
			return nil, fmt.Errorf("%s: image %s is of class %q, which %s does not know (its classes: %v)", dir, r.Path, r.Class, modelFile, classes)
		}
		labels[i] = l
	}
	if outs := m.Output().Shape(); len(outs) != 1 || outs[0] != len(classes) && !(outs[0] == 1 && len(classes) == 2) {
		return nil, fmt.Errorf("%s has %v outputs for %d classes", modelFile, m.Output().Shape(), len(classes))
	}
	x, err := nn.TensorOf(set.X, append([]int{len(set.Rows)}, set.FeatureShape...)...)
	if err != nil {
		return nil, err
	}
	return transfer.EvaluateFeatures(context.Background(), m, transfer.FeatureData{X: x, Labels: labels, ClassNames: classes}, set.Paths(),
		transfer.EvalOptions{BatchSize: batch})
}

// printEvaluation writes an evaluation as Keras' evaluate line, sklearn's
// classification_report and the confusion matrix (rows: true classes).
func printEvaluation(w io.Writer, e *transfer.Evaluation) {
	fmt.Fprintf(w, "%d images - loss: %.4f - accuracy: %.4f\n", e.Images, e.Loss, e.Accuracy)
	width := len("class")
	for _, c := range e.Classes {
		width = max(width, len(c))
	}
	fmt.Fprintf(w, "%-*s  precision  recall  f1-score  support\n", width, "class")
	for _, s := range e.PerClass {
		fmt.Fprintf(w, "%-*s  %9.4f  %6.4f  %8.4f  %7d\n", width, s.Class, s.Precision, s.Recall, s.F1, s.Support)
	}
	fmt.Fprintf(w, "confusion matrix (rows: true class, columns: predicted):\n%-*s", width, "")
	for _, c := range e.Classes {
		fmt.Fprintf(w, "  %*s", max(len(c), 5), c)
	}
	fmt.Fprintln(w)
	for i, row := range e.Confusion {
		fmt.Fprintf(w, "%-*s", width, e.Classes[i])
		for j, n := range row {
			fmt.Fprintf(w, "  %*d", max(len(e.Classes[j]), 5), n)
		}
		fmt.Fprintln(w)
	}
}

// inputFor is the image size and preprocessing to feed a loaded model: the
// size it records (else its input's), and --preprocess, else what it records.
func inputFor(m *nn.Model, meta modelfile.Meta, override string) (int, zoo.Preprocessing, error) {
	return classify.InputOf(m, meta, override)
}
