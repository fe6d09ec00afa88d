package zoo

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The multiply-accumulates of the full classifiers at their default size
// (224x224; 299x299 for the Inceptions), as the reference figures count
// them. ResNet50 differs from the anchors' 4.09 G on purpose: Keras'
// ResNet50 strides its blocks' first 1x1 convolution (v1), torchvision's the
// 3x3 one (v1.5), which costs 4.09 G. The Inceptions agree with the figures
// torchvision (InceptionV3, 5.71 G) and timm (InceptionResNetV2, 13.2 G)
// publish for the same graphs.
func TestMACs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the full classifiers")
	}
	for _, c := range []struct {
		model string
		gmacs float64
	}{{"vgg16", 15.47}, {"vgg19", 19.63}, {"resnet50", 3.858}, {"mobilenet", 0.569}, {"mobilenet_v2", 0.301},
		{"nasnet_mobile", 0.564}, // nasnet.py's table: 564 M
		{"inception_v3", 5.713}, {"inception_resnet_v2", 13.156},
		{"densenet121", 2.834}, {"densenet169", 3.360}, {"densenet201", 4.291},
	} {
		m, err := New(c.model, Options{IncludeTop: true, Notices: testWriter{t}})
		require.NoError(t, err)
		require.InDelta(t, c.gmacs, float64(MACs(m))/1e9, 0.006, c.model)
	}
}
