package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/internal/classify"
	"github.com/keelml/keel/internal/npy"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
)

func init() {
	register(command{name: "predict", summary: "run a zoo model on a .npy batch or on images", flags: predictFlags})
}

const predictHelp = `usage: keel predict --model-file MODEL.h5 DIR|IMAGE... [--top K] [--csv FILE | --json]
       keel predict --model NAME --weights imagenet|FILE --top [K] DIR|IMAGE...
       keel predict (--model-file MODEL.h5 | --model NAME --weights W) --input X.npy --output Y.npy

Prints the K best classes of every image named (a folder stands for every
.jpg, .jpeg, .png, .gif, .bmp and .webp file under it), one row per image:
a listing by default, CSV with --csv (header path,class,probability, then
class_2,probability_2 up to K), JSON lines with --json. Flags may come before
or after the images. A file that cannot be read is named on stderr with the
reason and left out; the exit status is 0 when at least one image was
classified, 1 when none could be read, 2 for a misuse of the flags. A progress
bar shows on stderr when it is a terminal and the images fill more than one
--batch.

flags:`

// zooFlags are the flags that choose and build a zoo model.
type zooFlags struct {
	model     string
	weights   string
	top       bool
	inputSize int
	alpha     float64
	pooling   string
}

func addZooFlags(fs *flag.FlagSet) *zooFlags {
	f := &zooFlags{}
	fs.StringVar(&f.model, "model", "", "model: "+strings.Join(zoo.Names(), ", "))
	fs.BoolVar(&f.top, "top", false, "include the ImageNet classifier (default: the backbone alone)")
	fs.IntVar(&f.inputSize, "input-size", 0, "input height and width (default: the model's, 224 for most, 299 for xception and the inceptions)")
	fs.Float64Var(&f.alpha, "alpha", 1, "width multiplier of mobilenet and mobilenet_v2")
	fs.StringVar(&f.pooling, "pooling", "", "global pooling after the backbone: avg or max")
	return f
}

// size is --input-size, or the model's default size.
func (f *zooFlags) size() int {
	if f.inputSize != 0 {
		return f.inputSize
	}
	return zoo.DefaultSize(f.model)
}

// build builds the model at the given size with the given weights.
func (f *zooFlags) build(ctx context.Context, weights string, size int) (*nn.Model, error) {
	if f.model == "" {
		return nil, fmt.Errorf("%w: --model is required (one of %v)", errUsage, zoo.Names())
	}
	return zoo.NewContext(ctx, f.model, zoo.Options{
		IncludeTop: f.top, Weights: weights, InputShape: []int{size, size, 3},
		Pooling: f.pooling, Alpha: f.alpha, Notices: os.Stderr,
	})
}

