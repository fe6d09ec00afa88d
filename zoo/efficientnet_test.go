package zoo

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// params builds a model with its top at a small size (the count does not
// depend on it) and counts its weights.
func params(t *testing.T, name string, o Options) int {
	t.Helper()
	o.IncludeTop, o.Notices = true, testWriter{t}
	if o.InputShape == nil {
		o.InputShape = []int{64, 64, 3}
	}
	m, err := New(name, o)
	require.NoError(t, err)
	n := 0
	for _, l := range m.Layers() {
		for _, v := range l.Weights() {
			n += elements(v.Shape())
		}
	}
	return n
}

// The Keras 3 models without golden graphs have Keras' parameter totals:
// the applications table's figures (millions, rounded to 0.1M) and the
// exact totals of the golden builders where there is one.
func TestKeras3ParameterTotals(t *testing.T) {
	table := map[string]float64{
		"efficientnet_b0": 5.3, "efficientnet_b1": 7.9, "efficientnet_b2": 9.2, "efficientnet_b3": 12.3,
		"efficientnet_b4": 19.5, "efficientnet_b5": 30.6, "efficientnet_b6": 43.3, "efficientnet_b7": 66.7,
		"efficientnet_v2_b0": 7.2, "efficientnet_v2_b1": 8.2, "efficientnet_v2_b2": 10.2, "efficientnet_v2_b3": 14.5,
		"efficientnet_v2_s": 21.6, "efficientnet_v2_m": 54.4, "efficientnet_v2_l": 119.0,
	}
	exact := map[string]int{
		// golden/archs/index.json (Keras 3 builders).
		"efficientnet_b0": 5330571, "efficientnet_v2_b0": 7200312,
		"mobilenet_v3_small": 2554968, "mobilenet_v3_large": 5507432,
	}
	for name, millions := range table {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && millions > 30 {
				t.Skip("large model in -short mode")
			}
			n := params(t, name, Options{})
			require.Equal(t, fmt.Sprintf("%.1f", millions), fmt.Sprintf("%.1f", math.Round(float64(n)/1e5)/10), "%d parameters", n)
			if want, ok := exact[name]; ok {
				require.Equal(t, want, n)
			}
		})
	}
	for _, name := range []string{"mobilenet_v3_small", "mobilenet_v3_large"} {
		require.Equal(t, exact[name], params(t, name, Options{}), name)
	}
}

// MobileNetV3's options change the graph as Keras' arguments do.
func TestMobileNetV3Options(t *testing.T) {
	full := params(t, "mobilenet_v3_large", Options{})
	// minimalistic: no squeeze-and-excitation, 3x3 kernels, ReLU.
	mini, err := New("mobilenet_v3_large", Options{IncludeTop: true, Minimalistic: true, InputShape: []int{64, 64, 3}, Notices: testWriter{t}})
	require.NoError(t, err)
	for _, l := range mini.Layers() {
		require.NotContains(t, l.Name(), "squeeze_excite")
		require.NotEqual(t, "hard_silu", l.Config()["activation"], l.Name())
	}
	require.Less(t, params(t, "mobilenet_v3_large", Options{Minimalistic: true}), full)
	require.Less(t, params(t, "mobilenet_v3_large", Options{Alpha: 0.75}), full)

	// include_preprocessing=False drops the Rescaling.
	m, err := New("mobilenet_v3_small", Options{NoPreprocessing: true, InputShape: []int{64, 64, 3}, Notices: testWriter{t}})
	require.NoError(t, err)
	require.Equal(t, "conv", m.Layers()[1].Name())

	// ImageNet files: alpha 0.75 and minimalistic pick theirs; others have none.
	s, err := Lookup("mobilenet_v3_small")
	require.NoError(t, err)
	f, err := s.imagenetFile(Options{Alpha: 0.75, IncludeTop: true}, 224)
	require.NoError(t, err)
	require.Equal(t, "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/weights_mobilenet_v3_small_224_0.75_float.h5", f.URL)
	require.Equal(t, "cb65d4e5be93758266aa0a7f2c6708b7", f.MD5)
	f, err = s.imagenetFile(Options{Alpha: 1, Minimalistic: true}, 224)
	require.NoError(t, err)
	require.Equal(t, "weights_mobilenet_v3_small_minimalistic_224_1.0_float_no_top_v2.h5", f.Name)
	_, err = New("mobilenet_v3_small", Options{Weights: "imagenet", Alpha: 0.5, Notices: testWriter{t}})
	require.ErrorContains(t, err, "alpha can be one of `0.75`, `1.0` for non minimalistic")

	// The top works at any size, ImageNet weights too (Keras warns and
	// loads the 224 file): the input shape is not refused.
	in, rows, err := s.inputShape(Options{IncludeTop: true, Alpha: 1, InputShape: []int{96, 96, 3}, Notices: testWriter{t}}, true)
	require.NoError(t, err)
	require.Equal(t, Shape{96, 96, 3}, in)
	require.Equal(t, 224, rows)
}

// include_preprocessing=False: EfficientNetV2 starts at its stem; EfficientNet
// has no such argument.
func TestEfficientNetPreprocessing(t *testing.T) {
	m, err := New("efficientnet_v2_b0", Options{NoPreprocessing: true, InputShape: []int{64, 64, 3}, Notices: testWriter{t}})
	require.NoError(t, err)
	require.Equal(t, "stem_conv", m.Layers()[1].Name())
	m, err = New("efficientnet_v2_s", Options{InputShape: []int{64, 64, 3}, Notices: testWriter{t}})
	require.NoError(t, err)
	require.Equal(t, "Rescaling", m.Layers()[1].ClassName(), "S/M/L: x / 128 - 1")
	require.Equal(t, "stem_conv", m.Layers()[2].Name())
	_, err = New("efficientnet_b0", Options{NoPreprocessing: true, InputShape: []int{64, 64, 3}, Notices: testWriter{t}})
	require.ErrorContains(t, err, "include_preprocessing")
}
