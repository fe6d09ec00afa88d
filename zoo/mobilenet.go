package zoo

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

func init() {
	Register(Spec{
		Name: "mobilenet", KerasName: "MobileNet", Build: mobilenet,
		DefaultSize: 224, MinSize: 32, ImagenetSizes: []int{128, 160, 192, 224}, Preprocess: "tf",
		WeightsFor: func(o Options, rows int) (WeightsFile, error) { return mobilenetWeights(o.IncludeTop, o.Alpha, rows) },
		CheckImagenet: func(o Options) error {
			if o.DepthMultiplier != 1 {
				return fmt.Errorf("If imagenet weights are being loaded, depth multiplier must be 1")
			}
			if !oneOfF(o.Alpha, 0.25, 0.5, 0.75, 1.0) {
				return fmt.Errorf("If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, `0.75` or `1.0` only.")
			}
			return nil
		},
		Published: Published{SizeMB: 16, Top1: 0.704, Top5: 0.895, Params: 4253864, Depth: 55},
	})
	Register(Spec{
		Name: "mobilenet_v2", KerasName: "MobileNetV2", Build: mobilenetV2,
		DefaultSize: 224, MinSize: 32, ImagenetSizes: []int{96, 128, 160, 192, 224}, Preprocess: "tf",
		WeightsFor: func(o Options, rows int) (WeightsFile, error) { return mobilenetV2Weights(o.IncludeTop, o.Alpha, rows) },
		CheckImagenet: func(o Options) error {
			if !oneOfF(o.Alpha, 0.35, 0.5, 0.75, 1.0, 1.3, 1.4) {
				return fmt.Errorf("If imagenet weights are being loaded, alpha can be one of `0.35`, `0.50`, `0.75`, `1.0`, `1.3` or `1.4` only.")
			}
			return nil
		},
		Published: Published{SizeMB: 14, Top1: 0.713, Top5: 0.901, Params: 3538984, Depth: 105},
	})
}

// mobilenet builds MobileNet v1 as keras_applications' mobilenet.py does.
func mobilenet(o Options, in Shape) (*nn.Model, error) {
	b := newBuilder()
	img := b.input(in)
	alpha, dm := o.Alpha, o.DepthMultiplier
	// _conv_block
	x := b.pad(img, "conv1_pad", 0, 1, 0, 1)
	x = b.conv(x, "conv1", int(32*alpha), 3, 2, "valid", nn.WithUseBias(false))
	x = b.bn(x, "conv1_bn", -1)
	x = b.relu6(x, "conv1_relu")

	dwBlock := func(x *nn.Node, filters, stride, id int) *nn.Node {
		padding := nn.PaddingSame
		if stride != 1 {
			x = b.pad(x, fmt.Sprintf("conv_pad_%d", id), 0, 1, 0, 1)
			padding = nn.PaddingValid
		}
		x = b.depthwise(x, fmt.Sprintf("conv_dw_%d", id), stride, dm, padding)
		x = b.bn(x, fmt.Sprintf("conv_dw_%d_bn", id), -1)
		x = b.relu6(x, fmt.Sprintf("conv_dw_%d_relu", id))
		x = b.conv(x, fmt.Sprintf("conv_pw_%d", id), int(float64(filters)*alpha), 1, 1, "same", nn.WithUseBias(false))
		x = b.bn(x, fmt.Sprintf("conv_pw_%d_bn", id), -1)
		return b.relu6(x, fmt.Sprintf("conv_pw_%d_relu", id))
	}
	blocks := []struct{ filters, stride int }{
		{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
		{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1},
	}
	for i, blk := range blocks {
		x = dwBlock(x, blk.filters, blk.stride, i+1)
	}
	if o.IncludeTop {
		x = nn.NewGlobalAveragePooling2D(b.opts("")...).Apply(x)
		x = nn.NewReshape([]int{1, 1, int(1024 * alpha)}, b.opts("reshape_1")...).Apply(x)
		x = nn.NewDropout(o.Dropout, b.opts("dropout")...).Apply(x)
		x = b.conv(x, "conv_preds", o.Classes, 1, 1, "same")
		x = nn.NewReshape([]int{o.Classes}, b.opts("reshape_2")...).Apply(x)
		x = nn.NewActivation("softmax", b.opts("act_softmax")...).Apply(x)
	} else {
		x = b.pooling(x, o.Pooling, "", "")
	}
	name := fmt.Sprintf("mobilenet_%0.2f_%d", alpha, in[0])
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName(name))
}