func predictFlags(fs *flag.FlagSet) func([]string) error {
	zf := addZooFlags(fs)
	fs.StringVar(&zf.weights, "weights", "", "weights: a Keras .h5 file, or imagenet")
	layer := fs.String("layer", "", "output this layer's activations instead of the model's output")
	noPre := fs.Bool("no-preprocess", false, "feed the input as given, without the model's preprocess_input")
	input := fs.String("input", "", "input batch: float32 .npy of shape (N, H, W, 3), RGB 0..255")
	output := fs.String("output", "", "where to write the output as float32 .npy")
	batch := fs.Int("batch", 8, "images per forward pass")
	modelFile := fs.String("model-file", "", "a Keras full-model .h5 (Keel's or Keras') instead of --model/--weights")
	pre := fs.String("preprocess", "", "with --model-file: caffe, tf, torch or none (images default to what the file records; --input is fed as given)")
	po := predictOutput{top: 5}
	top := fs.Lookup("top")
	top.Value = &topFlag{include: &zf.top, k: &po.top}
	top.Usage = "`K` best classes per image (default 5); --top alone or with K also includes a zoo model's ImageNet classifier"
	fs.StringVar(&po.csv, "csv", "", "write the predictions of images to `FILE` (- for stdout) as CSV: path,class,probability,class_2,probability_2,...")
	fs.BoolVar(&po.json, "json", false, "print one JSON object per image: {path, predictions: [{class, index, probability}]}")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), predictHelp)
		fs.PrintDefaults()
	}
	return func(images []string) error {
		if po.csv != "" && po.json {
			return fmt.Errorf("%w: give --csv or --json, not both", errUsage)
		}
		if len(images) == 0 && (po.csv != "" || po.json) {
			return fmt.Errorf("%w: --csv and --json write the predictions of images: name image files or folders", errUsage)
		}
		if *batch < 1 {
			return fmt.Errorf("%w: --batch must be at least 1, got %d", errUsage, *batch)
		}
		if *modelFile != "" {
			return predictModelFile(*modelFile, *pre, images, *input, *output, *batch, po)
		}
		if *pre != "" {
			return fmt.Errorf("%w: --preprocess goes with --model-file (zoo models use their own; --no-preprocess turns it off)", errUsage)
		}
		if zf.weights == "" {
			return fmt.Errorf("%w: --weights FILE|imagenet is required", errUsage)
		}
		ctx := context.Background()
		switch {
		case len(images) > 0:
			if *input != "" || *output != "" {
				return fmt.Errorf("%w: give images or --input/--output, not both", errUsage)
			}
			if !zf.top {
				return fmt.Errorf("%w: naming ImageNet classes needs --top", errUsage)
			}
			return predictImages(ctx, zf, images, *noPre, *batch, po)
		case *input == "" || *output == "":
			return fmt.Errorf("%w: --input X.npy and --output Y.npy (or image files) are required", errUsage)
		}

		shape, x, err := npy.Read(*input)
		if err != nil {
			return err
		}
		if len(shape) != 4 || shape[3] != 3 {
			return fmt.Errorf("%s: want shape (N, H, W, 3), got %v", *input, shape)
		}
		size := zf.inputSize
		if size == 0 {
			size = shape[1]
		}
		if shape[1] != size || shape[2] != size {
			return fmt.Errorf("%s: images are %dx%d, --input-size is %d", *input, shape[1], shape[2], size)
		}
		m, err := zf.build(ctx, zf.weights, size)
		if err != nil {
			return err
		}
		if !*noPre {
			if err := zoo.PreprocessInput(zf.model, x); err != nil {
				return err
			}
		}
		var layers []string
		if *layer != "" {
			layers = []string{*layer}
		}
		outShape, out, err := runBatched(m, layers, shape, x, *batch)
		if err != nil {
			return err
		}
		return npy.Write(*output, outShape, out)
	}
}

// runBatched runs m (or its named layer) over x in batches and returns the
// concatenated output.
func runBatched(m *nn.Model, layers []string, shape []int, x []float32, batch int) ([]int, []float32, error) {
	n := shape[0]
	per := len(x) / max(n, 1)
	var out []float32
	var outShape []int
	for lo := 0; lo < n; lo += max(batch, 1) {
		hi := min(n, lo+max(batch, 1))
		xt, err := nn.TensorOf(x[lo*per:hi*per], append([]int{hi - lo}, shape[1:]...)...)
		if err != nil {
			return nil, nil, err
		}
		var ys []*nn.Tensor
		if len(layers) > 0 {
			ys, err = m.RunLayers(layers, xt)
		} else {
			ys, err = m.Run(xt)
		}
		if err != nil {
			return nil, nil, err
		}
		y := ys[0]
		if outShape == nil {
			outShape = append([]int{n}, y.Shape[1:]...)
			out = make([]float32, 0, n*(y.Len()/(hi-lo)))
		}
		out = append(out, y.Data...)
	}
	return outShape, out, nil
}

