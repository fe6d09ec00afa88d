package zoo

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

// fcholletV07 is inception_resnet_v2.py's BASE_WEIGHT_URL.
const fcholletV07 = "https://github.com/fchollet/deep-learning-models/releases/download/v0.7/"

func init() {
	Register(Spec{
		Name: "inception_resnet_v2", KerasName: "InceptionResNetV2", Build: inceptionResNetV2,
		DefaultSize: 299, MinSize: 75, Preprocess: "tf",
		Weights:   kerasFiles(fcholletV07, "inception_resnet_v2", "d19885ff4a710c122648d3b5c3b684e4", "e693bd0210a403b3192acc6073ad2e96"),
		Head:      HeadGlobalAverage,
		Published: Published{SizeMB: 215, Top1: 0.803, Top5: 0.953, Params: 55873736, Depth: 449},
	})
}

// irConv is inception_resnet_v2.py's conv2d_bn with its defaults (ReLU, no
// bias): a rows x cols Conv2D, BatchNormalization without gamma and the
// activation. A name gives name, name_bn and name_ac; "" the automatic names.
func (b *builder) irConv(x *nn.Node, name string, filters, rows, cols, stride int, padding nn.Padding) *nn.Node {
	bnName, acName := "", ""
	if name != "" {
		bnName, acName = name+"_bn", name+"_ac"
	}
	x = nn.NewConv2D(filters, rows, cols, b.opts(name, nn.WithStrides(stride), nn.WithPadding(padding), nn.WithUseBias(false))...).Apply(x)
	x = b.bn(x, bnName, 3, nn.WithScale(false))
	return b.relu(x, acName)
}

// inceptionResNetBlock is inception_resnet_block: the branches of block
// type block35, block17 or block8, their concatenation blockT_i_mixed, a 1x1
// convolution with bias and no BatchNormalization (blockT_i_conv) back to
// x's channels, the scaled residual blockT_i = x + scale * conv, and the
// ReLU blockT_i_ac unless activation is false.
func (b *builder) inceptionResNetBlock(x *nn.Node, scale float64, blockType string, idx int, activation bool) *nn.Node {
	cbn := func(x *nn.Node, filters, rows, cols int) *nn.Node {
		return b.irConv(x, "", filters, rows, cols, 1, "same")
	}
	var branches []*nn.Node
	switch blockType {
	case "block35":
		branch0 := cbn(x, 32, 1, 1)
		branch1 := cbn(x, 32, 1, 1)
		branch1 = cbn(branch1, 32, 3, 3)
		branch2 := cbn(x, 32, 1, 1)
		branch2 = cbn(branch2, 48, 3, 3)
		branch2 = cbn(branch2, 64, 3, 3)
		branches = []*nn.Node{branch0, branch1, branch2}
	case "block17":
		branch0 := cbn(x, 192, 1, 1)
		branch1 := cbn(x, 128, 1, 1)
		branch1 = cbn(branch1, 160, 1, 7)
		branch1 = cbn(branch1, 192, 7, 1)
		branches = []*nn.Node{branch0, branch1}
	case "block8":
		branch0 := cbn(x, 192, 1, 1)
		branch1 := cbn(x, 192, 1, 1)
		branch1 = cbn(branch1, 224, 1, 3)
		branch1 = cbn(branch1, 256, 3, 1)
		branches = []*nn.Node{branch0, branch1}
	default:
		panic("zoo: unknown Inception-ResNet block type " + blockType)
	}
	name := fmt.Sprintf("%s_%d", blockType, idx)
	mixed := b.inceptionConcat(name+"_mixed", branches...)
	channels := x.Shape()[len(x.Shape())-1]
	up := b.conv(mixed, name+"_conv", channels, 1, 1, "same")
	x = nn.NewCustomScaleLayer(scale, b.opts(name)...).Apply(x, up)
	if activation {
		x = b.relu(x, name+"_ac")
	}
	return x
}

// inceptionResNetV2 builds InceptionResNetV2 as keras_applications'
// inception_resnet_v2.py does, statement for statement: the creation order
// fixes the automatic names. Its Lambda residuals are CustomScaleLayers, as
// Keras 3 writes them and as the golden graphs have them.
func inceptionResNetV2(o Options, in Shape) (*nn.Model, error) {
	b := newBuilder()
	img := b.input(in)
	cbn := func(x *nn.Node, filters, k int) *nn.Node { return b.irConv(x, "", filters, k, k, 1, "same") }
	reduce := func(x *nn.Node, filters, k int) *nn.Node { return b.irConv(x, "", filters, k, k, 2, "valid") }

	// Stem block: 35 x 35 x 192.
	x := reduce(img, 32, 3)
	x = b.irConv(x, "", 32, 3, 3, 1, "valid")
	x = cbn(x, 64, 3)
	x = b.maxPool(x, "", 3, 2, "valid")
	x = b.irConv(x, "", 80, 1, 1, 1, "valid")
	x = b.irConv(x, "", 192, 3, 3, 1, "valid")
	x = b.maxPool(x, "", 3, 2, "valid")

	// Mixed 5b (Inception-A block): 35 x 35 x 320.
	branch0 := cbn(x, 96, 1)
	branch1 := cbn(x, 48, 1)
	branch1 = cbn(branch1, 64, 5)
	branch2 := cbn(x, 64, 1)
	branch2 = cbn(branch2, 96, 3)
	branch2 = cbn(branch2, 96, 3)
	branchPool := cbn(b.inceptionAvgPool(x), 64, 1)
	x = b.inceptionConcat("mixed_5b", branch0, branch1, branch2, branchPool)

	// 10x block35 (Inception-ResNet-A block): 35 x 35 x 320.
	for i := 1; i <= 10; i++ {
		x = b.inceptionResNetBlock(x, 0.17, "block35", i, true)
	}

	// Mixed 6a (Reduction-A block): 17 x 17 x 1088.
	branch0 = reduce(x, 384, 3)
	branch1 = cbn(x, 256, 1)
	branch1 = cbn(branch1, 256, 3)
	branch1 = reduce(branch1, 384, 3)
	branchPool = b.maxPool(x, "", 3, 2, "valid")
	x = b.inceptionConcat("mixed_6a", branch0, branch1, branchPool)

	// 20x block17 (Inception-ResNet-B block): 17 x 17 x 1088.
	for i := 1; i <= 20; i++ {
		x = b.inceptionResNetBlock(x, 0.1, "block17", i, true)
	}

	// Mixed 7a (Reduction-B block): 8 x 8 x 2080.
	branch0 = cbn(x, 256, 1)
	branch0 = reduce(branch0, 384, 3)
	branch1 = cbn(x, 256, 1)
	branch1 = reduce(branch1, 288, 3)
	branch2 = cbn(x, 256, 1)
	branch2 = cbn(branch2, 288, 3)
	branch2 = reduce(branch2, 320, 3)
	branchPool = b.maxPool(x, "", 3, 2, "valid")
	x = b.inceptionConcat("mixed_7a", branch0, branch1, branch2, branchPool)

	// 10x block8 (Inception-ResNet-C block): 8 x 8 x 2080; the last one
	// unscaled and without activation.
	for i := 1; i <= 9; i++ {
		x = b.inceptionResNetBlock(x, 0.2, "block8", i, true)
	}
	x = b.inceptionResNetBlock(x, 1, "block8", 10, false)

	// Final convolution block: 8 x 8 x 1536.
	x = b.irConv(x, "conv_7b", 1536, 1, 1, 1, "same")

	x = b.classifier(x, o, "avg_pool", "predictions", "", "")
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName("inception_resnet_v2"))
}