// mobilenetV2 builds MobileNetV2 as keras_applications' mobilenet_v2.py does
// (with its explicit Conv1_pad ZeroPadding2D).
func mobilenetV2(o Options, in Shape) (*nn.Model, error) {
	b := newBuilder()
	img := b.input(in)
	alpha := o.Alpha
	bnOpts := []nn.Option{nn.WithEpsilon(1e-3), nn.WithMomentum(0.999)}
	bn := func(x *nn.Node, name string) *nn.Node { return b.bn(x, name, -1, bnOpts...) }
	// correctPad is imagenet_utils.correct_pad for a 3x3 kernel: ((0,1),(0,1))
	// on even sizes, ((1,1),(1,1)) on odd ones.
	correctPad := func(x *nn.Node, name string) *nn.Node {
		s := x.Shape()
		adjH, adjW := 1-s[0]%2, 1-s[1]%2
		return b.pad(x, name, 1-adjH, 1, 1-adjW, 1)
	}
	x := correctPad(img, "Conv1_pad")
	x = b.conv(x, "Conv1", makeDivisible(32*alpha, 8), 3, 2, "valid", nn.WithUseBias(false))
	x = bn(x, "bn_Conv1")
	x = b.relu6(x, "Conv1_relu")

	invertedRes := func(in *nn.Node, expansion, stride, filters, id int) *nn.Node {
		inChannels := in.Shape()[2]
		pointwise := makeDivisible(float64(int(float64(filters)*alpha)), 8)
		x := in
		prefix := fmt.Sprintf("block_%d_", id)
		if id != 0 {
			x = b.conv(x, prefix+"expand", expansion*inChannels, 1, 1, "same", nn.WithUseBias(false))
			x = bn(x, prefix+"expand_BN")
			x = b.relu6(x, prefix+"expand_relu")
		} else {
			prefix = "expanded_conv_"
		}
		padding := nn.PaddingSame
		if stride == 2 {
			x = correctPad(x, prefix+"pad")
			padding = nn.PaddingValid
		}
		x = b.depthwise(x, prefix+"depthwise", stride, 1, padding)
		x = bn(x, prefix+"depthwise_BN")
		x = b.relu6(x, prefix+"depthwise_relu")
		x = b.conv(x, prefix+"project", pointwise, 1, 1, "same", nn.WithUseBias(false))
		x = bn(x, prefix+"project_BN")
		if inChannels == pointwise && stride == 1 {
			return b.add(prefix+"add", in, x)
		}
		return x
	}
	blocks := []struct{ filters, stride, expansion int }{
		{16, 1, 1}, {24, 2, 6}, {24, 1, 6}, {32, 2, 6}, {32, 1, 6}, {32, 1, 6},
		{64, 2, 6}, {64, 1, 6}, {64, 1, 6}, {64, 1, 6}, {96, 1, 6}, {96, 1, 6}, {96, 1, 6},
		{160, 2, 6}, {160, 1, 6}, {160, 1, 6}, {320, 1, 6},
	}
	for i, blk := range blocks {
		x = invertedRes(x, blk.expansion, blk.stride, blk.filters, i)
	}
	last := 1280
	if alpha > 1 {
		last = makeDivisible(1280*alpha, 8)
	}
	x = b.conv(x, "Conv_1", last, 1, 1, "valid", nn.WithUseBias(false))
	x = bn(x, "Conv_1_bn")
	x = b.relu6(x, "out_relu")
	x = b.classifier(x, o, "", "Logits", "", "")
	name := fmt.Sprintf("mobilenetv2_%0.2f_%d", alpha, in[0])
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName(name))
}

// makeDivisible is mobilenet_v2's _make_divisible with divisor d: v rounded to
// the nearest multiple of d, at least d, and never more than 10% below v.
func makeDivisible(v float64, d int) int {
	n := max(d, int(v+float64(d)/2)/d*d)
	if float64(n) < 0.9*v {
		n += d
	}
	return n
}
