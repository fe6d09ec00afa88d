package zoo

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"

	"github.com/keelml/keel/modelfile"
	"github.com/stretchr/testify/require"
)

// DenseNet's layer names contain "/" ("conv1/conv"), which in Keras' .h5
// layout make nested groups: Keel's files round-trip them.
func TestDenseNetWeightsRoundTrip(t *testing.T) {
	o := Options{InputShape: []int{32, 32, 3}, Notices: testWriter{t}}
	m, err := New("densenet121", o)
	require.NoError(t, err)
	setSpecWeights(t, m)
	path := filepath.Join(t.TempDir(), "densenet121.h5")
	require.NoError(t, modelfile.SaveWeights(path, m))
	var notices bytes.Buffer
	o.Weights, o.Notices = path, &notices
	back, err := New("densenet121", o)
	require.NoError(t, err)
	require.Empty(t, notices.String())
	want := m.Weights()
	got := back.Weights()
	require.Len(t, got, len(want))
	for i, v := range want {
		require.Equal(t, v.Path(), got[i].Path())
		require.True(t, slices.Equal(v.Value(), got[i].Value()), v.Path())
	}
}
