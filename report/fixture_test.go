package report

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// handMadeRun is a six-epoch run (fine-tuning from the fifth) evaluated on
// three classes, whose misclassified images are solid-colour PNGs in dir.
func handMadeRun(t *testing.T, dir string) Run {
	t.Helper()
	return Run{
		Settings: Settings{{"model", "mobilenet_v2"}, {"epochs", "6"}, {"optimizer", "adam"}, {"learning_rate", "0.001"}, {"fine_tune_lr", "1e-05"}},
		History: History{
			Loss:          []float64{1.10, 0.80, 0.62, 0.55, 0.40, 0.31},
			Accuracy:      []float64{0.42, 0.61, 0.70, 0.74, 0.83, 0.88},
			ValLoss:       []float64{0.95, 0.74, 0.66, 0.64, 0.52, 0.50},
			ValAccuracy:   []float64{0.50, 0.66, 0.69, 0.70, 0.78, 0.80},
			FineTuneStart: 4,
		},
		Evaluation: &Evaluation{
			Classes: []string{"cat", "dog", "horse"},
			// Counts and row shares rank the cells differently: dog's 3 of 4
			// outweighs cat's 50 of 100.
			Confusion: [][]int{{50, 30, 20}, {1, 3, 0}, {2, 2, 16}},
			PerClass: []ClassMetrics{
				{Precision: 0.94, Recall: 0.50, F1: 0.65, Support: 100},
				{Precision: 0.09, Recall: 0.75, F1: 0.16, Support: 4},
				{Precision: 0.44, Recall: 0.80, F1: 0.57, Support: 20},
			},
			Loss:     0.71,
			Accuracy: 0.56,
			Misclassified: []Mistake{
				{Path: solidPNG(t, dir, "red.png", 120, 90, color.RGBA{220, 20, 20, 255}), True: "cat", Pred: "dog", Prob: 0.71},
				{Path: solidPNG(t, dir, "green.png", 64, 64, color.RGBA{20, 200, 40, 255}), True: "cat", Pred: "horse", Prob: 0.97},
				{Path: solidPNG(t, dir, "wide_blue.png", 300, 100, color.RGBA{30, 40, 210, 255}), True: "horse", Pred: "cat", Prob: 0.88},
				{Path: filepath.Join(dir, "moved_away.jpg"), True: "dog", Pred: "cat", Prob: 0.93},
				{Path: solidPNG(t, dir, "yellow.png", 90, 140, color.RGBA{230, 210, 30, 255}), True: "dog", Pred: "cat", Prob: 0.52},
			},
		},
	}
}

func solidPNG(t *testing.T, dir, name string, w, h int, c color.RGBA) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:i+4], []uint8{c.R, c.G, c.B, c.A})
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())
	return path
}

// readPNG decodes a PNG file, failing the test when it is not one.
func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, path)
	return img
}

func rgbAt(img image.Image, p image.Point) color.RGBA {
	r, g, b, _ := img.At(p.X, p.Y).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}

// nearColor: each channel within tol.
func nearColor(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) <= tol && int(y)-int(x) <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

// countColor counts the pixels of r within tol of c.
func countColor(img image.Image, r image.Rectangle, c color.RGBA, tol int) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if nearColor(rgbAt(img, image.Pt(x, y)), c, tol) {
				n++
			}
		}
	}
	return n
}
