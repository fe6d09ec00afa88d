package imagedata

import (
	"encoding/binary"
	"encoding/json"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/testenv"
)

// manifest is testdata/images/manifest.json, written by
// scripts/imagedata/make_refs.py with the real PIL, scipy and keras_preprocessing.
type manifest struct {
	Resize []struct {
		Src, Method, Out string
		Width, Height    int
	}
	DecodeIfast []struct {
		File, RGB string
	} `json:"decode_ifast"`
	ResizeBox []struct {
		Src, Method, Out string
		Width, Height    int
		Box              [4]int
	} `json:"resize_box"`
	Decode []struct {
		File, RGB string
		PILMode   string `json:"pil_mode"`
	}
	Augment []struct {
		Name          string
		Generator     map[string]any
		Params        map[string]any
		Height, Width int
		Out           string
	}
	Standardize []struct {
		Name          string
		Generator     map[string]any
		Height, Width int
		Out           string
	}
	Flow []struct {
		Name            string
		ValidationSplit float64 `json:"validation_split"`
		Subset          string
		Filenames       []string
		Classes         []int
		Batches         []struct {
			X string
			Y [][]float32
			N int
		}
	}
	FlowOptions     map[string]any `json:"flow_options"`
	RandomTransform []struct {
		Name  string
		Seed  uint32
		Shape []int
		Draws []map[string]any
	} `json:"random_transform"`
	Shuffle []struct {
		Seed  uint32
		N     int
		Order []int
	}
}

func refDir(t testing.TB) string { return testenv.Testdata(t, "images") }

func loadManifest(t testing.TB) *manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(refDir(t), "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func loadRef(t testing.TB, name string) *Image {
	t.Helper()
	img, err := Load(filepath.Join(refDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func loadF32(t testing.TB, name string) []float32 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(refDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// diff8 returns the largest absolute difference and how many values differ.
func diff8(a, b []uint8) (maxDiff, count int) {
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		if d > 0 {
			count++
		}
		maxDiff = max(maxDiff, d)
	}
	return maxDiff, count
}

func TestResizeMatchesPIL(t *testing.T) {
	m := loadManifest(t)
	for _, c := range m.Resize {
		interp, err := ParseInterpolation(c.Method)
		if err != nil {
			t.Fatal(err)
		}
		got := ResizePIL(loadRef(t, c.Src), c.Width, c.Height, interp)
		want := loadRef(t, c.Out)
		if got.W != want.W || got.H != want.H {
			t.Fatalf("%s: size %dx%d, want %dx%d", c.Out, got.W, got.H, want.W, want.H)
		}
		if d, n := diff8(got.Pix, want.Pix); d > 0 {
			t.Errorf("%s: %d values differ from PIL, by up to %d", c.Out, n, d)
		}
	}
}

func TestResizeBoxMatchesPIL(t *testing.T) {
	m := loadManifest(t)
	if len(m.ResizeBox) == 0 {
		t.Fatal("no box cases in the manifest")
	}
	for _, c := range m.ResizeBox {
		interp, _ := ParseInterpolation(c.Method)
		src := loadRef(t, c.Src)
		box := image.Rect(c.Box[0], c.Box[1], c.Box[2], c.Box[3])
		if c.Width == 24 || c.Width == 10 { // the keep_aspect_ratio cases
			if k := KeepAspectCrop(src.W, src.H, c.Width, c.Height); k != box {
				t.Errorf("KeepAspectCrop(%d, %d, %d, %d) = %v, Keras %v", src.W, src.H, c.Width, c.Height, k, box)
			}
		}
		got := ResizePILBox(src, box, c.Width, c.Height, interp)
		if d, n := diff8(got.Pix, loadRef(t, c.Out).Pix); d > 0 {
			t.Errorf("%s: %d values differ from PIL, by up to %d", c.Out, n, d)
		}
	}
}

func TestDecodeMatchesPIL(t *testing.T) {
	m := loadManifest(t)
	for _, c := range m.Decode {
		got := loadRef(t, c.File)
		want := loadRef(t, c.RGB)
		if got.W != want.W || got.H != want.H {
			t.Fatalf("%s: size %dx%d, want %dx%d", c.File, got.W, got.H, want.W, want.H)
		}
		d, n := diff8(got.Pix, want.Pix)
		t.Logf("%-28s PIL mode %-4s: %5d of %d values differ, by up to %d", c.File, c.PILMode, n, len(got.Pix), d)
		// Every format is exact: JPEG through libjpeg's IDCT, upsampling and
		// colour tables, lossy WebP through libwebp's upsampler and
		// conversion. (Go's own YCbCr conversion is off by up to ~50 levels
		// on most values of these files.)
		if n > 0 {
			t.Errorf("%s: %d values differ from PIL, by up to %d", c.File, n, d)
		}
	}
}

// TestFastIDCTMatchesLibjpeg: with the fast IDCT (TensorFlow's default for
// decode_jpeg, so image_dataset_from_directory's), JPEG decodes as
// libjpeg-turbo's djpeg -dct fast does.
func TestFastIDCTMatchesLibjpeg(t *testing.T) {
	m := loadManifest(t)
	if len(m.DecodeIfast) == 0 {
		t.Fatal("no fast-IDCT cases in the manifest")
	}
	for _, c := range m.DecodeIfast {
		data, err := os.ReadFile(filepath.Join(refDir(t), c.File))
		if err != nil {
			t.Fatal(err)
		}
		img, format, err := decodeImageWith(data, true)
		if err != nil {
			t.Fatal(err)
		}
		got := toRGB(img, format, nil)
		if d, n := diff8(got.Pix, loadRef(t, c.RGB).Pix); n > 0 {
			t.Errorf("%s: %d values differ from djpeg -dct fast, by up to %d", c.File, n, d)
		}
	}
}

func TestShuffleMatchesNumpy(t *testing.T) {
	for _, c := range loadManifest(t).Shuffle {
		x := make([]int, c.N)
		for i := range x {
			x[i] = i
		}
		NewRand(c.Seed).Shuffle(c.N, func(i, j int) { x[i], x[j] = x[j], x[i] })
		for i := range x {
			if x[i] != c.Order[i] {
				t.Fatalf("seed %d: order %v, numpy %v", c.Seed, x, c.Order)
			}
		}
	}
}
