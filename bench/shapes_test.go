package bench

import (
	"fmt"
	"testing"

	"github.com/keelml/keel/kernels"
	"github.com/stretchr/testify/require"
)

// VGG16's 13 conv layers, read from the zoo model: 3x3, same, ReLU.
func TestConvLayersVGG16(t *testing.T) {
	ls, err := ConvLayers("vgg16", 224, 2)
	require.NoError(t, err)
	want := []struct {
		layer         string
		hw, cin, cout int
	}{
		{"block1_conv1", 224, 3, 64}, {"block1_conv2", 224, 64, 64},
		{"block2_conv1", 112, 64, 128}, {"block2_conv2", 112, 128, 128},
		{"block3_conv1", 56, 128, 256}, {"block3_conv2", 56, 256, 256}, {"block3_conv3", 56, 256, 256},
		{"block4_conv1", 28, 256, 512}, {"block4_conv2", 28, 512, 512}, {"block4_conv3", 28, 512, 512},
		{"block5_conv1", 14, 512, 512}, {"block5_conv2", 14, 512, 512}, {"block5_conv3", 14, 512, 512},
	}
	require.Len(t, ls, len(want))
	for i, w := range want {
		l := ls[i]
		require.Equal(t, "vgg16/"+w.layer, l.Name())
		require.False(t, l.Depthwise)
		require.Equal(t, kernels.ActReLU, l.Act, w.layer)
		require.Equal(t, kernels.ConvParams{N: 2, H: w.hw, W: w.hw, C: w.cin, KH: 3, KW: 3, OutC: w.cout,
			StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}, l.Conv, w.layer)
	}
}

// MobileNet's ZeroPadding2D before a strided valid window is TF's same
// padding spelled out: the layer is measured as that same-padded layer.
// ResNet50's conv1_pad is not, and stays in the input.
func TestConvLayersPadding(t *testing.T) {
	mobile, err := ConvLayers("mobilenet", 224, 1)
	require.NoError(t, err)
	require.Len(t, mobile, 27)
	byName := map[string]ConvLayer{}
	for _, l := range mobile {
		byName[l.Layer] = l
	}
	c1 := byName["conv1"].Conv
	require.Equal(t, [7]int{224, 224, 0, 1, 0, 1, 2}, [7]int{c1.H, c1.W, c1.PadTop, c1.PadBottom, c1.PadLeft, c1.PadRight, c1.StrideH})
	dw := byName["conv_dw_2"]
	require.True(t, dw.Depthwise)
	require.Equal(t, kernels.ActReLU6, dw.Act, "the ReLU6 after its BatchNormalization")
	require.Equal(t, [6]int{112, 64, 0, 1, 2, 56}, [6]int{dw.DW.H, dw.DW.C, dw.DW.PadTop, dw.DW.PadBottom, dw.DW.StrideH, dw.DW.OutH()})

	resnet, err := suiteConvLayers("resnet50", 1)
	require.NoError(t, err)
	c1 = resnet[0].Conv
	require.Equal(t, "conv1_conv", resnet[0].Layer)
	require.Equal(t, [4]int{230, 0, 7, 112}, [4]int{c1.H, c1.PadTop, c1.KH, c1.OutH()})
	var names []string
	for _, l := range resnet {
		names = append(names, l.Layer)
	}
	want := []string{"conv1_conv"}
	for s := 2; s <= 5; s++ {
		for _, c := range []string{"block1_0", "block1_1", "block1_2", "block1_3", "block2_1"} {
			want = append(want, fmt.Sprintf("conv%d_%s_conv", s, c))
		}
	}
	require.Equal(t, want, names, "conv1, each stage's first block and the shape its second block adds")
	acts := map[string]kernels.Activation{}
	for _, l := range resnet[:6] {
		acts[l.Layer] = l.Act
	}
	require.Equal(t, map[string]kernels.Activation{"conv1_conv": kernels.ActReLU, "conv2_block1_0_conv": kernels.ActNone,
		"conv2_block1_1_conv": kernels.ActReLU, "conv2_block1_2_conv": kernels.ActReLU, "conv2_block1_3_conv": kernels.ActNone,
		"conv2_block2_1_conv": kernels.ActReLU}, acts, "ReLU after the BatchNormalization, none before the residual add")
}

// The gemm suite's VGG16 shapes: one per distinct layer, under its first name.
func TestVGG16GemmShapes(t *testing.T) {
	gs, err := vgg16GemmShapes()
	require.NoError(t, err)
	require.Equal(t, []gemmShape{
		{"vgg16/block1_conv1", 50176, 64, 27}, {"vgg16/block1_conv2", 50176, 64, 576},
		{"vgg16/block2_conv1", 12544, 128, 576}, {"vgg16/block2_conv2", 12544, 128, 1152},
		{"vgg16/block3_conv1", 3136, 256, 1152}, {"vgg16/block3_conv2", 3136, 256, 2304},
		{"vgg16/block4_conv1", 784, 512, 2304}, {"vgg16/block4_conv2", 784, 512, 4608},
		{"vgg16/block5_conv1", 196, 512, 4608},
	}, gs)
}
