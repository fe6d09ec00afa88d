// Package classify is what keel predict and the serve package share to turn
// an image into a model's input and its output into named classes, so both
// give the same answer for the same image.
package classify

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of JPEG headers (imagedata decodes with its own copy)
	"sort"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
)

// InputOf is the size and preprocess_input mode images get for a saved
// model: what its file records, the model's own input size where the file
// is silent, and override (when not empty) for the mode.
func InputOf(m *nn.Model, meta modelfile.Meta, override string) (int, zoo.Preprocessing, error) {
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

// ImageSize is the height and width images are resized to: the model's
// input where it fixes them (a file's model may be any shape), else size.
func ImageSize(m *nn.Model, size int) (h, w int) {
	if in := m.Input().Shape(); len(in) == 3 && in[0] > 0 && in[1] > 0 {
		return in[0], in[1]
	}
	return size, size
}

// Pixels resizes img as Keras' load_img does (PIL, nearest) to w x h and
// writes it into dst (3*h*w values) as RGB 0..255.
func Pixels(img *imagedata.Image, h, w int, dst []float32) {
	imagedata.ResizePIL(img, w, h, imagedata.Nearest).ToFloat32(dst)
}

// Decode decodes an image file held in data, refusing by its header, before
// any pixel is decoded, one of more than maxPixels pixels (0: imagedata's
// own limit). Its errors wrap imagedata.ErrTooLarge for a refused size.
func Decode(data []byte, maxPixels int) (*imagedata.Image, error) {
	if maxPixels > 0 {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("not an image Keel decodes (JPEG, PNG, GIF, BMP, WebP): %w", err)
		}
		if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
			return nil, fmt.Errorf("%w: %dx%d pixels, limit %d", imagedata.ErrTooLarge, cfg.Width, cfg.Height, maxPixels)
		}
	}
	return imagedata.DecodeBytes(data, nil)
}

// Score is one of an image's best classes.
type Score struct {
	Class       string  `json:"class"`
	Index       int     `json:"index"`
	Probability float32 `json:"probability"`
}

// TopK returns the indices of the k largest scores, largest first.
func TopK(scores []float32, k int) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx[:min(k, len(idx))]
}

// NamedTopK is the k best classes of each of n rows of y, named by names
// where it has them (else by index).
func NamedTopK(y []float32, n, k int, names []string) [][]Score {
	classes := len(y) / n
	out := make([][]Score, n)
	for i := range out {
		row := y[i*classes : (i+1)*classes]
		for _, c := range TopK(row, k) {
			name := fmt.Sprint(c)
			if c < len(names) {
				name = names[c]
			}
			out[i] = append(out[i], Score{Class: name, Index: c, Probability: row[c]})
		}
	}
	return out
}
