package zoo

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// NASNetLarge has no golden graph: its total with the top at 331 px is
// Keras' published figure.
func TestNASNetLargeParams(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 89M parameters")
	}
	m, err := New("nasnet_large", Options{IncludeTop: true, Notices: testWriter{t}})
	require.NoError(t, err)
	require.Equal(t, "NASNet", m.Name())
	require.Equal(t, []int{331, 331, 3}, m.Input().Shape())
	require.Equal(t, []int{1000}, m.Output().Shape())
	total, _, _ := m.ParamCounts()
	require.Equal(t, 88949818, total)
	spec, err := Lookup("nasnet_large")
	require.NoError(t, err)
	require.Equal(t, spec.Published.Params, total)
	// nasnet.py's table: 23.8 B multiply-adds.
	require.InDelta(t, 23.8, float64(MACs(m))/1e9, 0.05)
}

// nasnet.py's input rules: require_flatten whatever include_top, so
// ImageNet weights need the default size without the top too, and a static
// shape always.
func TestNASNetInputRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     Options
		error string
	}{
		{"nasnet_mobile", Options{Weights: "imagenet", InputShape: []int{0, 0, 3}},
			"When specifying the input shape of a NASNet and loading `ImageNet` weights, the input_shape argument must be static (no None entries). Got: `input_shape=(None, None, 3)`."},
		{"nasnet_mobile", Options{Weights: "imagenet", InputShape: []int{64, 64, 3}},
			"When setting `include_top=True` and loading `imagenet` weights, `input_shape` should be (224, 224, 3)."},
		{"nasnet_large", Options{Weights: "imagenet", IncludeTop: true, InputShape: []int{224, 224, 3}},
			"When setting `include_top=True` and loading `imagenet` weights, `input_shape` should be (331, 331, 3)."},
		{"nasnet_mobile", Options{InputShape: []int{0, 0, 3}},
			"If `include_top` is True, you should specify a static `input_shape`. Got `input_shape=(None, None, 3)`"},
		{"nasnet_mobile", Options{InputShape: []int{31, 64, 3}},
			"Input size must be at least 32x32; got `input_shape=(31, 64, 3)`"},
	} {
		tc.o.Notices = testWriter{t}
		_, err := New(tc.name, tc.o)
		require.EqualError(t, err, tc.name+": "+tc.error)
	}
	// Without weights any static size of at least 32 builds, top or not.
	m, err := New("nasnet_mobile", Options{Notices: testWriter{t}})
	require.NoError(t, err)
	require.Equal(t, []int{7, 7, 1056}, m.Output().Shape())
	m, err = New("nasnet_mobile", Options{IncludeTop: true, InputShape: []int{32, 48, 3}, Notices: testWriter{t}})
	require.NoError(t, err)
	require.Equal(t, []int{1000}, m.Output().Shape())
}
