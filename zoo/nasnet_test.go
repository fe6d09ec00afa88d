package zoo

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// NASNetLarge (and NASNetMobile) are the graphs nasnet.py itself builds:
// testdata/keras_record.py runs the installed source on a stand-in for Keras
// that records every layer (the NASNetMobile goldens check the recorder).
func TestNASNetMatchesNasnetPy(t *testing.T) {
	src := "/usr/lib/python3/dist-packages/keras_applications"
	if _, err := os.Stat(filepath.Join(src, "nasnet.py")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("keras_applications sources missing in CI: %v", err)
		}
		t.Skip("python3-keras-applications not installed")
	}
	type recorded struct {
		ClassName   string   `json:"class_name"`
		Inbound     []string `json:"inbound"`
		OutputShape []int    `json:"output_shape"`
		Weights     [][]int  `json:"weights"`
	}
	for _, c := range []struct {
		model, function string
		size            int
		top             bool
	}{
		{"nasnet_large", "NASNetLarge", 331, true},
		{"nasnet_large", "NASNetLarge", 96, false},
		{"nasnet_mobile", "NASNetMobile", 224, true},
	} {
		top := map[bool]string{false: "notop", true: "top"}[c.top]
		t.Run(fmt.Sprintf("%s_%s_%d", c.model, top, c.size), func(t *testing.T) {
			if testing.Short() && c.size == 331 {
				t.Skip("builds 89M parameters")
			}
			out, err := exec.Command(python3(), "testdata/keras_record.py", src, "nasnet", c.function, strconv.Itoa(c.size), top).Output()
			require.NoError(t, err)
			var want struct {
				ModelName string              `json:"model_name"`
				Layers    map[string]recorded `json:"layers"`
			}
			require.NoError(t, json.Unmarshal(out, &want))
			m, err := New(c.model, Options{IncludeTop: c.top, InputShape: []int{c.size, c.size, 3}, Notices: testWriter{t}})
			require.NoError(t, err)
			require.Equal(t, want.ModelName, m.Name())
			require.Len(t, m.Layers(), len(want.Layers))
			for _, l := range m.Layers() {
				w, ok := want.Layers[l.Name()]
				require.True(t, ok, "nasnet.py has no layer %s", l.Name())
				require.Equal(t, w.ClassName, l.ClassName(), l.Name())
				node := l.InboundNodes()[0]
				var inbound []string
				for _, in := range node.Inputs() {
					inbound = append(inbound, in.Layer().Name())
				}
				require.ElementsMatch(t, w.Inbound, inbound, "%s inbound", l.Name())
				require.Equal(t, w.OutputShape, node.Shape(), "%s output shape", l.Name())
				var shapes [][]int
				for _, v := range l.Weights() {
					shapes = append(shapes, v.Shape())
				}
				require.Equal(t, len(w.Weights), len(shapes), "%s weights", l.Name())
				for i := range shapes {
					require.Equal(t, w.Weights[i], shapes[i], "%s weight %d", l.Name(), i)
				}
			}
		})
	}
}

// python3 is Debian's interpreter, beside which python3-keras-applications
// installs, where there is one; else the first on PATH.
func python3() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}
