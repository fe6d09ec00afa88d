package zoo

import (
	"bytes"
	"slices"
	"testing"

	"github.com/keelml/keel/internal/specweights"
	"github.com/keelml/keel/internal/testenv"
	"github.com/stretchr/testify/require"
)

// The golden .h5 files hold the spec weights in Keras 2.3.1's layout: loaded
// by name, every variable equals the spec bit for bit.
func TestGoldenH5FilesLoad(t *testing.T) {
	for _, c := range []struct{ file, model string }{
		{"mobilenet_1.00_224.spec_weights.h5", "mobilenet"},
		{"mobilenetv2_1.00_224.spec_weights.h5", "mobilenet_v2"},
	} {
		t.Run(c.model, func(t *testing.T) {
			var notices bytes.Buffer
			m, err := New(c.model, Options{IncludeTop: true, Weights: testenv.Shared(t, "golden", "h5", c.file), Notices: &notices})
			require.NoError(t, err)
			require.Empty(t, notices.String())
			for _, l := range flatLayers(m) {
				for _, v := range l.Weights() {
					want, ok := specweights.Variable(l.Name(), v.Name(), v.Shape(), specweights.FanIn(v.Name(), v.Shape()))
					require.True(t, ok)
					require.True(t, slices.Equal(want, v.Value()), v.Path())
				}
			}
		})
	}
}

// The official Keras ImageNet file (saved by Keras 2.0.4, without the
// ZeroPadding2D layers keras_applications 1.0.8 adds) loads with no notice.
func TestOfficialMobileNetFileLoads(t *testing.T) {
	path := testenv.Shared(t, "realh5", "MicroExpressionRecognition", "mobilenet_2_5_224_tf_no_top.h5")
	var notices bytes.Buffer
	m, err := New("mobilenet", Options{Alpha: 0.25, InputShape: []int{224, 224, 3}, Weights: path, Notices: &notices})
	require.NoError(t, err)
	require.Empty(t, notices.String())
	require.Equal(t, "mobilenet_0.25_224", m.Name())
}

func TestLoadMismatchListsEveryLayer(t *testing.T) {
	path := testenv.Shared(t, "realh5", "MicroExpressionRecognition", "mobilenet_2_5_224_tf_no_top.h5")
	// alpha 0.5 has twice the channels: every weighted layer mismatches.
	_, err := New("mobilenet", Options{Alpha: 0.5, InputShape: []int{224, 224, 3}, Weights: path, Notices: &bytes.Buffer{}})
	require.Error(t, err)
	require.Contains(t, err.Error(), "conv1: kernel has shape [3 3 3 16] in the model, [3 3 3 8] in the file")
	require.Contains(t, err.Error(), "conv_pw_13_bn")

	// With SkipMismatch the model builds and says what it skipped.
	var notices bytes.Buffer
	_, err = New("mobilenet", Options{Alpha: 0.5, InputShape: []int{224, 224, 3}, Weights: path, SkipMismatch: true, Notices: &notices})
	require.NoError(t, err)
	require.Contains(t, notices.String(), "not loaded")

	// A top model against a no-top file: the top layer is missing.
	_, err = New("mobilenet", Options{Alpha: 0.25, IncludeTop: true, Weights: path, Notices: &bytes.Buffer{}})
	require.ErrorContains(t, err, "conv_preds: not in the file")
}

// A file with a top loads into a model without one, with a notice naming the
// unused top layers.
func TestTopFileIntoNoTopModel(t *testing.T) {
	path := testenv.Shared(t, "golden", "h5", "mobilenet_1.00_224.spec_weights.h5")
	var notices bytes.Buffer
	_, err := New("mobilenet", Options{Weights: path, Notices: &notices})
	require.NoError(t, err)
	require.Contains(t, notices.String(), "conv_preds")
}

// "resnet50" builds the graph whose names the weight file uses.
func TestResNet50PicksGraphFromFile(t *testing.T) {
	for _, c := range []struct {
		file   string
		legacy bool
	}{{"resnet50_legacy_names.h5", true}, {"resnet50_current_names.h5", false}} {
		legacy, err := usesLegacyResNetNames(testenv.Testdata(t, "zoo", c.file))
		require.NoError(t, err)
		require.Equal(t, c.legacy, legacy, c.file)
	}
	_, err := usesLegacyResNetNames(testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5"))
	require.ErrorContains(t, err, "no ResNet50 layers")

	// The picked graph is really the one built (its weights then do not fit
	// these toy files, which is the error reported).
	_, err = New("resnet50", Options{InputShape: []int{32, 32, 3}, Weights: testenv.Testdata(t, "zoo", "resnet50_legacy_names.h5"), Notices: &bytes.Buffer{}})
	require.ErrorContains(t, err, "res2a_branch2a")
	_, err = New("resnet50", Options{InputShape: []int{32, 32, 3}, Weights: testenv.Testdata(t, "zoo", "resnet50_current_names.h5"), Notices: &bytes.Buffer{}})
	require.ErrorContains(t, err, "conv2_block1_1_conv")
}
