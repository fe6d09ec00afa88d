package zoo

import (
	"testing"

	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// The Keras 3 models survive their Keras JSON: the same layers, weights and
// outputs after ModelFromJSON (Rescaling, Normalization, the broadcasting
// Multiply, Dropout's noise_shape and the silu/hard_silu activations read
// back).
func TestKeras3ModelsJSONRoundTrip(t *testing.T) {
	for _, name := range []string{"mobilenet_v3_small", "efficientnet_b0", "efficientnet_v2_b0"} {
		t.Run(name, func(t *testing.T) {
			m, err := New(name, Options{IncludeTop: true, InputShape: []int{64, 64, 3}, Notices: testWriter{t}})
			require.NoError(t, err)
			setSpecWeights(t, m)
			raw, err := m.MarshalJSON()
			require.NoError(t, err)
			back, err := nn.ModelFromJSON(raw)
			require.NoError(t, err)
			require.Equal(t, m.Name(), back.Name())
			la, lb := m.Layers(), back.Layers()
			require.Len(t, lb, len(la))
			for i, l := range la {
				require.Equal(t, l.Name(), lb[i].Name())
				require.Equal(t, l.ClassName(), lb[i].ClassName())
				require.Equal(t, l.Config(), lb[i].Config(), l.Name())
				for _, v := range l.Weights() {
					require.NoError(t, lb[i].SetWeight(v.Name(), v.Shape(), v.Value()))
				}
			}
			x := nn.NewTensor(1, 64, 64, 3)
			for i := range x.Data {
				x.Data[i] = float32(i % 251)
			}
			ya, err := m.Run(x)
			require.NoError(t, err)
			yb, err := back.Run(x)
			require.NoError(t, err)
			require.Equal(t, ya[0].Data, yb[0].Data)
		})
	}
}
