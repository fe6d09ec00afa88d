package zoo

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

func init() {
	Register(Spec{
		Name: "xception", KerasName: "Xception", Build: xception,
		DefaultSize: 299, MinSize: 71, Preprocess: "tf",
		Weights:   kerasFiles(fcholletV04, "xception", "b0042744bf5b25fce3cb969f33bebb97", "0a58e3b7378bc2990ea3b43d5981f1f6"),
		Head:      HeadGlobalAverage,
		Published: Published{SizeMB: 88, Top1: 0.790, Top5: 0.945, Params: 22910480, Depth: 81},
	})
}

// xception builds Xception as keras_applications' xception.py does. Layers
// are created in the file's order, so the unnamed residual convs, their
// batch norms and the adds get Keras' automatic names (conv2d_1..4,
// batch_normalization_1..4, add_1..12).
func xception(o Options, in Shape) (*nn.Model, error) {
	b := newBuilder()
	img := b.input(in)
	noBias := nn.WithUseBias(false)
	bn := func(x *nn.Node, name string) *nn.Node { return b.bn(x, name, -1) }

	x := b.conv(img, "block1_conv1", 32, 3, 2, "valid", noBias)
	x = bn(x, "block1_conv1_bn")
	x = b.relu(x, "block1_conv1_act")
	x = b.conv(x, "block1_conv2", 64, 3, 1, "valid", noBias)
	x = bn(x, "block1_conv2_bn")
	x = b.relu(x, "block1_conv2_act")

	// Entry flow: blocks 2-4 halve the size, with a strided 1x1 projection
	// as the residual. Block 2 starts from an activated tensor, so it has
	// no block2_sepconv1_act.
	for i, filters := range []int{128, 256, 728} {
		blk := fmt.Sprintf("block%d", i+2)
		residual := b.conv(x, "", filters, 1, 2, "same", noBias)
		residual = bn(residual, "")
		if i > 0 {
			x = b.relu(x, blk+"_sepconv1_act")
		}
		x = b.sepconv(x, blk+"_sepconv1", filters, "same")
		x = bn(x, blk+"_sepconv1_bn")
		x = b.relu(x, blk+"_sepconv2_act")
		x = b.sepconv(x, blk+"_sepconv2", filters, "same")
		x = bn(x, blk+"_sepconv2_bn")
		x = b.maxPool(x, blk+"_pool", 3, 2, "same")
		x = b.add("", x, residual)
	}

	// Middle flow: eight identity blocks of three ReLU-SeparableConv2D-BN.
	for i := 5; i <= 12; i++ {
		residual := x
		for j := 1; j <= 3; j++ {
			name := fmt.Sprintf("block%d_sepconv%d", i, j)
			x = b.relu(x, name+"_act")
			x = b.sepconv(x, name, 728, "same")
			x = bn(x, name+"_bn")
		}
		x = b.add("", x, residual)
	}

	// Exit flow.
	residual := b.conv(x, "", 1024, 1, 2, "same", noBias)
	residual = bn(residual, "")
	x = b.relu(x, "block13_sepconv1_act")
	x = b.sepconv(x, "block13_sepconv1", 728, "same")
	x = bn(x, "block13_sepconv1_bn")
	x = b.relu(x, "block13_sepconv2_act")
	x = b.sepconv(x, "block13_sepconv2", 1024, "same")
	x = bn(x, "block13_sepconv2_bn")
	x = b.maxPool(x, "block13_pool", 3, 2, "same")
	x = b.add("", x, residual)

	// Block 14 activates after each batch norm.
	for j, filters := range []int{1536, 2048} {
		name := fmt.Sprintf("block14_sepconv%d", j+1)
		x = b.sepconv(x, name, filters, "same")
		x = bn(x, name+"_bn")
		x = b.relu(x, name+"_act")
	}

	x = b.classifier(x, o, "avg_pool", "predictions", "", "")
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName("xception"))
}
