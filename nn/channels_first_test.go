package nn

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// convNCHW is a valid, stride-1 convolution of one (C, H, W) sample with a
// Keras kernel (kh, kw, C, F) and bias, written out in the channels_first
// order Keras documents; it returns (F, H', W').
func convNCHW(x []float32, c, h, w int, k []float32, kh, kw, f int, bias []float32) ([]float32, int, int) {
	oh, ow := h-kh+1, w-kw+1
	out := make([]float32, f*oh*ow)
	for o := range f {
		for i := range oh {
			for j := range ow {
				s := float64(bias[o])
				for ci := range c {
					for a := range kh {
						for b := range kw {
							s += float64(x[ci*h*w+(i+a)*w+j+b]) * float64(k[((a*kw+b)*c+ci)*f+o])
						}
					}
				}
				out[o*oh*ow+i*ow+j] = float32(s)
			}
		}
	}
	return out, oh, ow
}

func buildChannelsFirst(t *testing.T, cfg string) *Model {
	t.Helper()
	out, changed, err := ChannelsLastConfig([]byte(cfg))
	if err != nil || !changed {
		t.Fatalf("changed %v, %v", changed, err)
	}
	m, err := ModelFromJSON(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return m
}

func setRandom(t *testing.T, m *Model, layer string) map[string][]float32 {
	t.Helper()
	got := map[string][]float32{}
	for _, l := range m.Layers() {
		if l.Name() != layer {
			continue
		}
		for _, v := range l.Weights() {
			r := randomTensor(layer+v.Name(), 1, v.Shape()...)
			if err := v.Set(v.Shape(), r.Data); err != nil {
				t.Fatal(err)
			}
			got[v.Name()] = r.Data
		}
	}
	return got
}

// A channels_first convolution, then a Flatten in the order Keras flattens
// (C, H, W), then a Dense: the model takes and gives what the file declares.
func TestChannelsFirstConvFlattenDense(t *testing.T) {
	const c, h, w, f, units = 2, 4, 5, 3, 2
	for _, form := range []string{"functional", "sequential"} {
		t.Run(form, func(t *testing.T) {
			conv := `{"name": "conv", "filters": 3, "kernel_size": [2, 2], "data_format": "channels_first", "padding": "valid"}`
			cfg := `{"class_name": "Model", "config": {"name": "m", "layers": [
				{"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [null, 2, 4, 5]}, "inbound_nodes": []},
				{"class_name": "Conv2D", "name": "conv", "config": ` + conv + `, "inbound_nodes": [[["in", 0, 0, {}]]]},
				{"class_name": "Flatten", "name": "flat", "config": {"name": "flat", "data_format": "channels_last"}, "inbound_nodes": [[["conv", 0, 0, {}]]]},
				{"class_name": "Dense", "name": "dense", "config": {"name": "dense", "units": 2}, "inbound_nodes": [[["flat", 0, 0, {}]]]}],
				"input_layers": [["in", 0, 0]], "output_layers": [["dense", 0, 0]]}}`
			if form == "sequential" {
				cfg = `{"class_name": "Sequential", "config": {"name": "s", "layers": [
					{"class_name": "Conv2D", "config": {"name": "conv", "filters": 3, "kernel_size": [2, 2], "data_format": "channels_first", "batch_input_shape": [null, 2, 4, 5]}},
					{"class_name": "Flatten", "config": {"name": "flat"}},
					{"class_name": "Dense", "config": {"name": "dense", "units": 2}}]}}`
			}
			m := buildChannelsFirst(t, cfg)
			cw, dw := setRandom(t, m, "conv"), setRandom(t, m, "dense")
			x := randomTensor("cf-x", 1, 2, c, h, w)
			y, err := m.Run(x)
			if err != nil {
				t.Fatal(err)
			}
			if got := y[0].Shape; len(got) != 2 || got[1] != units {
				t.Fatalf("output shape %v", got)
			}
			for b := range 2 {
				feat, oh, ow := convNCHW(x.Data[b*c*h*w:(b+1)*c*h*w], c, h, w, cw["kernel"], 2, 2, f, cw["bias"])
				n := f * oh * ow
				for u := range units {
					s := float64(dw["bias"][u])
					for i := range n {
						s += float64(feat[i]) * float64(dw["kernel"][i*units+u])
					}
					if got := y[0].Data[b*units+u]; math.Abs(float64(got)-s) > 1e-4 {
						t.Errorf("sample %d unit %d: %g, want %g", b, u, got, s)
					}
				}
			}
		})
	}
}

// A channels_first convolution's 4-D output is the declared (F, H', W'); a
// later channels_last pooling reads that declared order (simpleconv2d.hdf5
// pools its (30, 26, 26) as (rows, cols, channels)); Flatten with
// data_format channels_first flattens (H, W, C).
func TestChannelsFirstMixedLayouts(t *testing.T) {
	const c, h, w, f = 1, 5, 5, 2
	m := buildChannelsFirst(t, `{"class_name": "Model", "config": {"name": "m", "layers": [
		{"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [null, 1, 5, 5]}, "inbound_nodes": []},
		{"class_name": "Conv2D", "name": "conv", "config": {"name": "conv", "filters": 2, "kernel_size": [2, 2], "data_format": "channels_first"}, "inbound_nodes": [[["in", 0, 0, {}]]]},
		{"class_name": "BatchNormalization", "name": "bn", "config": {"name": "bn", "axis": 1}, "inbound_nodes": [[["conv", 0, 0, {}]]]},
		{"class_name": "MaxPooling2D", "name": "pool", "config": {"name": "pool", "pool_size": [1, 2], "data_format": "channels_last"}, "inbound_nodes": [[["bn", 0, 0, {}]]]},
		{"class_name": "Flatten", "name": "cfflat", "config": {"name": "cfflat", "data_format": "channels_first"}, "inbound_nodes": [[["bn", 0, 0, {}]]]}],
		"input_layers": [["in", 0, 0]], "output_layers": [["bn", 0, 0], ["pool", 0, 0], ["cfflat", 0, 0]]}}`)
	cw, bn := setRandom(t, m, "conv"), setRandom(t, m, "bn")
	for i, v := range bn["moving_variance"] {
		bn["moving_variance"][i] = 1 + v*v
	}
	if err := m.Layers()[findLayer(m, "bn")].SetWeight("moving_variance", []int{f}, bn["moving_variance"]); err != nil {
		t.Fatal(err)
	}
	x := randomTensor("cf-mixed", 1, 1, c, h, w)
	y, err := m.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	feat, oh, ow := convNCHW(x.Data, c, h, w, cw["kernel"], 2, 2, f, cw["bias"])
	// BatchNormalization over axis 1, the declared channels.
	for i, v := range feat {
		ch := i / (oh * ow)
		norm := (float64(v) - float64(bn["moving_mean"][ch])) / math.Sqrt(float64(bn["moving_variance"][ch])+1e-3)
		feat[i] = float32(norm*float64(bn["gamma"][ch]) + float64(bn["beta"][ch]))
	}
	near := func(what string, got []float32, want []float32) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
		}
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-5 {
				t.Fatalf("%s[%d] = %g, want %g", what, i, got[i], want[i])
			}
		}
	}
	if s := y[0].Shape; s[1] != f || s[2] != oh || s[3] != ow {
		t.Fatalf("output shape %v, want [1 %d %d %d]", s, f, oh, ow)
	}
	near("bn output (declared order)", y[0].Data, feat)
	// Pooling (1, 2) over the declared (F, H') axes as rows and columns.
	var pooledOrder []float32
	for a := range f {
		for b := range oh / 2 {
			for j := range ow {
				pooledOrder = append(pooledOrder, max(feat[a*oh*ow+(2*b)*ow+j], feat[a*oh*ow+(2*b+1)*ow+j]))
			}
		}
	}
	near("channels_last pooling", y[1].Data, pooledOrder)
	var hwc []float32
	for i := range oh {
		for j := range ow {
			for a := range f {
				hwc = append(hwc, feat[a*oh*ow+i*ow+j])
			}
		}
	}
	near("channels_first Flatten", y[2].Data, hwc)
}

