package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/internal/classify"
	"github.com/keelml/keel/nn"
)

// topFlag is predict's --top: alone, it includes a zoo model's ImageNet
// classifier (as elsewhere); with a number, --top K, it also sets how many
// classes each image gets.
type topFlag struct {
	include *bool
	k       *int
}

func (f *topFlag) String() string {
	if f == nil || f.include == nil {
		return "false"
	}
	return strconv.FormatBool(*f.include)
}

// IsBoolFlag lets --top stand alone.
func (f *topFlag) IsBoolFlag() bool { return true }

// Accepts takes a count after --top (splitArgs joins `--top 3` into --top=3).
func (f *topFlag) Accepts(arg string) bool {
	_, err := strconv.Atoi(arg)
	return err == nil
}

func (f *topFlag) Set(s string) error {
	if k, err := strconv.Atoi(s); err == nil {
		if k < 1 {
			return fmt.Errorf("want at least 1 class, got %d", k)
		}
		*f.include, *f.k = true, k
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want a number of classes, or true/false, got %q", s)
	}
	*f.include = b
	return nil
}

// predictOutput is how predictions of images are written.
type predictOutput struct {
	top  int    // classes per image
	csv  string // file for CSV rows, "-" for stdout; "" for none
	json bool   // one JSON object per image on stdout
}

// classScore is one of an image's best classes.
type classScore struct {
	classify.Score
	wordNet string // ImageNet's synset id, shown in the text listing
}

// imageClassifier runs a model on image files, a batch at a time.
type imageClassifier struct {
	model      *nn.Model
	size       int
	batch      int
	preprocess func(x []float32) error
	// decode gives the k best classes of each of n rows of scores.
	decode func(y []float32, n, k int) ([][]classScore, error)
}

// errNoneRead is returned when not one image could be read; each file's
// reason has been printed already.
var errNoneRead = errors.New("no image could be read")

// classify predicts every image that args name (files, or folders searched
// recursively for image files) and writes one row per image. A file that
// cannot be read is reported on stderr and left out; only when none could
// be read is it an error.
func (c imageClassifier) classify(args []string, po predictOutput) error {
	paths, listed := imagePaths(args)
	if len(paths) == 0 {
		if listed > 0 {
			return errNoneRead
		}
		return fmt.Errorf("no images in %s (looked for %s)", strings.Join(args, ", "), strings.Join(imagedata.DefaultExtensions, " "))
	}
	classes := c.model.Output().Shape()
	k := min(po.top, classes[len(classes)-1])
	w, closeOut, err := newPredictionWriter(po, k)
	if err != nil {
		return err
	}
	bar := newProgress("predict", "images", len(paths), len(paths) > c.batch)
	bad := listed
	for lo := 0; lo < len(paths); lo += c.batch {
		batch := paths[lo:min(len(paths), lo+c.batch)]
		x, ok := c.load(batch, bar)
		bad += len(batch) - len(ok)
		bar.add(len(batch) - len(ok))
		if len(ok) == 0 {
			continue
		}
		if err := c.preprocess(x); err != nil {
			return err
		}
		h, wd := c.inputSize()
		_, y, err := runBatched(c.model, nil, []int{len(ok), h, wd, 3}, x, len(ok))
		if err != nil {
			return err
		}
		top, err := c.decode(y, len(ok), k)
		if err != nil {
			return err
		}
		for i, p := range ok {
			if err := w.write(p, top[i]); err != nil {
				return err
			}
		}
		bar.add(len(ok))
	}
	bar.finish()
	if err := closeOut(); err != nil {
		return err
	}
	switch {
	case bad == len(paths)+listed:
		return errNoneRead
	case bad > 0:
		fmt.Fprintf(os.Stderr, "keel predict: %d of %d files could not be read (listed above)\n", bad, len(paths)+listed)
	}
	return nil
}

