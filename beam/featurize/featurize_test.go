package featurize

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/stretchr/testify/require"

	"github.com/keelml/keel/featureset"
	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/transfer"
	"github.com/keelml/keel/zoo"
)

func TestMain(m *testing.M) {
	// Prism runs the pipeline in this process (loopback): no worker binary.
	f, _ := os.CreateTemp("", "keel-beam-worker")
	*jobopts.WorkerBinary = f.Name()
	code := ptest.MainRetWithDefault(m, "prism")
	os.Remove(f.Name())
	os.Exit(code)
}

var classes = []string{"blue", "green", "red"}

// writeImages writes perClass images per class folder, PNG and JPEG in
// turn, of varied sizes, and returns their paths in flow_from_directory's
// order.
func writeImages(t *testing.T, dir string, perClass int) []string {
	r := rand.New(rand.NewPCG(7, 7))
	var paths []string
	for c, name := range classes {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
		for i := range perClass {
			w, h := 24+r.IntN(40), 24+r.IntN(40)
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			for y := range h {
				for x := range w {
					v := [3]uint8{uint8(r.IntN(70)), uint8(r.IntN(70)), uint8(r.IntN(70))}
					v[2-c] += 170
					img.Set(x, y, color.RGBA{v[0], v[1], v[2], 255})
				}
			}
			ext := ".png"
			if i%2 == 1 {
				ext = ".jpg"
			}
			p := filepath.Join(dir, name, fmt.Sprintf("%03d%s", i, ext))
			f, err := os.Create(p)
			require.NoError(t, err)
			if ext == ".png" {
				require.NoError(t, png.Encode(f, img))
			} else {
				require.NoError(t, jpeg.Encode(f, img, &jpeg.Options{Quality: 85}))
			}
			require.NoError(t, f.Close())
			paths = append(paths, p)
		}
	}
	return paths
}

const size = 48

func options(t *testing.T, input, output string) Options {
	return Options{Model: "mobilenet", Alpha: 0.25, InputSize: size, Batch: 16,
		Weights: testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5"), Input: input, Output: output}
}

func run(t *testing.T, o Options) {
	p, s := beam.NewPipelineWithRoot()
	require.NoError(t, Build(s, o))
	_, err := ptest.RunWithMetrics(p)
	require.NoError(t, err)
}

// reference computes the features of paths as keel train's feature cache
// does: the Loader (decode, resize, preprocess_input) and transfer.Features.
func reference(t *testing.T, o Options, paths []string) (base *nn.Model, shape []int, x []float32) {
	base, err := zoo.New(o.Model, zoo.Options{Weights: o.Weights, InputShape: []int{o.InputSize, o.InputSize, 3}, Alpha: o.Alpha})
	require.NoError(t, err)
	mode, err := zoo.PreprocessMode(o.Model)
	require.NoError(t, err)
	list := &imagedata.Listing{Paths: paths, Labels: make([]int, len(paths)), ClassNames: []string{"x"}}
	ld, err := imagedata.NewLoader(list, imagedata.Options{Height: o.InputSize, Width: o.InputSize, BatchSize: 32, Labels: imagedata.NoLabels,
		Augment: &imagedata.Augment{Preprocess: func(x []float32, h, w int) { zoo.Preprocess(mode, x) }}})
	require.NoError(t, err)
	fx, _, err := transfer.Features(context.Background(), base, ld)
	require.NoError(t, err)
	return base, fx.Shape[1:], fx.Data
}

// predictLayer computes the features of paths as keel predict --input X.npy
// --layer LAST does: the raw pixels (load_img at the input size), the
// model's preprocess_input, RunLayers, a batch at a time.
func predictLayer(t *testing.T, base *nn.Model, o Options, paths []string) []float32 {
	last := base.Layers()[len(base.Layers())-1].Name()
	per := 3 * o.InputSize * o.InputSize
	var out []float32
	for lo := 0; lo < len(paths); lo += 8 {
		batch := paths[lo:min(len(paths), lo+8)]
		x := make([]float32, len(batch)*per)
		for i, p := range batch {
			img, err := imagedata.Load(p)
			require.NoError(t, err)
			imagedata.ResizePIL(img, o.InputSize, o.InputSize, imagedata.Nearest).ToFloat32(x[i*per : (i+1)*per])
		}
		require.NoError(t, zoo.PreprocessInput(o.Model, x))
		xt, err := nn.TensorOf(x, len(batch), o.InputSize, o.InputSize, 3)
		require.NoError(t, err)
		ys, err := base.RunLayers([]string{last}, xt)
		require.NoError(t, err)
		out = append(out, ys[0].Data...)
	}
	return out
}

// pngHeader is a PNG signature and an IHDR chunk declaring w x h RGB
// pixels, and nothing else.
func pngHeader(w, h uint32) []byte {
	ihdr := append([]byte("IHDR"), binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h)...)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	b := append([]byte("\x89PNG\r\n\x1a\n"), binary.BigEndian.AppendUint32(nil, 13)...)
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}