func TestChannelsLastConfigUnchanged(t *testing.T) {
	cfg := `{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 2, "batch_input_shape": [null, 3]}}]}}`
	out, changed, err := ChannelsLastConfig([]byte(cfg))
	if err != nil || changed || string(out) != cfg {
		t.Errorf("changed %v, err %v, out %s", changed, err, out)
	}
	_, _, err = ChannelsLastConfig([]byte(`{"class_name": "Sequential", "config": {"layers": [
		{"class_name": "Dense", "config": {"units": 2, "batch_input_shape": [null, 3, 4, 5]}},
		{"class_name": "Flatten", "config": {"name": "f", "data_format": "channels_first"}}]}}`))
	if err == nil || !strings.Contains(err.Error(), `Flatten "f"`) {
		t.Errorf("Flatten channels_first on a rank-3 tensor: %v", err)
	}
}

// Permute moves axes as Keras documents: output axis i is input axis
// dims[i]; its gradient moves them back.
func TestAxisPermute(t *testing.T) {
	var cfg map[string]any
	_ = json.Unmarshal([]byte(`{"name": "p", "dims": [3, 1, 2]}`), &cfg)
	l, err := LayerFromConfig("Permute", cfg)
	if err != nil {
		t.Fatal(err)
	}
	x := &Tensor{Shape: []int{1, 2, 1, 3}, Data: []float32{1, 2, 3, 4, 5, 6}} // (2, 1, 3)
	in := Input([]int{2, 1, 3})
	model, err := NewModel([]*Node{in}, []*Node{l.Apply(in)})
	if err != nil {
		t.Fatal(err)
	}
	y, err := model.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	// (3, 2, 1): y[k][i][0] = x[i][0][k].
	want := []float32{1, 4, 2, 5, 3, 6}
	if s := y[0].Shape; s[1] != 3 || s[2] != 2 || s[3] != 1 {
		t.Fatalf("shape %v", s)
	}
	for i := range want {
		if y[0].Data[i] != want[i] {
			t.Fatalf("got %v, want %v", y[0].Data, want)
		}
	}
	if c := l.Config(); !equalAny(c["dims"], []int{3, 1, 2}) {
		t.Errorf("config dims %v", c["dims"])
	}
	checkFiniteDifferences(t, model, 2)
	if _, err := LayerFromConfig("Permute", Config{"name": "q", "dims": []any{1.0, 1.0}}); err == nil {
		t.Error("dims [1 1] accepted")
	}
}

func equalAny(a any, b []int) bool {
	x, ok := a.([]int)
	if !ok || len(x) != len(b) {
		return false
	}
	for i := range b {
		if x[i] != b[i] {
			return false
		}
	}
	return true
}

func findLayer(m *Model, name string) int {
	for i, l := range m.Layers() {
		if l.Name() == name {
			return i
		}
	}
	return -1
}
