package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/keelml/keel/featureset"
	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/report"
	"github.com/keelml/keel/transfer"
	"github.com/keelml/keel/zoo"
)

func init() {
	register(command{name: "train", summary: "transfer learning: a zoo backbone, a new head, an image folder", run: runTrain})
}

func runTrain(args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	var c transfer.Config
	fs.StringVar(&c.Model, "model", "", "backbone: "+strings.Join(zoo.Names(), ", "))
	fs.StringVar(&c.Weights, "weights", "", "backbone weights: a Keras .h5 file, or imagenet")
	fs.StringVar(&c.Data, "data", "", "image folder with one sub-folder per class")
	features := fs.String("features", "", "instead of --data: a feature folder keel-beam featurize wrote (manifest.json and .npy shards); trains the head alone on them and saves it")
	fs.IntVar(&c.InputSize, "input-size", 0, "input height and width (default: the model's, 224 for most, 299 for xception and the inceptions)")
	fs.Float64Var(&c.Alpha, "alpha", 1, "width multiplier of mobilenet and mobilenet_v2")
	fs.IntVar(&c.Epochs, "epochs", 5, "epochs")
	fs.IntVar(&c.BatchSize, "batch", 32, "batch size")
	fs.StringVar(&c.Head, "head", "", "head spec, e.g. gap,dense:100:relu,dropout:0.5,dense:softmax; a dense layer may end with :init=INITIALIZER (Keras kernel_initializer: glorot_uniform, he_normal, random_uniform, ...) (default gap,dense:softmax; flatten for VGG)")
	freeze := fs.String("freeze", "all", "frozen backbone layers: all, none or until=LAYER (that layer included)")
	augment := fs.String("augment", "", "ImageDataGenerator arguments, e.g. rotation_range=20,horizontal_flip=true,zoom_range=0.1")
	fs.Float64Var(&c.ValidationSplit, "validation-split", 0.2, "fraction of each class held out for validation (the first files, as Keras)")
	fs.Float64Var(&c.LR, "lr", 0, "learning rate (default: the optimizer's Keras default, 0.001 for adam and rmsprop, 0.01 for sgd)")
	optimizer := fs.String("optimizer", "adam", "optimizer: adam, sgd or rmsprop, with Keras' defaults")
	fs.Float64Var(&c.Momentum, "momentum", 0, "SGD's momentum")
	fs.BoolVar(&c.Nesterov, "nesterov", false, "SGD's Nesterov momentum")
	fs.StringVar(&c.Loss, "loss", "categorical_crossentropy", "loss: categorical_crossentropy, sparse_categorical_crossentropy or binary_crossentropy (a one-unit sigmoid head, or one unit per class)")
	fs.Float64Var(&c.LabelSmoothing, "label-smoothing", 0, "Keras' label_smoothing of the crossentropy")
	fs.StringVar(&c.ClassWeight, "class-weight", "", "balanced: weigh classes by n_samples / (n_classes * count), as sklearn")
	fs.IntVar(&c.EarlyStopping, "early-stopping", 0, "stop a phase after this many epochs without a lower val_loss (Keras' EarlyStopping patience; 0: off)")
	fs.BoolVar(&c.RestoreBestWeights, "restore-best-weights", false, "with --early-stopping, put back the best epoch's weights when it stops (Keras' restore_best_weights; default false as Keras)")
	fs.StringVar(&c.Checkpoint, "checkpoint", "", "save the model of the epoch with the lowest val_loss so far to this file (Keras' ModelCheckpoint save_best_only)")
	fs.StringVar(&c.FineTuneFrom, "fine-tune-from", "", "after --epochs, unfreeze the backbone from this layer up (BatchNormalization kept in inference mode) and train again")
	fs.IntVar(&c.FineTuneEpochs, "fine-tune-epochs", 0, "epochs of the fine-tuning phase")
	fs.Float64Var(&c.FineTuneLR, "fine-tune-lr", 1e-5, "learning rate of the fine-tuning phase (a fresh optimizer of the same kind)")
	fs.StringVar(&c.Test, "test", "", "image folder evaluated at the end (loss, accuracy, per-class figures, confusion matrix)")
	asJSON := fs.Bool("json", false, "print the result (history, test evaluation) as one JSON object; progress goes to stderr")
	reportDir := fs.String("report", "", "write curves.png, confusion.png and errors.png (with --test) and index.html of the run to this folder")
	seed := fs.Uint64("seed", 0, "seed for shuffling, augmentation and initialisation")
	out := fs.String("out", "", "where to save the trained model: a Keras full-model .h5 (with the training state --resume continues from), or a Keras 3 .keras archive (the model only)")
	noCache := fs.Bool("no-cache", false, "recompute a frozen backbone every epoch instead of caching its outputs")
	fs.StringVar(&c.Resume, "resume", "", "continue the run that saved this model (--out of an earlier or interrupted run): its weights, optimizer state, epoch and batch, up to --epochs in all; give the other flags as before (--weights is not needed)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	c.Seed = *seed
	c.NoCache = *noCache
	c.Optimizer = transfer.Optimizer(*optimizer)
	if *asJSON {
		c.Output = os.Stderr
	}
	if c.FineTuneFrom != "" && c.FineTuneEpochs == 0 {
		return fmt.Errorf("%w: --fine-tune-from needs --fine-tune-epochs N", errUsage)
	}
	var feats *featureset.Set
	if *features != "" {
		if c.Data != "" {
			return fmt.Errorf("%w: give --data or --features, not both", errUsage)
		}
		var err error
		if feats, err = featureset.Load(*features); err != nil {
			return err
		}
		if c.Model == "" {
			c.Model = feats.Model
		} else if c.Model != feats.Model {
			return fmt.Errorf("%w: --model %s, but %s holds features of %s", errUsage, c.Model, *features, feats.Model)
		}
	}
	switch {
	case c.Model == "":
		return fmt.Errorf("%w: --model is required", errUsage)
	case c.Data == "" && feats == nil:
		return fmt.Errorf("%w: --data DIR (or --features DIR) is required", errUsage)
	case *out == "":
		return fmt.Errorf("%w: --out model.h5 is required", errUsage)
	case c.Weights == "" && c.Resume == "" && feats == nil: // features need no backbone
		return fmt.Errorf("%w: --weights FILE|imagenet is required (transfer learning starts from pretrained weights)", errUsage)
	}
	var err error
	if c.Freeze, err = transfer.ParseFreeze(*freeze); err != nil {
		return err
	}
	if c.Augment, err = parseAugment(*augment); err != nil {
		return err
	}
	// Ctrl-C stops training after the current batch; the model is saved
	// with its training state so that --resume continues it. The first
	// Ctrl-C ends the signal handling, so a second one quits at once (the
	// file being written is then left as it was: saves are atomic).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	trained := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			select {
			case <-trained: // the stop() after training, not a Ctrl-C (a head on features trains in milliseconds)
				return
			default:
			}
			stop()
			fmt.Fprintln(os.Stderr, "\nkeel train: interrupted, stopping after the current batch to save "+*out+" (Ctrl-C again to quit without saving)")
		case <-trained:
		}
	}()
	var res *transfer.Result
	if feats != nil {
		var x *nn.Tensor
		if x, err = featureTensor(feats); err == nil {
			res, err = transfer.TrainFeatures(ctx, c, transfer.FeatureData{X: x, Labels: feats.Labels, ClassNames: feats.Classes})
		}
	} else {
		res, err = transfer.Train(ctx, c)
	}
	close(trained)
	stop()
	if err != nil {
		if ctx.Err() == nil || res == nil || res.Optimizer == nil {
			return err
		}
		if err := saveTrained(res, *out); err != nil {
			return fmt.Errorf("interrupted; saving %s: %w", *out, err)
		}
		if isKerasArchive(*out) {
			fmt.Printf("\ninterrupted: saved %s, which holds no training state; to resume a run, save it with --out FILE.h5\n", *out)
			return errInterrupted
		}
		if res.Step > 0 {
			fmt.Printf("\ninterrupted in epoch %d after batch %d: saved %s\n", res.Epoch+1, res.Step, *out)
		} else {
			fmt.Printf("\ninterrupted after epoch %d: saved %s\n", res.Epoch, *out)
		}
		if feats == nil { // a head trained on features starts again: it takes seconds
			fmt.Printf("resume with: keel %s --resume %s\n", resumeCommand(args, *out), *out)
		}
		return errInterrupted
	}
	if feats != nil {
		fmt.Printf("head trained on the features of %d images in %s in %.1fs\n", len(feats.Rows), *features, res.FitSeconds)
	} else if res.Cached {
		fmt.Printf("backbone features computed once in %.1fs (frozen backbone, no augmentation); head trained in %.1fs\n", res.FeatureSeconds, res.FitSeconds)
	}
	if err := saveTrained(res, *out); err != nil {
		return err
	}
	if *reportDir != "" {
		run := report.Run{Settings: flagSettings("train", fs), History: reportHistory(res.History, res.FineTuneStart), Evaluation: reportEvaluation(res.Test)}
		if err := writeReport(*reportDir, run, *asJSON); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(trainJSON(res, *out))
	}
	if res.Test != nil {
		fmt.Printf("test images (%s):\n", c.Test)
		printEvaluation(os.Stdout, res.Test)
	}
	fmt.Printf("saved %s (%d classes: %s)\n", *out, len(res.Meta.ClassNames), strings.Join(res.Meta.ClassNames, ", "))
	return nil
}

