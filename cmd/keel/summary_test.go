package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSummaryCommand(t *testing.T) {
	stdout, stderr, code := runCLI(t, "summary", "--model", "mobilenet", "--top")
	require.Equal(t, 0, code, stderr)
	require.True(t, strings.HasPrefix(stdout, "Model: \"mobilenet_1.00_224\"\n"), stdout[:80])
	require.Contains(t, stdout, "conv1 (Conv2D)               (None, 112, 112, 32)      864       \n")
	require.Contains(t, stdout, "Total params: 4,253,864\nTrainable params: 4,231,976\nNon-trainable params: 21,888\n")

	stdout, stderr, code = runCLI(t, "summary", "--model", "mobilenet_v2", "--alpha", "0.35", "--input-size", "96", "--pooling", "avg", "--frozen")
	require.Equal(t, 0, code, stderr)
	// Names cut at the column's end, as Keras cuts them.
	require.True(t, strings.Contains(stdout, "\nglobal_average_pooling2d_1 (Glo (None, 1280)         0           out_relu[0][0]"), "no pooling row")
	require.True(t, strings.Contains(stdout, "\nTotal params: 410,208\nTrainable params: 0\nNon-trainable params: 410,208\n"), "frozen totals")

	_, stderr, code = runCLI(t, "summary")
	require.NotZero(t, code)
	require.Contains(t, stderr, "--model")
}
