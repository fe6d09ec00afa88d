package zoo

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/keelml/keel/internal/npy"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// convnextPrestemID is the golden name of PreStem's Normalization.
const convnextPrestemID = "convnext_tiny_prestem_normalization"

// Until nn has Normalization (convnextPrestem nil), the golden ConvNeXtTiny
// graphs are checked without their first layer: every other layer's class,
// inputs, output shape and weights, the parameter totals, and the forward
// pass fed the golden output of the prestem (or, for the top model, the raw
// input normalised here as Normalization does in float32).
func TestConvNeXtTinyGoldenWithoutPrestem(t *testing.T) {
	if convnextPrestem != nil {
		t.Skip("the prestem is built: TestArchitecturesMatchKeras and TestForwardMatchesGolden check ConvNeXtTiny")
	}
	archs := goldenArchs(t)
	raw, err := os.ReadFile(testenv.Shared(t, "golden", "outputs", "index.json"))
	require.NoError(t, err)
	var outputs map[string]goldenOutputs
	require.NoError(t, json.Unmarshal(raw, &outputs))
	for _, id := range []string{"convnexttiny_notop_64", "convnexttiny_top_96"} {
		t.Run(id, func(t *testing.T) {
			a := archs[id]
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
			require.Equal(t, convnextPrestemID, want.Layers[1].Name)
			want.Layers = append(want.Layers[:1], want.Layers[2:]...)
			layers := m.Layers()
			require.Len(t, layers, len(want.Layers))
			params := 0
			for i, wl := range want.Layers {
				l := layers[i]
				require.Equal(t, wl.Name, l.Name())
				require.Equal(t, wl.ClassName, l.ClassName(), wl.Name)
				node := l.InboundNodes()[0]
				var inbound []string
				for _, in := range node.Inputs() {
					inbound = append(inbound, in.Layer().Name())
				}
				for j, n := range wl.Inbound {
					if n == convnextPrestemID {
						wl.Inbound[j] = "input_layer"
					}
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
			require.Equal(t, a.NLayers-1, len(layers))

			// The forward pass from the prestem's output.
			g := outputs[id]
			setSpecWeights(t, m)
			var xt *nn.Tensor
			if id == "convnexttiny_notop_64" {
				shape, x, err := npy.Read(testenv.Shared(t, "golden", "outputs", id, convnextPrestemID+".npy"))
				require.NoError(t, err)
				xt, err = nn.TensorOf(x, shape...)
				require.NoError(t, err)
			} else {
				shape, x, err := npy.Read(testenv.Shared(t, "golden", g.InputRaw))
				require.NoError(t, err)
				for i := range x {
					c := i % 3
					x[i] = (x[i] - float32(convnextMean[c])) / float32(math.Max(math.Sqrt(float64(float32(convnextVariance[c]))), 1e-7))
				}
				xt, err = nn.TensorOf(x, shape...)
				require.NoError(t, err)
			}
			final := m.Output().Layer()
			penultimate := final.InboundNodes()[0].Inputs()[0].Layer().Name()
			var names []string
			for _, f := range g.Files {
				if f.Kind != "pre_softmax_logits" && f.Layer != convnextPrestemID {
					names = append(names, f.Layer)
				}
			}
			names = append(names, penultimate)
			got, err := m.RunLayers(names, xt)
			require.NoError(t, err)
			byName := map[string]*nn.Tensor{}
			for i, n := range names {
				byName[n] = got[i]
			}
			for _, f := range g.Files {
				if f.Layer == convnextPrestemID {
					continue
				}
				wshape, want, err := npy.Read(testenv.Shared(t, "golden", f.File))
				require.NoError(t, err)
				var out []float32
				if f.Kind == "pre_softmax_logits" {
					out = denseLogits(t, final, byName[penultimate])
				} else {
					out = byName[f.Layer].Data
					require.Equal(t, wshape, byName[f.Layer].Shape, f.File)
				}
				require.Len(t, out, len(want), f.File)
				if f.Kind == "model_output" && isSoftmax(final) {
					for i := range want {
						require.InDelta(t, want[i], out[i], 1e-5, "%s[%d]", f.File, i)
					}
					continue
				}
				e := maxRelErr(out, want)
				t.Logf("%s: max|keel-ref|/max|ref| = %.2e", f.File, e)
				require.LessOrEqual(t, e, 1e-4, f.File)
			}
		})
	}
}

// The exact parameter totals of the five models with the top, counted from
// convnext.py's architecture (Keras' table rounds them): the stem conv 4x4
// with bias and its LayerNormalization, per block 8C^2 + 58C (7x7 grouped
// conv 49C + C, two LayerNormalization 2C, Dense C->4C and 4C->C with
// biases, LayerScale C), the downsampling LayerNormalization and 2x2 convs,
// the head LayerNormalization and Dense. TestSpecsComplete checks the same
// totals against the built graphs.
func TestConvNeXtParams(t *testing.T) {
	for name, want := range map[string]int{
		"convnext_tiny": 28589128, "convnext_small": 50223688, "convnext_base": 88591464,
		"convnext_large": 197767336, "convnext_xlarge": 350196968,
	} {
		s, err := Lookup(name)
		require.NoError(t, err)
		require.Equal(t, want, s.Published.Params, name)
	}
	count := func(depths, dims [4]int) int {
		p := 51 * dims[0]
		for i := range 3 {
			p += 2*dims[i] + 4*dims[i]*dims[i+1] + dims[i+1]
		}
		for i := range 4 {
			p += depths[i] * (8*dims[i]*dims[i] + 58*dims[i])
		}
		return p + 2*dims[3] + dims[3]*1000 + 1000
	}
	require.Equal(t, 28589128, count([4]int{3, 3, 9, 3}, [4]int{96, 192, 384, 768}))
	require.Equal(t, 50223688, count([4]int{3, 3, 27, 3}, [4]int{96, 192, 384, 768}))
	require.Equal(t, 88591464, count([4]int{3, 3, 27, 3}, [4]int{128, 256, 512, 1024}))
	require.Equal(t, 197767336, count([4]int{3, 3, 27, 3}, [4]int{192, 384, 768, 1536}))
	require.Equal(t, 350196968, count([4]int{3, 3, 27, 3}, [4]int{256, 512, 1024, 2048}))
	// The built Small graph at a small size (parameters do not depend on
	// it): the formula is the graph's.
	m, err := New("convnext_small", Options{IncludeTop: true, InputShape: []int{32, 32, 3}, Notices: testWriter{t}})
	require.NoError(t, err)
	n := 0
	for _, v := range m.Weights() {
		n += elements(v.Shape())
	}
	require.Equal(t, 50223688, n)
}

// A built ConvNeXt's Keras JSON reads back into the same graph: the nested
// Sequential blocks, grouped convolutions, LayerNormalization, LayerScale
// and gelu come back with their configs, and compute the same.
func TestConvNeXtJSONRoundTrip(t *testing.T) {
	m, err := New("convnext_tiny", Options{InputShape: []int{32, 32, 3}, Notices: testWriter{t}})
	require.NoError(t, err)
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	back, err := nn.ModelFromJSON(raw)
	require.NoError(t, err)
	raw2, err := json.Marshal(back)
	require.NoError(t, err)
	require.JSONEq(t, string(raw), string(raw2))
	setSpecWeights(t, m)
	setSpecWeights(t, back)
	x := make([]float32, 32*32*3)
	for i := range x {
		x[i] = float32(i%17)/8 - 1
	}
	xt, err := nn.TensorOf(x, 1, 32, 32, 3)
	require.NoError(t, err)
	a, err := m.Run(xt)
	require.NoError(t, err)
	b, err := back.Run(xt)
	require.NoError(t, err)
	require.Equal(t, a[0].Data, b[0].Data)
}

// ConvNeXtTiny's multiply-accumulates at 224 px: the 7x7 grouped convs per
// channel (49C per pixel), the pointwise Dense layers per pixel (8C^2), the
// stem, downsampling convs and head: 4.4555 G by hand (the paper rounds to
// 4.5 G; counters that add the normalisations report 4.47 G).
func TestConvNeXtMACs(t *testing.T) {
	m, err := New("convnext_tiny", Options{IncludeTop: true, Notices: testWriter{t}})
	require.NoError(t, err)
	require.Equal(t, int64(4455531264), MACs(m))
}

// Every key of every ConvNeXt layer's Config (inner layers of the nested
// Sequential models included) has Keras 3's value.
func TestConvNeXtConfigsMatchKeras(t *testing.T) {
	for _, id := range []string{"convnexttiny_notop_64", "convnexttiny_top_96"} {
		t.Run(id, func(t *testing.T) {
			m := buildGolden(t, goldenArchs(t)[id])
			raw, err := os.ReadFile(testenv.Shared(t, "golden", "archs", id+".json"))
			require.NoError(t, err)
			type layer struct {
				Name   string         `json:"name"`
				Class  string         `json:"class_name"`
				Config map[string]any `json:"config"`
			}
			var doc struct {
				Config struct {
					Layers []layer `json:"layers"`
				} `json:"config"`
			}
			require.NoError(t, json.Unmarshal(raw, &doc))
			check := func(name string, want map[string]any) {
				l := m.Layer(name)
				require.NotNil(t, l, name)
				var got map[string]any
				enc, err := json.Marshal(l.Config())
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(enc, &got))
				for k, v := range got {
					if k == "layers" || k == "batch_input_shape" {
						continue
					}
					require.Equal(t, want[k], v, "%s: config %s", name, k)
				}
			}
			n := 0
			for _, l := range doc.Config.Layers {
				if l.Name == convnextPrestemID && convnextPrestem == nil {
					continue
				}
				if l.Class == "Sequential" {
					var inner []layer
					enc, _ := json.Marshal(l.Config["layers"])
					require.NoError(t, json.Unmarshal(enc, &inner))
					for _, il := range inner {
						check(il.Config["name"].(string), il.Config)
						n++
					}
				}
				check(l.Name, l.Config)
				n++
			}
			require.Greater(t, n, 150)
		})
	}
}

// ConvNeXt's weights round-trip through Keras' save_weights layout, the
// nested Sequential stem and downsampling blocks as groups of their own
// holding their inner layers' weights (as tf.keras saves a nested model).
func TestConvNeXtWeightsRoundTrip(t *testing.T) {
	o := Options{IncludeTop: true, InputShape: []int{32, 32, 3}, Notices: testWriter{t}}
	m, err := New("convnext_tiny", o)
	require.NoError(t, err)
	setSpecWeights(t, m)
	path := filepath.Join(t.TempDir(), "convnext_tiny.h5")
	require.NoError(t, modelfile.SaveWeights(path, m))
	o.Weights = path
	back, err := New("convnext_tiny", o)
	require.NoError(t, err)
	want, got := m.Weights(), back.Weights()
	require.Len(t, got, len(want))
	for i, v := range want {
		require.Equal(t, v.Path(), got[i].Path())
		require.True(t, slices.Equal(v.Value(), got[i].Value()), v.Path())
	}
}
