package zoo

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

func init() {
	// resnet_common's models and files: the current layer names
	// (conv2_block1_1_conv). The pre-activation V2s preprocess in mode "tf"
	// (resnet_v2.py), the v1 ResNets in "caffe".
	for _, m := range []struct {
		name, keras, model string // model is resnet_common's model_name
		v2                 bool
		blocks             [4]int
		notopMD5, topMD5   string
		pub                Published
	}{
		{"resnet50", "ResNet50", "resnet50", false, [4]int{3, 4, 6, 3}, "4d473c1dd8becc155b73f8504c6f6626", "2cb95161c43110f7111970584f804107",
			Published{SizeMB: 98, Top1: 0.749, Top5: 0.921, Params: 25636712, Depth: 107}},
		{"resnet101", "ResNet101", "resnet101", false, [4]int{3, 4, 23, 3}, "88cf7a10940856eca736dc7b7e228a21", "f1aeb4b969a6efcfb50fad2f0c20cfc5",
			Published{SizeMB: 171, Top1: 0.764, Top5: 0.928, Params: 44707176, Depth: 209}},
		{"resnet152", "ResNet152", "resnet152", false, [4]int{3, 8, 36, 3}, "ee4c566cf9a93f14d82f913c2dc6dd0c", "100835be76be38e30d865e96f2aaae62",
			Published{SizeMB: 232, Top1: 0.766, Top5: 0.931, Params: 60419944, Depth: 311}},
		{"resnet50_v2", "ResNet50V2", "resnet50v2", true, [4]int{3, 4, 6, 3}, "fac2f116257151a9d068a22e544a4917", "3ef43a0b657b3be2300d5770ece849e0",
			Published{SizeMB: 98, Top1: 0.760, Top5: 0.930, Params: 25613800, Depth: 103}},
		{"resnet101_v2", "ResNet101V2", "resnet101v2", true, [4]int{3, 4, 23, 3}, "c0ed64b8031c3730f411d2eb4eea35b5", "6343647c601c52e1368623803854d971",
			Published{SizeMB: 171, Top1: 0.772, Top5: 0.938, Params: 44675560, Depth: 205}},
		{"resnet152_v2", "ResNet152V2", "resnet152v2", true, [4]int{3, 8, 36, 3}, "ed17cf2e0169df9d443503ef94b23b33", "a49b44d1979771252814e80f8ec446f9",
			Published{SizeMB: 232, Top1: 0.780, Top5: 0.942, Params: 60380648, Depth: 307}},
	} {
		build, mode := resnetV1, PreprocessCaffe
		if m.v2 {
			build, mode = resnetV2, PreprocessTF
		}
		Register(Spec{
			Name: m.name, KerasName: m.keras,
			Build:       func(o Options, in Shape) (*nn.Model, error) { return build(m.model, m.blocks, o, in) },
			DefaultSize: 224, MinSize: 32, Preprocess: mode,
			Weights:   kerasFiles(kerasResnet, m.model, m.notopMD5, m.topMD5),
			Published: m.pub,
		})
	}
	Register(Spec{
		Name: "resnet50_legacy", KerasName: "ResNet50", Build: resnet50Legacy,
		DefaultSize: 224, MinSize: 32, Preprocess: "caffe",
		// resnet50.py's files (what Keras 2.3.1 loads): the legacy names
		// (res2a_branch2a). The same file names as resnet50's, so they are
		// cached under a subdirectory of their own.
		Weights: [2]WeightsFile{
			{Name: "legacy/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", URL: fcholletV02 + "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", MD5: "a268eb855778b3df3c7506639542a6af"},
			{Name: "legacy/resnet50_weights_tf_dim_ordering_tf_kernels.h5", URL: fcholletV02 + "resnet50_weights_tf_dim_ordering_tf_kernels.h5", MD5: "a7b3fe01876f51b976af0dea6bc144eb"},
		},
		Published: Published{SizeMB: 98, Top1: 0.749, Top5: 0.921, Params: 25636712, Depth: 107},
	})
}

// resnetEps is resnet_common's BatchNormalization epsilon.
var resnetEps = nn.WithEpsilon(1.001e-5)

// resnet is resnet_common's ResNet: the 7x7 stem (with BN and ReLU unless
// preact), the stacks, for pre-activation the final post_bn + post_relu,
// and the top "avg_pool" + "probs" or the no-top pooling.
func resnet(name string, preact bool, o Options, in Shape, stacks func(b *builder, x *nn.Node) *nn.Node) (*nn.Model, error) {
	b := newBuilder()
	img := b.input(in)
	x := b.pad(img, "conv1_pad", 3, 3, 3, 3)
	x = b.conv(x, "conv1_conv", 64, 7, 2, "valid")
	if !preact {
		x = b.bn(x, "conv1_bn", 3, resnetEps)
		x = b.relu(x, "conv1_relu")
	}
	x = b.pad(x, "pool1_pad", 1, 1, 1, 1)
	x = b.maxPool(x, "pool1_pool", 3, 2, "valid")
	x = stacks(b, x)
	if preact {
		x = b.bn(x, "post_bn", 3, resnetEps)
		x = b.relu(x, "post_relu")
	}
	x = b.classifier(x, o, "avg_pool", "probs", "avg_pool", "max_pool")
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName(name))
}

