package transfer

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/internal/testimages"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// smallConfig trains on the real ImageNet MobileNet 0.25 backbone (a random
// one passes almost nothing through its 27 layers).
func smallConfig(t testing.TB, data string) Config {
	return Config{Model: "mobilenet", Alpha: 0.25, InputSize: 32, Data: data, ValidationSplit: 0.25,
		Weights: testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5"),
		Head:    "gap,dense:16:relu,dense:softmax", Epochs: 30, BatchSize: 8, LR: 1e-2, Seed: 1,
		Output: &bytes.Buffer{}, Verbose: nn.VerboseLines}
}

func TestTrainCachedLearns(t *testing.T) {
	res, err := Train(context.Background(), smallConfig(t, testimages.ColourFolder(t, 24, 40, 36, 7)))
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
	data := testimages.ColourFolder(t, 8, 40, 36, 7)
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
