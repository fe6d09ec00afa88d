package zoo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

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
