package zoo

import (
	"slices"
	"testing"

	"github.com/keelml/keel/internal/npy"
	"github.com/keelml/keel/internal/testenv"
	"github.com/stretchr/testify/require"
)

// Bit for bit what keras_applications' preprocess_input gives.
func TestPreprocessInputMatchesKeras(t *testing.T) {
	for _, c := range []struct{ model, raw, want string }{
		{"vgg16", "raw_2x64x64x3.npy", "caffe_2x64x64x3.npy"},
		{"resnet50", "raw_1x224x224x3.npy", "caffe_1x224x224x3.npy"},
		{"mobilenet", "raw_2x128x128x3.npy", "tf_2x128x128x3.npy"},
		{"mobilenet_v2", "raw_4x64x64x3.npy", "tf_4x64x64x3.npy"},
		{"resnet50_v2", "raw_2x64x64x3.npy", "tf_2x64x64x3.npy"},
		{"resnet152", "raw_2x64x64x3.npy", "caffe_2x64x64x3.npy"},
		{"xception", "raw_1x299x299x3.npy", "tf_1x299x299x3.npy"},
		{"nasnet_mobile", "raw_2x64x64x3.npy", "tf_2x64x64x3.npy"},
		{"inception_v3", "raw_2x80x80x3.npy", "tf_2x80x80x3.npy"},
		{"inception_resnet_v2", "raw_1x299x299x3.npy", "tf_1x299x299x3.npy"},
		{"densenet121", "raw_2x64x64x3.npy", "torch_2x64x64x3.npy"},
		{"densenet201", "raw_1x224x224x3.npy", "torch_1x224x224x3.npy"},
	} {
		_, x, err := npy.Read(testenv.Shared(t, "golden", "inputs", c.raw))
		require.NoError(t, err)
		_, want, err := npy.Read(testenv.Shared(t, "golden", "inputs", c.want))
		require.NoError(t, err)
		require.NoError(t, PreprocessInput(c.model, x))
		require.True(t, slices.Equal(want, x), "%s: %s", c.model, c.want)
	}
}

func TestPreprocessModes(t *testing.T) {
	x := []float32{255, 0, 127.5}
	require.NoError(t, Preprocess("tf", x))
	require.Equal(t, []float32{1, -1, 0}, x)
	x = []float32{10, 20, 30}
	require.NoError(t, Preprocess("caffe", x))
	require.Equal(t, []float32{30 - 103.939, 20 - 116.779, 10 - 123.68}, x)
	require.Error(t, Preprocess("bgr", x))
	require.Error(t, Preprocess("tf", []float32{1, 2}))
	_, err := PreprocessMode("alexnet")
	require.Error(t, err)
}
