package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/internal/classify"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/quant"
	"github.com/keelml/keel/zoo"
)

func init() {
	register(command{name: "quantize", summary: "quantize a saved model to int8 (post-training, calibrated on images)", flags: quantizeFlags})
}

func quantizeFlags(fs *flag.FlagSet) func([]string) error {
	modelFile := fs.String("model-file", "", "the float32 model: a Keras full-model .h5 or .keras (Keel's or Keras')")
	calib := fs.String("calibrate", "", "folder of calibration images (searched recursively), decoded and preprocessed as keel predict does")
	images := fs.Int("images", 100, "calibration images to use, spread evenly over the folder's sorted list")
	out := fs.String("out", "", "the quantized model file to write (.h5)")
	method := fs.String("method", quant.Percentile, "activation ranges: percentile (clip at --percentile of |x|) or minmax")
	pct := fs.Float64("percentile", 99.99, "the percentile of |x| --method percentile clips at")
	errImages := fs.Int("error-images", 16, "calibration images the per-layer error table is measured on")
	pre := fs.String("preprocess", "", "caffe, tf, torch or none (default: what the file records, else none)")
	asJSON := fs.Bool("json", false, "print the per-layer error table as one JSON object")
	noBias := fs.Bool("no-bias-correction", false, "keep each convolution's bias as folded (no correction for the mean error of its int8 weights)")
	reduce := fs.Bool("reduce-range", false, "7-bit Conv2D weights (-63..63, ONNX Runtime's reduce_range): less precise, but CPUs without dot-product instructions (AVX2 without VNNI) run them on a faster int8 kernel; keel env says whether this one does")
	return func([]string) error {
		if *modelFile == "" || *calib == "" || *out == "" {
			return fmt.Errorf("%w: --model-file, --calibrate and --out are required", errUsage)
		}
		if *images < 1 {
			return fmt.Errorf("%w: --images must be at least 1", errUsage)
		}
		if *method != quant.Percentile && *method != quant.MinMax {
			return fmt.Errorf("%w: --method must be percentile or minmax, not %q", errUsage, *method)
		}
		m, meta, err := modelfile.Load(*modelFile)
		if err != nil {
			return err
		}
		size, mode, err := inputFor(m, meta, *pre)
		if err != nil {
			return err
		}
		x, err := calibrationImages(m, size, mode, *calib, *images)
		if err != nil {
			return err
		}
		qm, rep, err := quant.Quantize(m, x, quant.Options{Method: *method, Percentile: *pct, ErrorImages: *errImages,
			NoBiasCorrection: *noBias, ReduceRange: *reduce, Progress: os.Stderr})
		if err != nil {
			return fmt.Errorf("%s: %w", *modelFile, err)
		}
		if meta.Preprocess == "" {
			meta.Preprocess = string(mode)
		}
		if meta.InputSize == 0 {
			meta.InputSize = size
		}
		if err := quant.Save(*out, qm, meta); err != nil {
			return err
		}
		if *asJSON {
			b, err := rep.JSON()
			if err != nil {
				return err
			}
			fmt.Println(string(b))
		} else if err := rep.Print(os.Stdout); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "keel quantize: wrote %s\n", *out)
		return nil
	}
}

// calibrationImages reads up to n images of dir, spread evenly over its
// sorted list (a class-per-folder tree then gives every class), decoded,
// resized and preprocessed as keel predict --model-file does.
func calibrationImages(m *nn.Model, size int, mode zoo.Preprocessing, dir string, n int) (*nn.Tensor, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%w: --calibrate %s is not a folder", errUsage, dir)
	}
	paths, _ := imagePaths([]string{dir})
	if len(paths) == 0 {
		return nil, fmt.Errorf("no images in %s (looked for %v)", dir, imagedata.DefaultExtensions)
	}
	if n < len(paths) {
		picked := make([]string, n)
		for i := range picked {
			picked[i] = paths[i*len(paths)/n]
		}
		paths = picked
	}
	h, w := classify.ImageSize(m, size)
	var x []float32
	for _, p := range paths {
		img, err := imagedata.Load(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "keel quantize:", err)
			continue
		}
		px := make([]float32, h*w*3)
		classify.Pixels(img, h, w, px)
		x = append(x, px...)
	}
	got := len(x) / (h * w * 3)
	if got == 0 {
		return nil, fmt.Errorf("none of the %d images of %s could be read", len(paths), dir)
	}
	if err := zoo.Preprocess(mode, x); err != nil {
		return nil, err
	}
	return nn.TensorOf(x, got, h, w, 3)
}
