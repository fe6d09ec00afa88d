package demo

import (
	"bytes"
	"context"
	"testing"

	"github.com/keelml/keel/modelfile"
	"github.com/stretchr/testify/require"
)

// The demo as `make demo` runs it: transfer must beat scratch by at least
// ten points, with the work that freezing and caching save measured.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the full demo takes half a minute")
	}
	var out bytes.Buffer
	res, err := Main(context.Background(), &out, Options{Dir: t.TempDir(), Seed: 1})
	require.NoError(t, err)
	t.Log(out.String())
	require.GreaterOrEqual(t, res.Transfer.Accuracy-res.Scratch.Accuracy, 0.10)
	require.Less(t, res.FrozenFLOPs, res.FullFLOPs/2, "no backward pass through the frozen backbone")
	require.Less(t, res.CachedFLOPs, res.FrozenFLOPs/10, "the backbone runs once")
	require.Contains(t, out.String(), "Transfer beats scratch by")

	m, meta, err := modelfile.Load(res.PretrainedFile)
	require.NoError(t, err)
	require.Equal(t, []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"}, meta.ClassNames)
	require.Equal(t, []int{32, 32, 3}, m.Input().Shape())
}
