package modelfile_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// spaceToDepth2 is tf.nn.space_to_depth(x, block_size=2) on NHWC tensors:
// (h, w, c) -> (h/2, w/2, 4c), each 2x2 block's pixels in row order.
var spaceToDepth2 = nn.LambdaFunc{
	OutputShape: func(in [][]int) ([]int, error) {
		s := in[0]
		return []int{s[0] / 2, s[1] / 2, 4 * s[2]}, nil
	},
	Forward: func(x []*nn.Tensor, y *nn.Tensor) {
		n, h, w, c := x[0].Shape[0], x[0].Shape[1], x[0].Shape[2], x[0].Shape[3]
		i := 0
		for b := 0; b < n; b++ {
			for r := 0; r < h/2; r++ {
				for q := 0; q < w/2; q++ {
					for dr := 0; dr < 2; dr++ {
						for dq := 0; dq < 2; dq++ {
							src := ((b*h+2*r+dr)*w + 2*q + dq) * c
							i += copy(y.Data[i:i+c], x[0].Data[src:src+c])
						}
					}
				}
			}
		}
	},
}

// A Keras file whose Lambda runs Python Keel cannot read (space_to_depth)
// is refused, naming the layer, until Go code is registered for it, as
// Keras' custom_objects does; then it loads and matches its independent
// reference.
func TestRegisteredLambdaMatchesReference(t *testing.T) {
	const rel = "dl4j-test-resources/space_to_depth_simple_tensorflow_2.h5"
	path := testenv.Shared(t, "realh5", rel)
	_, _, err := modelfile.Load(path)
	require.ErrorContains(t, err, `nn.RegisterLambda("space_to_depth_x2"`)

	nn.RegisterLambda("space_to_depth_x2", spaceToDepth2)
	defer nn.RegisterLambda("space_to_depth_x2", nn.LambdaFunc{})
	m, _, err := modelfile.Load(path)
	require.NoError(t, err)
	var ref realRef
	b, err := os.ReadFile("../testdata/realh5ref/dl4j-test-resources__space_to_depth_simple_tensorflow_2.h5.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &ref))
	require.True(t, compareWithRef(t, m, ref))
}
