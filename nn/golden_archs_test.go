package nn

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
)

// archIDs are the golden architectures small enough to build in a test
// (VGG's 224 tops hold 138M parameters).
var archIDs = []string{
	"vgg16_notop_64", "vgg19_notop_64", "resnet50_notop_64", "resnet50legacy_notop_64", "resnet50_top_224",
	"mobilenet025_notop_64", "mobilenet_top_128", "mobilenet_notop_224", "mobilenetv2_top_128", "mobilenetv2_notop_224",
	"xception_notop_80",
	"nasnetmobile_notop_64", "nasnetmobile_top_224",
	"inceptionv3_notop_80", "inceptionresnetv2_notop_80",
}

type archLayer struct {
	Name        string `json:"name"`
	ClassName   string `json:"class_name"`
	OutputShape []any  `json:"output_shape"`
	Weights     []struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
	} `json:"weights"`
}

func loadArch(t *testing.T, dir, id string) *Model {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ModelFromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGoldenArchitectures builds the keras_applications graphs from their
// Keras JSON and checks layer order, classes, output shapes, weight names
// and shapes, parameter counts, and that Config gives back Keras' values.
func TestGoldenArchitectures(t *testing.T) {
	dir := testenv.Shared(t, "golden", "archs")
	var index map[string]struct {
		Params int `json:"n_params"`
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatal(err)
	}
	for _, id := range archIDs {
		t.Run(id, func(t *testing.T) {
			m := loadArch(t, dir, id)
			var want struct {
				Layers []archLayer `json:"layers"`
			}
			raw, _ := os.ReadFile(filepath.Join(dir, id+".layers.json"))
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			layers := m.Layers()
			if len(layers) != len(want.Layers) {
				t.Fatalf("%d layers, want %d", len(layers), len(want.Layers))
			}
			params := 0
			for i, w := range want.Layers {
				l := layers[i]
				if l.Name() != w.Name || l.ClassName() != w.ClassName {
					t.Fatalf("layer %d: %s %s, want %s %s", i, l.ClassName(), l.Name(), w.ClassName, w.Name)
				}
				var shape []int
				for _, d := range w.OutputShape[1:] {
					shape = append(shape, int(d.(float64)))
				}
				if got := l.InboundNodes()[0].Shape(); !slices.Equal(got, shape) {
					t.Errorf("%s: output shape %v, want %v", w.Name, got, shape)
				}
				ws := l.Weights()
				if len(ws) != len(w.Weights) {
					t.Fatalf("%s: %d weights, want %d", w.Name, len(ws), len(w.Weights))
				}
				for j, v := range ws {
					if v.Path()+":0" != w.Weights[j].Name || !slices.Equal(v.Shape(), w.Weights[j].Shape) {
						t.Errorf("%s: weight %s %v, want %s %v", w.Name, v.Path(), v.Shape(), w.Weights[j].Name, w.Weights[j].Shape)
					}
					params += len(v.Value())
				}
			}
			if params != index[id].Params {
				t.Errorf("%d parameters, want %d", params, index[id].Params)
			}
			checkConfigs(t, m, filepath.Join(dir, id+".json"))
		})
	}
}

// checkConfigs compares every key a layer's Config returns with the Keras
// JSON's value.
func checkConfigs(t *testing.T, m *Model, path string) {
	t.Helper()
	raw, _ := os.ReadFile(path)
	var doc struct {
		Config struct {
			Layers []layerSpec `json:"layers"`
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, spec := range doc.Config.Layers {
		l := m.Layer(spec.Name)
		var got map[string]any
		enc, _ := json.Marshal(l.Config())
		json.Unmarshal(enc, &got)
		for k, v := range got {
			if !reflect.DeepEqual(v, spec.Config[k]) {
				t.Errorf("%s: config %s = %v, Keras has %v", spec.Name, k, v, spec.Config[k])
			}
		}
	}
}

// TestGoldenForward runs golden models with the spec weights and compares
// the final and requested intermediate outputs with the TensorFlow.js
// references, max|keel - ref| <= tol * max|ref| per tensor.
func TestGoldenForward(t *testing.T) {
	root := testenv.Shared(t, "golden")
	for _, tc := range []struct {
		id    string
		input string
		tol   float64
	}{
		{"mobilenet025_notop_64", "tf_4x64x64x3", 1e-4},
		{"mobilenetv2_top_128", "tf_2x128x128x3", 1e-3},
		{"resnet50_notop_64", "caffe_2x64x64x3", 1e-4},
		{"xception_notop_80", "tf_2x80x80x3", 1e-4},
		{"nasnetmobile_notop_64", "tf_2x64x64x3", 1e-4},
	} {
		t.Run(tc.id, func(t *testing.T) {
			if testing.Short() && tc.id == "resnet50_notop_64" {
				t.Skip("short")
			}
			m := loadArch(t, filepath.Join(root, "archs"), tc.id)
			for _, l := range m.Layers() {
				setSpecWeights(t, l)
			}
			x := readNpy(t, filepath.Join(root, "inputs", tc.input+".npy"))
			files, _ := filepath.Glob(filepath.Join(root, "outputs", tc.id, "*.npy"))
			var names []string
			var refs []*Tensor
			for _, f := range files {
				name := strings.TrimSuffix(filepath.Base(f), ".npy")
				if name == "output_logits" {
					continue
				}
				if name == "output" {
					name = m.outputs[0].layer.Name()
				}
				names = append(names, name)
				refs = append(refs, readNpy(t, f))
			}
			outs, err := m.RunLayers(names, x)
			if err != nil {
				t.Fatal(err)
			}
			for i, name := range names {
				e := relErr(outs[i].Data, refs[i].Data)
				t.Logf("%s: max|err|/max|ref| = %.2g", name, e)
				if e > tc.tol {
					t.Errorf("%s: relative error %.3g > %g", name, e, tc.tol)
				}
			}
		})
	}
}
