package zoo

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// DenseNet169 and DenseNet201 have no golden graph: check what densenet.py's
// structure fixes. A model has 21 layers outside its dense blocks (input, the
// stem's 6, three transitions of 4, the final bn and relu) and 7 per conv
// block (the top adds avg_pool and fc1000). Keras' published depth counts the
// layers with weights: 1 + 2 per conv block + 3 transition convs, as many
// BatchNormalizations plus the final bn, and fc1000.
func TestDenseNetStructure(t *testing.T) {
	for _, c := range []struct {
		model        string
		blocks       [4]int
		params       int // with top
		notopParams  int
		notopChannel int
	}{
		{"densenet121", [4]int{6, 12, 24, 16}, 8062504, 7037504, 1024},
		{"densenet169", [4]int{6, 12, 32, 32}, 14307880, 12642880, 1664},
		{"densenet201", [4]int{6, 12, 48, 32}, 20242984, 18321984, 1920},
	} {
		t.Run(c.model, func(t *testing.T) {
			spec, err := Lookup(c.model)
			require.NoError(t, err)
			convBlocks := c.blocks[0] + c.blocks[1] + c.blocks[2] + c.blocks[3]
			for _, top := range []bool{false, true} {
				m, err := New(c.model, Options{IncludeTop: top, Notices: testWriter{t}})
				require.NoError(t, err)
				require.Equal(t, c.model, m.Name())
				layers, params, weighted := 0, 0, 0
				for _, l := range m.Layers() {
					layers++
					if len(l.Weights()) > 0 {
						weighted++
					}
					for _, v := range l.Weights() {
						params += elements(v.Shape())
					}
				}
				wantLayers := 21 + 7*convBlocks
				if top {
					wantLayers += 2
					require.Equal(t, c.params, params, "params with top")
					require.Equal(t, spec.Published.Params, params)
					require.Equal(t, spec.Published.Depth, weighted, "Keras' depth")
					require.Equal(t, []int{1000}, m.Output().Shape())
				} else {
					require.Equal(t, c.notopParams, params, "params without top")
					require.Equal(t, []int{7, 7, c.notopChannel}, m.Output().Shape())
				}
				require.Equal(t, wantLayers, layers, "layers (top %v)", top)
			}
		})
	}
}
