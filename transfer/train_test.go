package transfer

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// colourFolder writes a small image folder whose classes differ by colour:
// noisy images, mostly red, green or blue.
func colourFolder(t testing.TB, perClass int) string {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(7, 7))
	for c, name := range []string{"blue", "green", "red"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
		for i := 0; i < perClass; i++ {
			img := image.NewRGBA(image.Rect(0, 0, 40, 36))
			for y := 0; y < 36; y++ {
				for x := 0; x < 40; x++ {
					v := [3]uint8{uint8(r.IntN(60)), uint8(r.IntN(60)), uint8(r.IntN(60))}
					v[2-c] += 180 // blue=2, green=1, red=0 in RGB
					img.Set(x, y, color.RGBA{v[0], v[1], v[2], 255})
				}
			}
			f, err := os.Create(filepath.Join(dir, name, fmt.Sprintf("%03d.png", i)))
			require.NoError(t, err)
			require.NoError(t, png.Encode(f, img))
			f.Close()
		}
	}
	return dir
}

// smallConfig trains on the real ImageNet MobileNet 0.25 backbone (a random
// one passes almost nothing through its 27 layers).
func smallConfig(t testing.TB, data string) Config {
	return Config{Model: "mobilenet", Alpha: 0.25, InputSize: 32, Data: data, ValidationSplit: 0.25,
		Weights: testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5"),
		Head:    "gap,dense:16:relu,dense:softmax", Epochs: 30, BatchSize: 8, LR: 1e-2, Seed: 1,
		Output: &bytes.Buffer{}, Verbose: nn.VerboseLines}
}

func TestTrainCachedLearns(t *testing.T) {
	res, err := Train(context.Background(), smallConfig(t, colourFolder(t, 24)))
	require.NoError(t, err)
	require.True(t, res.Cached, "a frozen backbone without augmentation is cached")
	require.Equal(t, 54, res.TrainImages)
	require.Equal(t, 18, res.ValImages)
	acc := res.History.History["val_accuracy"]
	require.Len(t, acc, 30)
	require.Greater(t, acc[len(acc)-1], 0.7, "well above chance (1/3)")
	require.Equal(t, []string{"blue", "green", "red"}, res.Meta.ClassNames)

	// The saved model is the whole backbone + head and predicts as trained.
	path := filepath.Join(t.TempDir(), "model.h5")
	require.NoError(t, res.Save(path))
	back, meta, err := modelfile.Load(path)
	require.NoError(t, err)
	require.Equal(t, res.Meta, meta)
	x := nn.NewTensor(2, 32, 32, 3)
	for i := range x.Data {
		x.Data[i] = float32(i%7) / 7
	}
	want, err := res.Model.Run(x)
	require.NoError(t, err)
	got, err := back.Run(x)
	require.NoError(t, err)
	require.Equal(t, want[0].Data, got[0].Data)
}

// Caching changes the work, not the result: the same head weights as
// recomputing the frozen backbone every step.
func TestCachingGivesTheSameHead(t *testing.T) {
	data := colourFolder(t, 8)
	run := func(noCache bool) *Result {
		c := smallConfig(t, data)
		c.Epochs, c.NoShuffle, c.NoCache = 3, true, noCache
		res, err := Train(context.Background(), c)
		require.NoError(t, err)
		require.Equal(t, !noCache, res.Cached)
		return res
	}
	cached, recomputed := run(false), run(true)
	for _, name := range []string{"head_2_dense", "head_3_dense"} {
		a, b := cached.Model.Layer(name).Weights(), recomputed.Model.Layer(name).Weights()
		for i := range a {
			require.InDeltaSlice(t, toF64(a[i].Value()), toF64(b[i].Value()), 1e-6, "%s/%s", name, a[i].Name())
		}
	}
	t.Logf("cached: features %.2fs + fit %.2fs; recomputed: fit %.2fs", cached.FeatureSeconds, cached.FitSeconds, recomputed.FitSeconds)
}

func toF64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestParseHeadAndFreeze(t *testing.T) {
	h, err := ParseHead("gap,dense:100:relu,dropout:0.5,dense:softmax")
	require.NoError(t, err)
	require.Equal(t, []HeadLayer{{Kind: "gap"}, {Kind: "dense", Units: 100, Activation: "relu"}, {Kind: "dropout", Rate: 0.5}, {Kind: "dense", Activation: "softmax"}}, h)
	for _, bad := range []string{"", "gap", "dense:0", "dropout:1.5,dense", "conv:3,dense", "gap:1,dense"} {
		_, err := ParseHead(bad)
		require.Error(t, err, bad)
	}
	for s, want := range map[string]Freeze{"all": {}, "none": {None: true}, "until=conv_pw_11_relu": {Until: "conv_pw_11_relu"}} {
		f, err := ParseFreeze(s)
		require.NoError(t, err)
		require.Equal(t, want, f)
		require.Equal(t, s, f.String())
	}
	_, err = ParseFreeze("until=")
	require.Error(t, err)
}