// featureTensor is a feature folder's rows as one (N, feature shape...)
// tensor.
func featureTensor(s *featureset.Set) (*nn.Tensor, error) {
	return nn.TensorOf(s.X, append([]int{len(s.Rows)}, s.FeatureShape...)...)
}

// trainJSON is `keel train --json`'s object: the file saved, its classes,
// the history of every epoch (per key, one value per epoch), where the
// fine-tuning phase starts (-1: none) and the test evaluation (null
// without --test).
func trainJSON(res *transfer.Result, out string) map[string]any {
	h := map[string]any{}
	epochs := []int{}
	if res.History != nil {
		for k, v := range res.History.History {
			h[k] = v
		}
		epochs = append(epochs, res.History.Epoch...)
	}
	return map[string]any{"model": out, "classes": res.Meta.ClassNames, "epochs": epochs, "history": h,
		"fine_tune_start": res.FineTuneStart, "train_images": res.TrainImages, "val_images": res.ValImages, "test": res.Test}
}

// parseAugment reads ImageDataGenerator's arguments, KEY=VALUE comma
// separated; ranges take "a:b" or one number as Keras does (zoom_range=0.2
// is [0.8, 1.2]). Empty means no augmentation.
func parseAugment(s string) (*imagedata.Augment, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	a := &imagedata.Augment{}
	for _, kv := range strings.Split(s, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("--augment: %q is not KEY=VALUE", kv)
		}
		num := func() (float64, error) {
			f, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return 0, fmt.Errorf("--augment: %s=%q is not a number", key, val)
			}
			return f, nil
		}
		pair := func() ([2]float64, error) {
			lo, hi, ok := strings.Cut(val, ":")
			if !ok {
				return [2]float64{}, fmt.Errorf("--augment: %s=%q: want LOW:HIGH", key, val)
			}
			l, err1 := strconv.ParseFloat(lo, 64)
			h, err2 := strconv.ParseFloat(hi, 64)
			if err1 != nil || err2 != nil {
				return [2]float64{}, fmt.Errorf("--augment: %s=%q: want LOW:HIGH", key, val)
			}
			return [2]float64{l, h}, nil
		}
		var err error
		switch key {
		case "rotation_range":
			a.RotationRange, err = num()
		case "width_shift_range":
			a.WidthShiftRange, err = num()
		case "height_shift_range":
			a.HeightShiftRange, err = num()
		case "shear_range":
			a.ShearRange, err = num()
		case "channel_shift_range":
			a.ChannelShiftRange, err = num()
		case "cval":
			a.Cval, err = num()
		case "rescale":
			a.Rescale, err = num()
		case "zoom_range":
			if strings.Contains(val, ":") {
				a.ZoomRange, err = pair()
			} else {
				var z float64
				z, err = num()
				a.ZoomRange = [2]float64{1 - z, 1 + z}
			}
		case "brightness_range":
			a.BrightnessRange, err = pair()
		case "horizontal_flip", "vertical_flip":
			var b bool
			if b, err = strconv.ParseBool(val); err != nil {
				err = fmt.Errorf("--augment: %s=%q is not true or false", key, val)
			}
			if key == "horizontal_flip" {
				a.HorizontalFlip = b
			} else {
				a.VerticalFlip = b
			}
		case "fill_mode":
			a.FillMode, err = imagedata.ParseFillMode(val)
		default:
			return nil, fmt.Errorf("--augment: unknown argument %q (rotation_range, width_shift_range, height_shift_range, shear_range, zoom_range, horizontal_flip, vertical_flip, brightness_range, channel_shift_range, fill_mode, cval, rescale)", key)
		}
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

// saveTrained writes the trained model to out in the format its extension
// names: a .keras archive holds the model and Keel's metadata, an .h5 file
// the training state besides.
func saveTrained(res *transfer.Result, out string) error {
	if isKerasArchive(out) {
		return modelfile.Save(out, res.Model, res.Meta)
	}
	return res.Save(out)
}

func isKerasArchive(path string) bool { return strings.EqualFold(filepath.Ext(path), ".keras") }

// errInterrupted is the error of a run stopped by Ctrl-C that saved its
// model; main exits with 130, as a shell does for SIGINT.
var errInterrupted = errors.New("interrupted")

// resumeCommand is the train command line args were, without --resume and
// --out, and with the flags quoted for a shell where they need it.
func resumeCommand(args []string, out string) string {
	parts := []string{"train"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "resume" || name == "out") {
			if !hasValue {
				i++ // its value
			}
			continue
		}
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(append(parts, "--out", shellQuote(out)), " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@%+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
