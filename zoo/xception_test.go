package zoo

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// Xception's input rules are Keras' with default 299 and minimum 71; the
// failing cases stop before any download.
func TestXceptionInputShape(t *testing.T) {
	_, err := New("xception", Options{IncludeTop: true, Weights: "imagenet", InputShape: []int{224, 224, 3}, Notices: io.Discard})
	require.ErrorContains(t, err, "`input_shape` should be (299, 299, 3).")
	_, err = New("xception", Options{InputShape: []int{70, 71, 3}, Notices: io.Discard})
	require.ErrorContains(t, err, "Input size must be at least 71x71")
	m, err := New("xception", Options{InputShape: []int{71, 71, 3}, Pooling: "avg", Notices: io.Discard})
	require.NoError(t, err)
	require.Equal(t, []int{2048}, m.Output().Shape())
	require.Equal(t, "global_average_pooling2d_1", m.Output().Layer().Name())
}
