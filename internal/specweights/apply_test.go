package specweights

import (
	"runtime"
	"testing"

	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// Apply fills every weight by the spec, in nested models too.
func TestApply(t *testing.T) {
	inner, err := nn.Sequential([]int{8, 8, 4}, nn.NewConv2D(6, 3, 3, nn.WithName("conv")), nn.NewBatchNormalization(nn.WithName("bn")))
	require.NoError(t, err)
	in := nn.Input([]int{8, 8, 4})
	out := nn.NewDense(3, nn.WithName("dense")).Apply(nn.NewFlatten().Apply(inner.Apply(in)))
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{out})
	require.NoError(t, err)
	require.NoError(t, Apply(m))
	layers := []nn.Layer{inner.Layer("conv"), inner.Layer("bn"), m.Layer("dense")}
	n := 0
	for _, l := range layers {
		for _, v := range l.Weights() {
			want, ok := Variable(l.Name(), v.Name(), v.Shape(), FanIn(v.Name(), v.Shape()))
			require.True(t, ok)
			require.Equal(t, want, v.Value(), v.Path())
			n++
		}
	}
	require.Equal(t, 2+4+2, n, "conv kernel and bias, BatchNormalization's four, dense kernel and bias")
}

// Apply fills the weights in place: it allocates nothing near their size
// (a copy of a large kernel would stay as garbage beside the model).
func TestApplyInPlace(t *testing.T) {
	m, err := nn.Sequential([]int{1024}, nn.NewDense(1024, nn.WithName("dense")))
	require.NoError(t, err)
	kernel := m.Layer("dense").Weights()[0].Value()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	require.NoError(t, Apply(m))
	runtime.ReadMemStats(&after)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(len(kernel)), "bytes allocated for a 4 MB kernel: under a quarter of it")
	want, _ := Variable("dense", "kernel", []int{1024, 1024}, 1024)
	require.Equal(t, want, kernel, "filled where the model keeps it")
}
