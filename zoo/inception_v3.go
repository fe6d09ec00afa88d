package zoo

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

// fcholletV05 is where inception_v3.py publishes its files.
const fcholletV05 = "https://github.com/fchollet/deep-learning-models/releases/download/v0.5/"

func init() {
	Register(Spec{
		Name: "inception_v3", KerasName: "InceptionV3", Build: inceptionV3,
		DefaultSize: 299, MinSize: 75, Preprocess: "tf",
		Weights:   kerasFiles(fcholletV05, "inception_v3", "bcbd6486424b2319ff4ef7d526e38f63", "9a0d58056eeedaa3f26cb7ebd46da564"),
		Head:      HeadGlobalAverage,
		Published: Published{SizeMB: 92, Top1: 0.779, Top5: 0.937, Params: 23851784, Depth: 189},
	})
}

// inceptionConvBN is inception_v3.py's conv2d_bn: a rows x cols Conv2D
// without bias, BatchNormalization without gamma (scale=False) and ReLU, all
// automatically named (conv2d_N, batch_normalization_N, activation_N).
func (b *builder) inceptionConvBN(x *nn.Node, filters, rows, cols, stride int, padding nn.Padding) *nn.Node {
	x = nn.NewConv2D(filters, rows, cols, b.opts("", nn.WithStrides(stride), nn.WithPadding(padding), nn.WithUseBias(false))...).Apply(x)
	x = b.bn(x, "", 3, nn.WithScale(false))
	return b.relu(x, "")
}

// inceptionConcat is Concatenate along the channels (axis 3, as the Inception code
// passes it); name "" gives concatenate_N.
func (b *builder) inceptionConcat(name string, xs ...*nn.Node) *nn.Node {
	return nn.NewConcatenate(b.opts(name, nn.WithAxis(3))...).Apply(xs...)
}

// inceptionAvgPool is the Inception branches' AveragePooling2D 3x3, stride 1, same.
func (b *builder) inceptionAvgPool(x *nn.Node) *nn.Node {
	return nn.NewAveragePooling2D(3, 3, b.opts("", nn.WithStrides(1), nn.WithPadding("same"))...).Apply(x)
}

// inceptionV3 builds InceptionV3 as keras_applications' inception_v3.py
// does, statement for statement: the creation order fixes the automatic
// names (conv2d_33 is the first 1x7 convolution).
func inceptionV3(o Options, in Shape) (*nn.Model, error) {
	b := newBuilder()
	img := b.input(in)
	cbn := func(x *nn.Node, filters, rows, cols int) *nn.Node {
		return b.inceptionConvBN(x, filters, rows, cols, 1, "same")
	}
	// reduce is a stride-2 valid conv2d_bn.
	reduce := func(x *nn.Node, filters, rows, cols int) *nn.Node {
		return b.inceptionConvBN(x, filters, rows, cols, 2, "valid")
	}

	x := reduce(img, 32, 3, 3)
	x = b.inceptionConvBN(x, 32, 3, 3, 1, "valid")
	x = cbn(x, 64, 3, 3)
	x = b.maxPool(x, "", 3, 2, "valid")
	x = b.inceptionConvBN(x, 80, 1, 1, 1, "valid")
	x = b.inceptionConvBN(x, 192, 3, 3, 1, "valid")
	x = b.maxPool(x, "", 3, 2, "valid")

	// mixed 0, 1, 2: 35 x 35 x 256, 288, 288.
	for i, poolFilters := range []int{32, 64, 64} {
		branch1x1 := cbn(x, 64, 1, 1)
		branch5x5 := cbn(x, 48, 1, 1)
		branch5x5 = cbn(branch5x5, 64, 5, 5)
		branch3x3dbl := cbn(x, 64, 1, 1)
		branch3x3dbl = cbn(branch3x3dbl, 96, 3, 3)
		branch3x3dbl = cbn(branch3x3dbl, 96, 3, 3)
		branchPool := cbn(b.inceptionAvgPool(x), poolFilters, 1, 1)
		x = b.inceptionConcat(fmt.Sprintf("mixed%d", i), branch1x1, branch5x5, branch3x3dbl, branchPool)
	}

	// mixed 3: 17 x 17 x 768.
	branch3x3 := reduce(x, 384, 3, 3)
	branch3x3dbl := cbn(x, 64, 1, 1)
	branch3x3dbl = cbn(branch3x3dbl, 96, 3, 3)
	branch3x3dbl = reduce(branch3x3dbl, 96, 3, 3)
	branchPool := b.maxPool(x, "", 3, 2, "valid")
	x = b.inceptionConcat("mixed3", branch3x3, branch3x3dbl, branchPool)

	// mixed 4, 5, 6, 7: 17 x 17 x 768, the 7x7 factorised into 1x7 and 7x1.
	for i, f := range []int{128, 160, 160, 192} {
		branch1x1 := cbn(x, 192, 1, 1)
		branch7x7 := cbn(x, f, 1, 1)
		branch7x7 = cbn(branch7x7, f, 1, 7)
		branch7x7 = cbn(branch7x7, 192, 7, 1)
		branch7x7dbl := cbn(x, f, 1, 1)
		branch7x7dbl = cbn(branch7x7dbl, f, 7, 1)
		branch7x7dbl = cbn(branch7x7dbl, f, 1, 7)
		branch7x7dbl = cbn(branch7x7dbl, f, 7, 1)
		branch7x7dbl = cbn(branch7x7dbl, 192, 1, 7)
		branchPool := cbn(b.inceptionAvgPool(x), 192, 1, 1)
		x = b.inceptionConcat(fmt.Sprintf("mixed%d", 4+i), branch1x1, branch7x7, branch7x7dbl, branchPool)
	}

	// mixed 8: 8 x 8 x 1280.
	branch3x3 = cbn(x, 192, 1, 1)
	branch3x3 = reduce(branch3x3, 320, 3, 3)
	branch7x7x3 := cbn(x, 192, 1, 1)
	branch7x7x3 = cbn(branch7x7x3, 192, 1, 7)
	branch7x7x3 = cbn(branch7x7x3, 192, 7, 1)
	branch7x7x3 = reduce(branch7x7x3, 192, 3, 3)
	branchPool = b.maxPool(x, "", 3, 2, "valid")
	x = b.inceptionConcat("mixed8", branch3x3, branch7x7x3, branchPool)

	// mixed 9, 10: 8 x 8 x 2048; the second inner concatenation is unnamed.
	for i := 0; i < 2; i++ {
		branch1x1 := cbn(x, 320, 1, 1)
		branch3x3 := cbn(x, 384, 1, 1)
		branch3x3a := cbn(branch3x3, 384, 1, 3)
		branch3x3b := cbn(branch3x3, 384, 3, 1)
		branch3x3 = b.inceptionConcat(fmt.Sprintf("mixed9_%d", i), branch3x3a, branch3x3b)
		branch3x3dbl := cbn(x, 448, 1, 1)
		branch3x3dbl = cbn(branch3x3dbl, 384, 3, 3)
		branch3x3dblA := cbn(branch3x3dbl, 384, 1, 3)
		branch3x3dblB := cbn(branch3x3dbl, 384, 3, 1)
		branch3x3dbl = b.inceptionConcat("", branch3x3dblA, branch3x3dblB)
		branchPool := cbn(b.inceptionAvgPool(x), 192, 1, 1)
		x = b.inceptionConcat(fmt.Sprintf("mixed%d", 9+i), branch1x1, branch3x3, branch3x3dbl, branchPool)
	}

	x = b.classifier(x, o, "avg_pool", "predictions", "", "")
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName("inception_v3"))
}
