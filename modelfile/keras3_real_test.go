package modelfile_test

import (
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

func TestRealKeras3Load(t *testing.T) {
	for _, rel := range []string{"cnn-fashion-mnist-classifier/model.keras", "helia-edge/model.keras"} {
		t.Run(rel, func(t *testing.T) {
			m, _, err := modelfile.Load(testenv.Shared(t, "realh5", rel))
			require.NoError(t, err)
			x := nn.NewTensor(append([]int{2}, m.Input().Shape()...)...)
			y, err := m.Run(x)
			require.NoError(t, err)
			t.Log(y[0].Shape, y[0].Data[:5])
		})
	}
}