// predictModelFile runs a saved full model on images (top classes, named as
// the file records them) or on a .npy batch (fed as given unless
// --preprocess says otherwise).
func predictModelFile(path, pre string, images []string, input, output string, batch int, po predictOutput) error {
	m, meta, err := modelfile.Load(path)
	if errors.Is(err, modelfile.ErrUnknownInputShape) {
		m, meta, err = loadForInput(path, err, images, input)
	}
	if err != nil {
		return err
	}
	if len(images) > 0 {
		if input != "" || output != "" {
			return fmt.Errorf("%w: give images or --input/--output, not both", errUsage)
		}
		size, mode, err := inputFor(m, meta, pre)
		if err != nil {
			return err
		}
		c := imageClassifier{model: m, size: size, batch: batch,
			preprocess: func(x []float32) error { return zoo.Preprocess(mode, x) },
			decode: func(y []float32, n, k int) ([][]classScore, error) {
				return namedTopK(y, n, k, meta.ClassNames), nil
			}}
		return c.classify(images, po)
	}
	if input == "" || output == "" {
		return fmt.Errorf("%w: --input X.npy and --output Y.npy (or image files) are required", errUsage)
	}
	shape, x, err := npy.Read(input)
	if err != nil {
		return err
	}
	if in := m.Input().Shape(); len(shape) != len(in)+1 || !slices.Equal(shape[1:], in) {
		return fmt.Errorf("%s: shape %v, the model takes (N, %v)", input, shape, in)
	}
	if pre != "" {
		if err := zoo.Preprocess(zoo.Preprocessing(pre), x); err != nil {
			return err
		}
	}
	outShape, out, err := runBatched(m, nil, shape, x, batch)
	if err != nil {
		return err
	}
	return npy.Write(output, outShape, out)
}

// loadForInput loads a model whose file leaves its input size open (a fully
// convolutional model) at the size of what it will run on: the first
// image's height and width, or the .npy batch's sample shape.
func loadForInput(path string, unknown error, images []string, input string) (*nn.Model, modelfile.Meta, error) {
	var shape []int
	switch {
	case len(images) > 0:
		img, err := imagedata.Load(images[0])
		if err != nil {
			return nil, modelfile.Meta{}, fmt.Errorf("%w; reading the first image for the size: %w", unknown, err)
		}
		shape = []int{img.H, img.W, 3}
	case input != "":
		s, _, err := npy.Read(input)
		if err != nil {
			return nil, modelfile.Meta{}, fmt.Errorf("%w; reading %s for the size: %w", unknown, input, err)
		}
		if len(s) < 2 {
			return nil, modelfile.Meta{}, fmt.Errorf("%w; %s has shape %v, no samples", unknown, input, s)
		}
		shape = s[1:]
	default:
		return nil, modelfile.Meta{}, unknown
	}
	return modelfile.LoadWith(path, modelfile.Options{InputShape: shape})
}

// namedTopK is the k best classes of each of n rows of y, named by names
// where it has them (else by index).
func namedTopK(y []float32, n, k int, names []string) [][]classScore {
	out := make([][]classScore, n)
	for i, row := range classify.NamedTopK(y, n, k, names) {
		for _, s := range row {
			out[i] = append(out[i], classScore{Score: s})
		}
	}
	return out
}

// predictImages runs a zoo classifier on images, decoded as Keras' load_img
// does (PIL, nearest resize to the input size), and names ImageNet's classes.
func predictImages(ctx context.Context, zf *zooFlags, paths []string, noPre bool, batch int, po predictOutput) error {
	size := zf.size()
	m, err := zf.build(ctx, zf.weights, size)
	if err != nil {
		return err
	}
	c := imageClassifier{model: m, size: size, batch: batch,
		preprocess: func(x []float32) error {
			if noPre {
				return nil
			}
			return zoo.PreprocessInput(zf.model, x)
		},
		decode: func(y []float32, n, k int) ([][]classScore, error) {
			top, err := zoo.DecodePredictions(y, n, k)
			if err != nil {
				return nil, err
			}
			out := make([][]classScore, n)
			for i, row := range top {
				for _, p := range row {
					out[i] = append(out[i], classScore{Score: classify.Score{Class: p.Name, Index: p.Index, Probability: p.Score}, wordNet: p.WordNet})
				}
			}
			return out, nil
		}}
	return c.classify(paths, po)
}