// inputSize is the height and width images are resized to: the model's
// input where it fixes them (a file's model may be any shape), else size.
func (c *imageClassifier) inputSize() (h, w int) { return classify.ImageSize(c.model, c.size) }

// load decodes paths as Keras' load_img does (PIL, nearest resize to the
// input size) into one NHWC batch of RGB 0..255, reporting the files it
// cannot read.
func (c imageClassifier) load(paths []string, bar *progress) (x []float32, ok []string) {
	for _, p := range paths {
		img, err := imagedata.Load(p)
		if err != nil {
			bar.clear()
			fmt.Fprintln(os.Stderr, "keel predict:", err)
			continue
		}
		h, w := c.inputSize()
		px := make([]float32, h*w*3)
		classify.Pixels(img, h, w, px)
		x = append(x, px...)
		ok = append(ok, p)
	}
	return x, ok
}

// imagePaths expands args: a folder stands for its image files (by
// extension, searched recursively in lexical order), a file for itself.
// What cannot be listed is reported on stderr and counted in failed.
func imagePaths(args []string) (paths []string, failed int) {
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "keel predict:", err)
			failed++
			continue
		}
		if !st.IsDir() {
			paths = append(paths, a)
			continue
		}
		filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				fmt.Fprintln(os.Stderr, "keel predict:", err)
				failed++
			case !d.IsDir() && slices.Contains(imagedata.DefaultExtensions, strings.ToLower(filepath.Ext(p))):
				paths = append(paths, p)
			}
			return nil
		})
	}
	return paths, failed
}

// predictionWriter writes one image's best classes.
type predictionWriter interface {
	write(path string, top []classScore) error
}

// newPredictionWriter is the writer po asks for, and what flushes and
// closes it.
func newPredictionWriter(po predictOutput, k int) (predictionWriter, func() error, error) {
	switch {
	case po.json:
		return jsonPredictions{json.NewEncoder(os.Stdout)}, func() error { return nil }, nil
	case po.csv != "":
		var out io.WriteCloser = os.Stdout
		if po.csv != "-" {
			f, err := os.Create(po.csv)
			if err != nil {
				return nil, nil, err
			}
			out = f
		}
		w := csv.NewWriter(out)
		header := []string{"path", "class", "probability"}
		for r := 2; r <= k; r++ {
			header = append(header, fmt.Sprintf("class_%d", r), fmt.Sprintf("probability_%d", r))
		}
		if err := w.Write(header); err != nil {
			return nil, nil, err
		}
		return csvPredictions{w}, func() error {
			w.Flush()
			err := w.Error()
			if out != os.Stdout {
				err = errors.Join(err, out.Close())
			}
			return err
		}, nil
	}
	return textPredictions{}, func() error { return nil }, nil
}

// textPredictions is the listing for people: the path, then one ranked
// line per class.
type textPredictions struct{}

func (textPredictions) write(path string, top []classScore) error {
	fmt.Println(path)
	for r, c := range top {
		if c.wordNet != "" {
			fmt.Printf("  %d. %-9s %-24s %.4f\n", r+1, c.wordNet, c.Class, c.Probability)
		} else {
			fmt.Printf("  %d. %-24s %.4f\n", r+1, c.Class, c.Probability)
		}
	}
	return nil
}

// csvPredictions: path,class,probability[,class_2,probability_2...].
type csvPredictions struct{ w *csv.Writer }

func (c csvPredictions) write(path string, top []classScore) error {
	row := []string{path}
	for _, s := range top {
		row = append(row, s.Class, strconv.FormatFloat(float64(s.Probability), 'g', -1, 32))
	}
	return c.w.Write(row)
}

// jsonPredictions: {"path": ..., "predictions": [{class, index, probability}]}
// on one line per image.
type jsonPredictions struct{ enc *json.Encoder }

func (j jsonPredictions) write(path string, top []classScore) error {
	return j.enc.Encode(struct {
		Path        string       `json:"path"`
		Predictions []classScore `json:"predictions"`
	}{path, top})
}
