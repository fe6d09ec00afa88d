package nn

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
)

// scaledBlock is an Inception-ResNet block: a 1x1 convolution with bias as
// the residual, x + 0.17 * up, then a ReLU.
func scaledBlock(t *testing.T) *Model {
	t.Helper()
	sc := NewNameScope()
	in := Input([]int{5, 4, 3}, WithScope(sc))
	up := NewConv2D(3, 1, 1, WithName("block35_1_conv"), WithScope(sc)).Apply(in)
	x := NewCustomScaleLayer(0.17, WithName("block35_1"), WithScope(sc)).Apply(in, up)
	x = NewActivation("relu", WithName("block35_1_ac"), WithScope(sc)).Apply(x)
	m, err := NewModel([]*Node{in}, []*Node{x}, WithName("block"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers() {
		for _, v := range l.Weights() {
			v.Set(v.shape, specFill(l.Name(), v.name, v.shape, 3))
		}
	}
	return m
}

// keras2Lambda is block35_1 as Keras 2.3.1 writes keras_applications'
// Lambda: func_dump's (base64 marshalled code, defaults, closure), the
// static output shape and the arguments.
func keras2Lambda() map[string]any {
	return map[string]any{
		"name": "block35_1", "trainable": true, "dtype": "float32",
		"function":      []any{"4wIAAAAAAAAAAAAAAAMAAAADAAAA8yoAAACXAHwAZAEZAAAAAAAAAAAAfABkAhkAAAAAAAAAAAB8\n", nil, nil},
		"function_type": "lambda", "output_shape": []any{5.0, 4.0, 3.0}, "output_shape_type": "raw",
		"arguments": map[string]any{"scale": 0.17},
	}
}

// withLambda returns m's JSON with block35_1 replaced by a Lambda of config
// cfg and the given inbound layers.
func withLambda(t *testing.T, m *Model, cfg map[string]any, inbound ...string) []byte {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, l := range doc["config"].(map[string]any)["layers"].([]any) {
		l := l.(map[string]any)
		if l["name"] != "block35_1" {
			continue
		}
		var node []any
		for _, in := range inbound {
			node = append(node, []any{in, 0, 0, map[string]any{}})
		}
		l["class_name"], l["config"], l["inbound_nodes"] = "Lambda", cfg, []any{node}
	}
	raw, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A Keras 2 InceptionResNetV2 Lambda reads as CustomScaleLayer and computes
// the same; every other Lambda is an error that says why.
func TestScaledResidualLambda(t *testing.T) {
	m := scaledBlock(t)
	x := randomTensor("scaled", 1, 2, 5, 4, 3)
	want, err := m.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	with := func(edit func(c map[string]any)) map[string]any {
		c := keras2Lambda()
		edit(c)
		return c
	}
	for _, tc := range []struct {
		name    string
		cfg     map[string]any
		inbound []string
		err     string // "" for a model that builds
	}{
		{"keras 2.3.1", keras2Lambda(), []string{"input_1", "block35_1_conv"}, ""},
		{"without output_shape", with(func(c map[string]any) { delete(c, "output_shape") }), []string{"input_1", "block35_1_conv"}, ""},
		{"any image size", with(func(c map[string]any) { c["output_shape"] = []any{nil, nil, 3.0} }), []string{"input_1", "block35_1_conv"}, ""},
		{"output_shape not a shape", with(func(c map[string]any) { c["output_shape"] = []any{"4wIA", nil, nil} }), []string{"input_1", "block35_1_conv"}, "output_shape"},
		{"no arguments", with(func(c map[string]any) { delete(c, "arguments") }), []string{"input_1", "block35_1_conv"}, "RegisterLambda"},
		{"other arguments", with(func(c map[string]any) { c["arguments"] = map[string]any{"alpha": 0.5} }), []string{"input_1", "block35_1_conv"}, "arguments"},
		{"more arguments", with(func(c map[string]any) { c["arguments"] = map[string]any{"scale": 0.1, "bias": 1.0} }), []string{"input_1", "block35_1_conv"}, "arguments"},
		{"scale not a number", with(func(c map[string]any) { c["arguments"] = map[string]any{"scale": "0.1"} }), []string{"input_1", "block35_1_conv"}, "arguments"},
		{"named function", with(func(c map[string]any) { c["function"], c["function_type"] = "scaled_sum", "function" }), []string{"input_1", "block35_1_conv"}, "function_type"},
		{"closure", with(func(c map[string]any) { c["function"] = []any{"4wIA", nil, []any{1.0}} }), []string{"input_1", "block35_1_conv"}, "closure"},
		{"one input", keras2Lambda(), []string{"block35_1_conv"}, "two inputs, got 1"},
		{"other output_shape", with(func(c map[string]any) { c["output_shape"] = []any{5.0, 4.0, 6.0} }), []string{"input_1", "block35_1_conv"}, "output_shape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			back, err := ModelFromJSON(withLambda(t, m, tc.cfg, tc.inbound...))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "block35_1") {
					t.Fatalf("error %v, want one about %q naming the layer", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l := back.Layer("block35_1")
			if l.ClassName() != "CustomScaleLayer" || l.(*CustomScaleLayer).Scale() != 0.17 {
				t.Fatalf("read as %s %v", l.ClassName(), l.Config())
			}
			wantCfg := map[string]any{"name": "block35_1", "trainable": true, "dtype": "float32", "scale": 0.17}
			if !maps.Equal(l.Config(), wantCfg) {
				t.Errorf("config %v, want %v", l.Config(), wantCfg)
			}
			for _, src := range m.Layers() {
				for _, v := range src.Weights() {
					if err := back.Layer(src.Name()).SetWeight(v.Name(), v.Shape(), v.Value()); err != nil {
						t.Fatal(err)
					}
				}
			}
			got, err := back.Run(x)
			if err != nil {
				t.Fatal(err)
			}
			if e := maxAbs(got[0].Data, want[0].Data); e != 0 {
				t.Errorf("outputs differ by %g", e)
			}
		})
	}
}

// The plan fuses the block's ReLU into the scaled sum, and gives exactly
// the unfused values; the convolution before it stays a step of its own.
func TestScaledResidualInference(t *testing.T) {
	m := scaledBlock(t)
	x := randomTensor("scaled", 1, 2, 5, 4, 3)
	all, err := m.RunLayers([]string{"block35_1_conv", "block35_1", "block35_1_ac"}, x)
	if err != nil {
		t.Fatal(err)
	}
	// The references: float32(0.17) times the residual, rounded, then added.
	s := float32(0.17)
	for i, v := range all[1].Data {
		r := x.Data[i] + float32(s*all[0].Data[i])
		if v != r {
			t.Fatalf("y[%d] = %v, want %v", i, v, r)
		}
		if a := all[2].Data[i]; a != max(r, 0) {
			t.Fatalf("relu[%d] = %v, want %v", i, a, max(r, 0))
		}
	}
	got, err := m.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	if e := maxAbs(got[0].Data, all[2].Data); e != 0 {
		t.Errorf("fused output differs by %g", e)
	}
	modes := map[string]StepMode{}
	for _, st := range m.StepStats() {
		modes[st.Layer] = st.Mode
	}
	for l, want := range map[string]StepMode{"block35_1_conv": "inference", "block35_1": "inference", "block35_1_ac": "fused"} {
		if modes[l] != want {
			t.Errorf("%s: mode %q, want %q", l, modes[l], want)
		}
	}
}

// The golden InceptionResNetV2 graph written as Keras 2.3.1 writes
// keras_applications' model (its 40 residuals as Lambdas) builds the same
// model as the CustomScaleLayer form.
func TestInceptionResNetV2Keras2Lambdas(t *testing.T) {
	dir := testenv.Shared(t, "golden", "archs")
	path := filepath.Join(dir, "inceptionresnetv2_notop_80.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	want := loadArch(t, dir, "inceptionresnetv2_notop_80")
	lambdas := 0
	for _, l := range doc["config"].(map[string]any)["layers"].([]any) {
		l := l.(map[string]any)
		if l["class_name"] != "CustomScaleLayer" {
			continue
		}
		c := l["config"].(map[string]any)
		shape := want.Layer(c["name"].(string)).InboundNodes()[0].Shape()
		lambda := keras2Lambda()
		lambda["name"], lambda["output_shape"] = c["name"], intsAny(shape)
		lambda["arguments"] = map[string]any{"scale": c["scale"]}
		l["class_name"], l["config"] = "Lambda", lambda
		lambdas++
	}
	if lambdas != 40 {
		t.Fatalf("%d CustomScaleLayers in the golden graph, want 40", lambdas)
	}
	raw, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ModelFromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	got, wantLayers := m.Layers(), want.Layers()
	if len(got) != len(wantLayers) {
		t.Fatalf("%d layers, want %d", len(got), len(wantLayers))
	}
	for i, l := range got {
		if l.Name() != wantLayers[i].Name() || l.ClassName() != wantLayers[i].ClassName() {
			t.Fatalf("layer %d: %s %s, want %s %s", i, l.ClassName(), l.Name(), wantLayers[i].ClassName(), wantLayers[i].Name())
		}
	}
	checkConfigs(t, m, path)
}
