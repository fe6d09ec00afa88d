package fashionmnist

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTest(t *testing.T) {
	images, labels, err := Test()
	require.NoError(t, err)
	require.Len(t, images, 10000)
	require.Len(t, labels, 10000)
	var count [10]int
	for _, l := range labels {
		count[l]++
	}
	for c := range count {
		require.Equal(t, 1000, count[c], Classes[c])
	}
	require.Len(t, images[0], Size*Size)
	require.Equal(t, byte(9), labels[0], "the first test image is an ankle boot")
}
