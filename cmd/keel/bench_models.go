package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/keelml/keel/bench"
)

func benchModels(fs *flag.FlagSet, bf *benchFlags) func() error {
	modelFlag := fs.String("model", "", "models, comma-separated (default: "+strings.Join(bench.DefaultModels, ",")+")")
	batch := fs.Int("batch", 1, "images per forward pass")
	samples := fs.Int("samples", 5, "timed samples (the median is reported)")
	layers := fs.Bool("layers", false, "also print, on stderr, the time of every layer (its fastest run)")
	inputSize := fs.Int("input-size", 0, "input height and width (default: each model's own, 224 for most)")
	precision := fs.String("precision", "float32", "float32, int8 (quantized on a few synthetic inputs, then timed) or bf16 (convolutions with bfloat16 weights, float32 sums)")
	cold := fs.Bool("cold", false, "also time cold starts: each model saved to a model file, then per sample a fresh keel process loads it and predicts one input; "+
		"adds load_seconds (process start to that prediction's end, median), read_seconds (reading the file's bytes, warm cache, median) and load_ratio; float32 only")
	tf := addTimingFlags(fs)
	return func() error {
		timing, err := tf.options(*samples, 0, bf.threads)
		if err != nil {
			return err
		}
		switch *precision {
		case "float32", "int8", "bf16":
		default:
			return fmt.Errorf("%w: --precision must be float32, int8 or bf16, not %q", errUsage, *precision)
		}
		var coldCmd bench.ColdCommand
		if *cold {
			if *precision != "float32" {
				return fmt.Errorf("%w: --cold loads a saved float32 model: it takes no --precision %s", errUsage, *precision)
			}
			coldCmd = coldCommand
		}
		names, err := modelList(*modelFlag, bench.DefaultModels)
		if err != nil {
			return err
		}
		return bench.Models(bench.ModelsOptions{Common: bf.common(), Models: names, Batch: *batch, InputSize: *inputSize,
			Timing: timing, Layers: *layers, Precision: *precision, Cold: coldCmd}, bf.writer())
	}
}

func benchTrain(fs *flag.FlagSet, bf *benchFlags) func() error {
	modelFlag := fs.String("model", "", "models, comma-separated (default: "+strings.Join(bench.DefaultTrainModels, ",")+")")
	regime := fs.String("regime", "frozen", "frozen (backbone frozen, head trained) or full (everything trained)")
	batch := fs.Int("batch", 16, "images per step")
	samples := fs.Int("samples", 3, "timed steps (the median is reported)")
	inputSize := fs.Int("input-size", 0, "input height and width (default: each model's own, 224 for most)")
	return func() error {
		if *regime != "frozen" && *regime != "full" {
			return fmt.Errorf("%w: --regime must be frozen or full, not %q", errUsage, *regime)
		}
		names, err := modelList(*modelFlag, bench.DefaultTrainModels)
		if err != nil {
			return err
		}
		return bench.Train(bench.TrainOptions{Common: bf.common(), Models: names, Frozen: *regime == "frozen", Batch: *batch,
			Samples: *samples, InputSize: *inputSize}, bf.writer())
	}
}
