package zoo

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// goldenArch is one entry of ../shared/golden/archs/index.json.
type goldenArch struct {
	Arch       string         `json:"arch"`
	IncludeTop bool           `json:"include_top"`
	Size       int            `json:"size"`
	Extra      map[string]any `json:"extra"`
	ModelName  string         `json:"model_name"`
	NLayers    int            `json:"n_layers"`
	NParams    int            `json:"n_params"`
}

// zooName maps the golden arch ids to New's names.
var zooName = map[string]string{
	"vgg16": "vgg16", "vgg19": "vgg19", "resnet50": "resnet50", "resnet50legacy": "resnet50_legacy",
	"mobilenet": "mobilenet", "mobilenetv2": "mobilenet_v2", "xception": "xception",
	"resnet101": "resnet101", "resnet152": "resnet152",
	"resnet50v2": "resnet50_v2", "resnet101v2": "resnet101_v2", "resnet152v2": "resnet152_v2",
	"nasnetmobile": "nasnet_mobile",
	"inceptionv3":  "inception_v3", "inceptionresnetv2": "inception_resnet_v2",
	"densenet121": "densenet121", "convnexttiny": "convnext_tiny",
	"mobilenetv3small": "mobilenet_v3_small", "mobilenetv3large": "mobilenet_v3_large",
	"efficientnetb0": "efficientnet_b0", "efficientnetv2b0": "efficientnet_v2_b0",
}

// notBuilt names the golden architectures zoo does not build yet, with the
// issue that builds them. The golden tests skip exactly these; an arch that
// is neither in zooName nor here fails, and so does one listed here that
// zooName has, so the list only shrinks.
var notBuilt = map[string]string{}

// skipUnbuilt skips the test of a golden arch that notBuilt lists, and fails
// one that zoo neither builds nor lists.
func skipUnbuilt(t *testing.T, arch string) {
	t.Helper()
	_, built := zooName[arch]
	reason, pending := notBuilt[arch]
	switch {
	case built && pending:
		t.Fatalf("golden arch %q is built now: take it out of notBuilt", arch)
	case pending:
		t.Skipf("not built yet: %s", reason)
	case !built:
		t.Fatalf("golden arch %q is neither built (zooName) nor listed in notBuilt", arch)
	}
}

func goldenArchs(t *testing.T) map[string]goldenArch {
	raw, err := os.ReadFile(testenv.Shared(t, "golden", "archs", "index.json"))
	require.NoError(t, err)
	var idx map[string]goldenArch
	require.NoError(t, json.Unmarshal(raw, &idx))
	return idx
}

// buildGolden builds the zoo model of a golden arch with random weights.
func buildGolden(t *testing.T, a goldenArch) *nn.Model {
	t.Helper()
	o := Options{IncludeTop: a.IncludeTop, InputShape: []int{a.Size, a.Size, 3}, Notices: testWriter{t}}
	if alpha, ok := a.Extra["alpha"].(float64); ok {
		o.Alpha = alpha
	}
	m, err := New(zooName[a.Arch], o)
	require.NoError(t, err)
	return m
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

// The graphs are keras_applications' own: the same layers in the same order,
// classes, connections, output shapes, weights and parameter totals.
func TestArchitecturesMatchKeras(t *testing.T) {
	for id, a := range goldenArchs(t) {
		t.Run(id, func(t *testing.T) {
			skipUnbuilt(t, a.Arch)
			m := buildGolden(t, a)
			raw, err := os.ReadFile(testenv.Shared(t, "golden", "archs", id+".layers.json"))
			require.NoError(t, err)
			var want struct {
				ModelName string `json:"model_name"`
				Layers    []struct {
					Name        string   `json:"name"`
					ClassName   string   `json:"class_name"`
					Inbound     []string `json:"inbound"`
					OutputShape []any    `json:"output_shape"`
					Weights     []struct {
						Name  string `json:"name"`
						Shape []int  `json:"shape"`
					} `json:"weights"`
				} `json:"layers"`
			}
			require.NoError(t, json.Unmarshal(raw, &want))
			require.Equal(t, want.ModelName, m.Name())
			layers := m.Layers()
			var gotNames, wantNames []string
			for _, l := range layers {
				gotNames = append(gotNames, l.Name())
			}
			for _, l := range want.Layers {
				wantNames = append(wantNames, l.Name)
			}
			require.ElementsMatch(t, wantNames, gotNames, "layer names")
			require.Equal(t, wantNames, gotNames, "layer order (model.layers)")
			params := 0
			for i, wl := range want.Layers {
				l := layers[i]
				require.Equal(t, wl.ClassName, l.ClassName(), wl.Name)
				node := l.InboundNodes()[0]
				var inbound []string
				for _, in := range node.Inputs() {
					inbound = append(inbound, in.Layer().Name())
				}
				require.ElementsMatch(t, wl.Inbound, inbound, "%s inbound", wl.Name)
				var shape []int
				for _, d := range wl.OutputShape[1:] {
					shape = append(shape, int(d.(float64)))
				}
				require.Equal(t, shape, node.Shape(), "%s output shape", wl.Name)
				vars := l.Weights()
				require.Len(t, vars, len(wl.Weights), "%s weights", wl.Name)
				for j, w := range wl.Weights {
					require.Equal(t, w.Name, vars[j].Path()+":0", "%s weight %d", wl.Name, j)
					require.Equal(t, w.Shape, vars[j].Shape(), w.Name)
					params += elements(w.Shape)
				}
			}
			require.Equal(t, a.NParams, params)
			require.Equal(t, a.NLayers, len(layers))
		})
	}
}

func elements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