// resnetV1 builds ResNet50 (blocks 3, 4, 6, 3), ResNet101 (3, 4, 23, 3) or
// ResNet152 (3, 8, 36, 3) as resnet_common.py does: the naming of tf.keras
// and Keras 3 (conv2_block1_1_conv).
func resnetV1(name string, blocks [4]int, o Options, in Shape) (*nn.Model, error) {
	return resnet(name, false, o, in, func(b *builder, x *nn.Node) *nn.Node {
		x = resnetStack1(b, x, 64, blocks[0], 1, "conv2")
		x = resnetStack1(b, x, 128, blocks[1], 2, "conv3")
		x = resnetStack1(b, x, 256, blocks[2], 2, "conv4")
		return resnetStack1(b, x, 512, blocks[3], 2, "conv5")
	})
}

// resnetStack1 is resnet_common's stack1: a projection block of stride stride1,
// then identity blocks.
func resnetStack1(b *builder, x *nn.Node, filters, blocks, stride1 int, name string) *nn.Node {
	x = resnetBlock1(b, x, filters, stride1, true, name+"_block1")
	for i := 2; i <= blocks; i++ {
		x = resnetBlock1(b, x, filters, 1, false, fmt.Sprintf("%s_block%d", name, i))
	}
	return x
}

// resnetBlock1 is resnet_common's block1 (post-activation bottleneck), in its
// order of layer creation.
func resnetBlock1(b *builder, x *nn.Node, filters, stride int, convShortcut bool, name string) *nn.Node {
	shortcut := x
	if convShortcut {
		shortcut = b.conv(x, name+"_0_conv", 4*filters, 1, stride, "valid")
		shortcut = b.bn(shortcut, name+"_0_bn", 3, resnetEps)
	}
	x = b.conv(x, name+"_1_conv", filters, 1, stride, "valid")
	x = b.bn(x, name+"_1_bn", 3, resnetEps)
	x = b.relu(x, name+"_1_relu")
	x = b.conv(x, name+"_2_conv", filters, 3, 1, "same")
	x = b.bn(x, name+"_2_bn", 3, resnetEps)
	x = b.relu(x, name+"_2_relu")
	x = b.conv(x, name+"_3_conv", 4*filters, 1, 1, "valid")
	x = b.bn(x, name+"_3_bn", 3, resnetEps)
	x = b.add(name+"_add", shortcut, x)
	return b.relu(x, name+"_out")
}

// resnet50Legacy builds ResNet50 as keras_applications' resnet50.py does
// (what Keras 2.3.1's keras.applications.ResNet50 is): res2a_branch2a,
// bn2a_branch2a, epsilon 1e-3, automatically named activations and adds,
// top "avg_pool" + "fc1000".
func resnet50Legacy(o Options, in Shape) (*nn.Model, error) {
	b := newBuilder()
	img := b.input(in)
	x := b.pad(img, "conv1_pad", 3, 3, 3, 3)
	x = b.conv(x, "conv1", 64, 7, 2, "valid")
	x = b.bn(x, "bn_conv1", 3)
	x = b.relu(x, "")
	x = b.pad(x, "pool1_pad", 1, 1, 1, 1)
	x = b.maxPool(x, "", 3, 2, "valid")

	block := func(x *nn.Node, filters [3]int, stage int, blk string, stride int, convShortcut bool) *nn.Node {
		conv := fmt.Sprintf("res%d%s_branch", stage, blk)
		bn := fmt.Sprintf("bn%d%s_branch", stage, blk)
		input := x
		x = b.conv(x, conv+"2a", filters[0], 1, stride, "valid")
		x = b.bn(x, bn+"2a", 3)
		x = b.relu(x, "")
		x = b.conv(x, conv+"2b", filters[1], 3, 1, "same")
		x = b.bn(x, bn+"2b", 3)
		x = b.relu(x, "")
		x = b.conv(x, conv+"2c", filters[2], 1, 1, "valid")
		x = b.bn(x, bn+"2c", 3)
		shortcut := input
		if convShortcut {
			shortcut = b.conv(input, conv+"1", filters[2], 1, stride, "valid")
			shortcut = b.bn(shortcut, bn+"1", 3)
		}
		x = b.add("", x, shortcut)
		return b.relu(x, "")
	}
	stages := []struct {
		stage, blocks, stride int
		filters               [3]int
	}{
		{2, 3, 1, [3]int{64, 64, 256}},
		{3, 4, 2, [3]int{128, 128, 512}},
		{4, 6, 2, [3]int{256, 256, 1024}},
		{5, 3, 2, [3]int{512, 512, 2048}},
	}
	for _, s := range stages {
		for i := 0; i < s.blocks; i++ {
			blk := string(rune('a' + i))
			if i == 0 {
				x = block(x, s.filters, s.stage, blk, s.stride, true)
			} else {
				x = block(x, s.filters, s.stage, blk, 1, false)
			}
		}
	}
	x = b.classifier(x, o, "avg_pool", "fc1000", "", "")
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName("resnet50"))
}
