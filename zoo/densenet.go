package zoo

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

// kerasDensenet is densenet.py's BASE_WEIGTHS_PATH.
const kerasDensenet = "https://github.com/keras-team/keras-applications/releases/download/densenet/"

func init() {
	for _, m := range []struct {
		name, keras string
		blocks      [4]int
		md5         [2]string // notop, top
		pub         Published
	}{
		{"densenet121", "DenseNet121", [4]int{6, 12, 24, 16},
			[2]string{"30ee3e1110167f948a6b9946edeeb738", "9d60b8095a5708f2dcce2bca79d332c7"},
			Published{SizeMB: 33, Top1: 0.750, Top5: 0.923, Params: 8062504, Depth: 242}},
		{"densenet169", "DenseNet169", [4]int{6, 12, 32, 32},
			[2]string{"b8c4d4c20dd625c148057b9ff1c1176b", "d699b8f76981ab1b30698df4c175e90b"},
			Published{SizeMB: 57, Top1: 0.762, Top5: 0.932, Params: 14307880, Depth: 338}},
		{"densenet201", "DenseNet201", [4]int{6, 12, 48, 32},
			[2]string{"c13680b51ded0fb44dff2d8f86ac8bb1", "1ceb130c1ea1b78c3bf6114dbdfd8807"},
			Published{SizeMB: 80, Top1: 0.773, Top5: 0.936, Params: 20242984, Depth: 402}},
	} {
		Register(Spec{
			Name: m.name, KerasName: m.keras,
			Build:       func(o Options, in Shape) (*nn.Model, error) { return densenet(m.name, m.blocks, o, in) },
			DefaultSize: 224, MinSize: 32, Preprocess: "torch",
			Weights: kerasFiles(kerasDensenet, m.name, m.md5[0], m.md5[1]),
			Head:    HeadGlobalAverage, Published: m.pub,
		})
	}
}

// densenet builds DenseNet121 (blocks 6, 12, 24, 16), DenseNet169 (6, 12,
// 32, 32) or DenseNet201 (6, 12, 48, 32) as keras_applications' densenet.py
// does: BatchNormalization epsilon 1.001e-5, convolutions without bias,
// growth rate 32, compression 0.5, the two paddings automatically named.
func densenet(name string, blocks [4]int, o Options, in Shape) (*nn.Model, error) {
	const growth = 32
	b := newBuilder()
	img := b.input(in)
	eps := nn.WithEpsilon(1.001e-5)
	noBias := nn.WithUseBias(false)
	bn := func(x *nn.Node, name string) *nn.Node { return b.bn(x, name, 3, eps) }

	// conv_block: the new features, concatenated after the block's input.
	convBlock := func(x *nn.Node, name string) *nn.Node {
		x1 := bn(x, name+"_0_bn")
		x1 = b.relu(x1, name+"_0_relu")
		x1 = b.conv(x1, name+"_1_conv", 4*growth, 1, 1, "valid", noBias)
		x1 = bn(x1, name+"_1_bn")
		x1 = b.relu(x1, name+"_1_relu")
		x1 = b.conv(x1, name+"_2_conv", growth, 3, 1, "same", noBias)
		return nn.NewConcatenate(b.opts(name+"_concat", nn.WithAxis(3))...).Apply(x, x1)
	}
	denseBlock := func(x *nn.Node, n int, name string) *nn.Node {
		for i := 1; i <= n; i++ {
			x = convBlock(x, fmt.Sprintf("%s_block%d", name, i))
		}
		return x
	}
	// transition_block with reduction 0.5: int(channels * 0.5) filters.
	transition := func(x *nn.Node, name string) *nn.Node {
		x = bn(x, name+"_bn")
		x = b.relu(x, name+"_relu")
		x = b.conv(x, name+"_conv", int(float64(x.Shape()[2])*0.5), 1, 1, "valid", noBias)
		return nn.NewAveragePooling2D(2, 2, b.opts(name+"_pool", nn.WithStrides(2))...).Apply(x)
	}

	x := b.pad(img, "", 3, 3, 3, 3)
	x = b.conv(x, "conv1/conv", 64, 7, 2, "valid", noBias)
	x = bn(x, "conv1/bn")
	x = b.relu(x, "conv1/relu")
	x = b.pad(x, "", 1, 1, 1, 1)
	x = b.maxPool(x, "pool1", 3, 2, "valid")
	for i, n := range blocks {
		x = denseBlock(x, n, fmt.Sprintf("conv%d", i+2))
		if i < len(blocks)-1 {
			x = transition(x, fmt.Sprintf("pool%d", i+2))
		}
	}
	x = bn(x, "bn")
	x = b.relu(x, "relu")
	x = b.classifier(x, o, "avg_pool", "fc1000", "avg_pool", "max_pool")
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName(name))
}