func readDead(t *testing.T, dir string) map[string]string {
	f, err := os.Open(filepath.Join(dir, DeadLetterName))
	require.NoError(t, err)
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d DeadLetter
		require.NoError(t, json.Unmarshal(sc.Bytes(), &d), sc.Text())
		_, twice := out[d.Path]
		require.False(t, twice, "%s listed twice", d.Path)
		out[d.Path] = d.Reason
	}
	return out
}

// The pipeline on Prism over a few hundred images, some corrupt: every
// good image exactly once with the features keel train computes for it,
// every corrupt one in the dead-letter file with its reason.
func TestFeaturizeGlob(t *testing.T) {
	data := t.TempDir()
	good := writeImages(t, data, 70)
	broken := map[string]string{
		filepath.Join(data, "red", "truncated.jpg"): "",
		filepath.Join(data, "blue", "empty.png"):    "",
		filepath.Join(data, "green", "notes.png"):   "",
	}
	jpg, err := os.ReadFile(good[1])
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(data, "red", "truncated.jpg"), jpg[:len(jpg)/3], 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(data, "blue", "empty.png"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(data, "green", "notes.png"), []byte("not an image"), 0o644))
	bomb := filepath.Join(data, "green", "bomb.png") // declares 10^10 pixels in 33 bytes
	require.NoError(t, os.WriteFile(bomb, pngHeader(100000, 100000), 0o644))
	broken[bomb] = ""

	out := filepath.Join(t.TempDir(), "features")
	o := options(t, filepath.Join(data, "*", "*"), out)
	run(t, o)

	dead := readDead(t, out)
	require.Len(t, dead, len(broken))
	for p := range broken {
		require.NotEmpty(t, dead[p], "%s is a dead letter with a reason", p)
	}
	require.Contains(t, dead[bomb], "image too large: 100000x100000 pixels")
	set, err := featureset.Load(out)
	require.NoError(t, err)
	require.Equal(t, "mobilenet", set.Model)
	require.Equal(t, classes, set.Classes)
	require.Equal(t, good, set.Paths(), "every good image exactly once, in flow_from_directory's order")
	for i, p := range good {
		require.Equal(t, filepath.Base(filepath.Dir(p)), set.Rows[i].Class)
		require.Equal(t, i/70, set.Labels[i])
	}
	require.GreaterOrEqual(t, len(set.Shards), len(good)/o.Batch)

	base, shape, train := reference(t, o, good)
	require.Equal(t, shape, set.FeatureShape)
	for _, ref := range []struct {
		name string
		x    []float32
	}{{"keel train's", train}, {"keel predict --layer's", predictLayer(t, base, o, good)}} {
		scale := 0.0
		for _, v := range ref.x {
			scale = max(scale, math.Abs(float64(v)))
		}
		require.Greater(t, scale, 0.0)
		per := len(ref.x) / len(good)
		for i, p := range good {
			for j := range per {
				a, b := set.X[i*per+j], ref.x[i*per+j]
				if math.Abs(float64(a-b)) > 1e-6*scale {
					t.Fatalf("%s: feature %d is %g, %s %g (scale %g)", p, j, a, ref.name, b, scale)
				}
			}
		}
	}
}

// @LIST: a list of paths, with a duplicate, a blank line and a missing file.
func TestFeaturizeList(t *testing.T) {
	data := t.TempDir()
	good := writeImages(t, data, 6)
	missing := filepath.Join(data, "red", "gone.png")
	list := filepath.Join(t.TempDir(), "list.txt")
	// A path in no folder has no class: a dead letter too.
	lines := append(slices.Clone(good), good[3], "", missing, "loose.png")
	require.NoError(t, os.WriteFile(list, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	out := filepath.Join(t.TempDir(), "features")
	o := options(t, "@"+list, out)
	o.Pooling = "avg"
	run(t, o)

	dead := readDead(t, out)
	require.Len(t, dead, 2)
	require.Contains(t, dead[missing], "no such file")
	require.Contains(t, dead["loose.png"], "in no folder")
	set, err := featureset.Load(out)
	require.NoError(t, err)
	require.Equal(t, good, set.Paths())
	require.Equal(t, []int{256}, set.FeatureShape, "avg pooling")
}

// Options the pipeline cannot run with are refused before it starts.
func TestOptions(t *testing.T) {
	for _, c := range []struct {
		edit func(*Options)
		want string
	}{
		{func(o *Options) { o.Model = "" }, "--model is required"},
		{func(o *Options) { o.Weights = "" }, "--weights FILE|imagenet is required"},
		{func(o *Options) { o.Input = "@" }, "--input GLOB|@LIST is required"},
		{func(o *Options) { o.Output = "" }, "--output DIR is required"},
		{func(o *Options) { o.Batch = -1 }, "--batch must be at least 1"},
		{func(o *Options) { o.Model = "mobilenet_v9" }, "mobilenet_v9"},
		{func(o *Options) { o.Pooling = "mean" }, `--pooling "mean": want avg or max`},
		{func(o *Options) { o.InputSize = -3 }, "must not be negative"},
	} {
		o := Options{Model: "mobilenet", Weights: "w.h5", Input: "x/*", Output: "out"}
		c.edit(&o)
		_, s := beam.NewPipelineWithRoot()
		require.ErrorContains(t, Build(s, o), c.want)
	}
}
