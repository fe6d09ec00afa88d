package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/transfer"
	"github.com/keelml/keel/zoo"
)

func init() {
	register(command{name: "evaluate", summary: "loss and accuracy of a saved model on an image folder", flags: evaluateFlags})
}

func evaluateFlags(fs *flag.FlagSet) func([]string) error {
	modelFile := fs.String("model-file", "", "a Keras full-model .h5 (Keel's or Keras')")
	data := fs.String("data", "", "image folder with one sub-folder per class")
	pre := fs.String("preprocess", "", "caffe, tf, torch or none (default: what the file records, else none)")
	batch := fs.Int("batch", 32, "batch size")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	return func([]string) error {
		if *modelFile == "" || *data == "" {
			return fmt.Errorf("%w: --model-file and --data are required", errUsage)
		}
		m, meta, err := modelfile.Load(*modelFile)
		if err != nil {
			return err
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
		if outs := m.Output().Shape(); len(outs) != 1 || outs[0] != len(list.ClassNames) {
			return fmt.Errorf("%s has %v outputs, %s has %d classes", *modelFile, m.Output().Shape(), *data, len(list.ClassNames))
		}
		aug := &imagedata.Augment{Preprocess: func(x []float32, h, w int) { zoo.Preprocess(mode, x) }}
		ld, err := imagedata.NewLoader(list, imagedata.Options{Height: size, Width: size, BatchSize: *batch, Labels: imagedata.Categorical, Augment: aug})
		if err != nil {
			return err
		}
		m.Compile(nn.NewAdam(nn.AdamConfig{}), nn.CategoricalCrossentropy{}, nn.NewAccuracy())
		logs, err := m.Evaluate(context.Background(), transfer.NewImageDataset(context.Background(), ld))
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(os.Stdout).Encode(map[string]any{"loss": logs["loss"], "accuracy": logs["accuracy"], "images": list.Len()})
		}
		fmt.Printf("%d images - loss: %.4f - accuracy: %.4f\n", list.Len(), logs["loss"], logs["accuracy"])
		return nil
	}
}

// inputFor is the image size and preprocessing to feed a loaded model: the
// size it records (else its input's), and --preprocess, else what it records.
func inputFor(m *nn.Model, meta modelfile.Meta, override string) (int, zoo.Preprocessing, error) {
	size := meta.InputSize
	if in := m.Input().Shape(); size == 0 && len(in) == 3 {
		size = in[0]
	}
	mode := zoo.Preprocessing(meta.Preprocess)
	if override != "" {
		mode = zoo.Preprocessing(override)
	}
	if mode == "" {
		mode = zoo.PreprocessNone
	}
	if err := zoo.Preprocess(mode, nil); err != nil {
		return 0, "", err
	}
	return size, mode, nil
}
