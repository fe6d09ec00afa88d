package modelfile_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/hostile"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/weightsio"
	"github.com/stretchr/testify/require"
)

// TestLoadHostileConfig loads full-model files whose config declares far
// more than the file holds: each must be an error naming the file and the
// place, found before anything large is allocated.
func TestLoadHostileConfig(t *testing.T) {
	conv := hostile.ConvWeights("conv", 3, 4)
	nested := `{"class_name": "Dropout", "config": {"rate": 0}}`
	for i := range 40 {
		nested = fmt.Sprintf(`{"class_name": "Sequential", "config": {"name": "s%d", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3]}}, %s]}}`, i, nested)
	}
	for _, c := range []struct {
		name, config string
		weights      []weightsio.SavedLayer
		want         []string
	}{
		{"conv", hostile.SequentialConfig(8, 8, 3, hostile.Conv2D("conv", 100_000_000)), conv,
			[]string{`layer "conv" (Conv2D) declares weight kernel of shape (3, 3, 3, 100000000) = 10.8 GB of float32, more than the 112 weight values the file holds`}},
		{"overflow", hostile.SequentialConfig(8, 8, 3, hostile.Conv2D("conv", 1<<62)), conv,
			[]string{`layer "conv" (Conv2D) declares weight kernel of shape (3, 3, 3, 4611686018427387904)`, "the file holds"}},
		{"dense", hostile.SequentialConfig(8, 8, 3, hostile.Conv2D("conv", 4),
			`{"class_name": "Dense", "config": {"name": "d", "units": 1000000000}}`), conv,
			[]string{`layer "d" (Dense) declares weight kernel of shape (4, 1000000000)`, "(112 declared before it)"}},
		{"input", hostile.SequentialConfig(100000, 100000, 3, `{"class_name": "GlobalAveragePooling2D", "config": {"name": "gap"}}`), nil,
			[]string{`input "input_1" declares shape (100000, 100000, 3) per sample = 120 GB of float32`}},
		{"padding", hostile.SequentialConfig(8, 8, 3, `{"class_name": "ZeroPadding2D", "config": {"name": "pad", "padding": 1000000000}}`), nil,
			[]string{`layer "pad" (ZeroPadding2D) outputs shape (2000000008, 2000000008, 3) per sample`}},
		{"activations", hostile.SequentialConfig(8, 8, 3, `{"class_name": "ZeroPadding2D", "config": {"padding": 500}}`+
			strings.Repeat(`, {"class_name": "Dropout", "config": {"rate": 0}}`, 30)), nil,
			[]string{`at layer "dropout_22" the activations total more than the 67108864 values per sample allowed for 192 input values`}},
		{"nesting", hostile.SequentialConfig(8, 8, 3, nested), nil, []string{"models nest more than 32 deep"}},
		{"brackets", strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000), nil, []string{"model_config"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, err := hostile.ModelH5(t.TempDir(), "hostile.h5", c.config, c.weights)
			require.NoError(t, err)
			_, _, err = modelfile.Load(path)
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), path+": "), "error %q does not start with the file", err)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			_, _, err = modelfile.LoadBytes(b, "hostile.h5")
			require.ErrorContains(t, err, "hostile.h5: ")
		})
	}
}

// A file whose config matches its weights still loads within the bound.
func TestLoadBytesWithinFile(t *testing.T) {
	path, err := hostile.ConvModelH5(t.TempDir(), "ok.h5", 4)
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	m, _, err := modelfile.LoadBytes(b, "ok.h5")
	require.NoError(t, err)
	require.Equal(t, []int{8, 8, 4}, m.Output().Shape())
}
