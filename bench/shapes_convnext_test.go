package bench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// ConvNeXt's 7x7 Conv2D with groups = channels is measured as the
// depthwise convolution nn runs (its stem and downsampling convs sit in
// nested Sequential models, not listed).
func TestConvLayersGrouped(t *testing.T) {
	ls, err := ConvLayers("convnext_tiny", 64, 1)
	require.NoError(t, err)
	require.Len(t, ls, 18)
	dw := ls[0]
	require.Equal(t, "convnext_tiny_stage_0_block_0_depthwise_conv", dw.Layer)
	require.True(t, dw.Depthwise)
	require.Equal(t, [6]int{16, 96, 1, 7, 3, 3}, [6]int{dw.DW.H, dw.DW.C, dw.DW.Multiplier, dw.DW.KH, dw.DW.PadTop, dw.DW.PadBottom})
}
