package zoo

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

// resnetV2 builds ResNet50V2 (blocks 3, 4, 6, 3), ResNet101V2 (3, 4, 23, 3)
// or ResNet152V2 (3, 8, 36, 3) as resnet_common.py does. Unlike v1, each
// stack downsamples in its last block, and conv5 not at all.
func resnetV2(name string, blocks [4]int, o Options, in Shape) (*nn.Model, error) {
	return resnet(name, true, o, in, func(b *builder, x *nn.Node) *nn.Node {
		x = resnetStack2(b, x, 64, blocks[0], 2, "conv2")
		x = resnetStack2(b, x, 128, blocks[1], 2, "conv3")
		x = resnetStack2(b, x, 256, blocks[2], 2, "conv4")
		return resnetStack2(b, x, 512, blocks[3], 1, "conv5")
	})
}

// resnetStack2 is resnet_common's stack2: a projection block, identity
// blocks, and a last block of stride stride1.
func resnetStack2(b *builder, x *nn.Node, filters, blocks, stride1 int, name string) *nn.Node {
	x = resnetBlock2(b, x, filters, 1, true, name+"_block1")
	for i := 2; i < blocks; i++ {
		x = resnetBlock2(b, x, filters, 1, false, fmt.Sprintf("%s_block%d", name, i))
	}
	return resnetBlock2(b, x, filters, stride1, false, fmt.Sprintf("%s_block%d", name, blocks))
}

// resnetBlock2 is resnet_common's block2 (pre-activation bottleneck), in its
// order of layer creation. The strided identity shortcut is an unnamed 1x1
// max pool, so Keras names it max_pooling2d_N.
func resnetBlock2(b *builder, x *nn.Node, filters, stride int, convShortcut bool, name string) *nn.Node {
	noBias := nn.WithUseBias(false)
	preact := b.bn(x, name+"_preact_bn", 3, resnetEps)
	preact = b.relu(preact, name+"_preact_relu")
	shortcut := x
	switch {
	case convShortcut:
		shortcut = b.conv(preact, name+"_0_conv", 4*filters, 1, stride, "valid")
	case stride > 1:
		shortcut = b.maxPool(x, "", 1, stride, "valid")
	}
	x = b.conv(preact, name+"_1_conv", filters, 1, 1, "valid", noBias)
	x = b.bn(x, name+"_1_bn", 3, resnetEps)
	x = b.relu(x, name+"_1_relu")
	x = b.pad(x, name+"_2_pad", 1, 1, 1, 1)
	x = b.conv(x, name+"_2_conv", filters, 3, stride, "valid", noBias)
	x = b.bn(x, name+"_2_bn", 3, resnetEps)
	x = b.relu(x, name+"_2_relu")
	x = b.conv(x, name+"_3_conv", 4*filters, 1, 1, "valid")
	return b.add(name+"_out", shortcut, x)
}
