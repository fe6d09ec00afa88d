package npy

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, shape := range [][]int{{}, {3}, {2, 3}, {1, 2, 2, 2}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i)*0.5 - 1
		}
		p := filepath.Join(dir, "a.npy")
		require.NoError(t, Write(p, shape, data))
		s, d, err := Read(p)
		require.NoError(t, err)
		require.Equal(t, shape, s)
		require.Equal(t, data, d)
	}
}
