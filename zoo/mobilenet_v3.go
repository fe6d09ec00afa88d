package zoo

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

// Keras 3's mobilenet_v3.py: BASE_WEIGHT_PATH and WEIGHTS_HASHES (MD5; top,
// no top).
const mobilenetV3URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"

var mobilenetV3Hashes = map[string][2]string{
	"large_224_0.75_float":             {"765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"},
	"large_224_1.0_float":              {"59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"},
	"large_minimalistic_224_1.0_float": {"675e7b876c45c57e9e63e6d90a36599c", "ec5221f64a2f6d1ef965a614bdae7973"},
	"small_224_0.75_float":             {"cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"},
	"small_224_1.0_float":              {"8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"},
	"small_minimalistic_224_1.0_float": {"99cd97fb2fcdad2bf028eb838de69e37", "cde8136e733e811080d9fcd8a252f7e4"},
}

func init() {
	for _, v := range []struct {
		name, keras, kind string
		published         Published
	}{
		// Keras publishes no table row for MobileNetV3: top-1 from the
		// docstring's table (mobilenet_v3_{small,large}_1.0_224), no size
		// or top-5; depth is the number of layers with weights.
		{"mobilenet_v3_small", "MobileNetV3Small", "small", Published{Top1: 0.681, Params: 2554968, Depth: 88}},
		{"mobilenet_v3_large", "MobileNetV3Large", "large", Published{Top1: 0.756, Params: 5507432, Depth: 110}},
	} {
		kind := v.kind
		top, _ := mobilenetV3File(kind, Options{IncludeTop: true, Alpha: 1})
		notop, _ := mobilenetV3File(kind, Options{Alpha: 1})
		Register(Spec{
			Name: v.name, KerasName: v.keras,
			Build:       func(o Options, in Shape) (*nn.Model, error) { return mobilenetV3(kind, o, in) },
			DefaultSize: 224, MinSize: 32, Preprocess: "none",
			ImagenetSizes: []int{224}, TopAnySize: true,
			Weights:    [2]WeightsFile{notop, top},
			WeightsFor: func(o Options, _ int) (WeightsFile, error) { return mobilenetV3File(kind, o) },
			CheckImagenet: func(o Options) error {
				if !o.Minimalistic && !oneOfF(o.Alpha, 0.75, 1.0) || o.Minimalistic && o.Alpha != 1 {
					return fmt.Errorf("If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for non minimalistic or `1.0` for minimalistic only.")
				}
				return nil
			},
			Published: v.published,
		})
	}
}

// mobilenetV3File is the ImageNet file of a MobileNetV3 ("small" or
// "large") with the options' alpha and minimalistic.
func mobilenetV3File(kind string, o Options) (WeightsFile, error) {
	mini := ""
	if o.Minimalistic {
		mini = "_minimalistic"
	}
	model := fmt.Sprintf("%s%s_224_%s_float", kind, mini, pyFloat(o.Alpha))
	h, ok := mobilenetV3Hashes[model]
	if !ok {
		return WeightsFile{}, fmt.Errorf("no ImageNet weights for MobileNetV3 %s", model)
	}
	name, hash := "weights_mobilenet_v3_"+model+"_no_top_v2.h5", h[1]
	if o.IncludeTop {
		name, hash = "weights_mobilenet_v3_"+model+".h5", h[0]
	}
	return WeightsFile{Name: name, URL: mobilenetV3URL + name, MD5: hash}, nil
}

// depthV3 is mobilenet_v3.py's _depth with divisor 8.
func depthV3(v float64) int {
	const divisor = 8
	n := max(divisor, int(v+divisor/2.0)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// mobilenetV3 builds MobileNetV3Small or MobileNetV3Large as Keras 3's
// mobilenet_v3.py does.
func mobilenetV3(kind string, o Options, in Shape) (*nn.Model, error) {
	b := newKeras3Builder()
	img := b.input3(in)
	alpha := o.Alpha
	bn := func(x *nn.Node, name string) *nn.Node {
		return b.bn(x, name, -1, nn.WithEpsilon(1e-3), nn.WithMomentum(0.999))
	}
	relu := func(x *nn.Node) *nn.Node { return nn.NewReLU(b.opts("")...).Apply(x) }
	hardSwish := func(x *nn.Node) *nn.Node { return b.act(x, "", "hard_silu") }
	// hardSigmoid is layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0): the two
	// operations are Keras 3 ops named add/multiply, here Rescalings.
	hardSigmoid := func(x *nn.Node) *nn.Node {
		x = b.rescale(x, b.scope.Next("Add"), []float64{1}, []float64{3})
		x = nn.NewReLU(b.opts("", nn.WithMaxValue(6))...).Apply(x)
		return b.rescale(x, b.scope.Next("Multiply"), []float64{1.0 / 6.0}, []float64{0})
	}
	kernel, activation, seRatio := 5, hardSwish, 0.25
	if o.Minimalistic {
		kernel, activation, seRatio = 3, relu, 0
	}
	seBlock := func(in *nn.Node, filters int, prefix string) *nn.Node {
		x := nn.NewGlobalAveragePooling2D(b.opts(prefix+"squeeze_excite_avg_pool", nn.WithKeepDims(true))...).Apply(in)
		x = b.conv(x, prefix+"squeeze_excite_conv", depthV3(float64(filters)*seRatio), 1, 1, "same")
		x = nn.NewReLU(b.opts(prefix + "squeeze_excite_relu")...).Apply(x)
		x = b.conv(x, prefix+"squeeze_excite_conv_1", filters, 1, 1, "same")
		x = hardSigmoid(x)
		return nn.NewMultiply(b.opts(prefix+"squeeze_excite_mul")...).Apply(in, x)
	}
	block := func(x *nn.Node, expansion float64, filters, k, stride int, se bool, act func(*nn.Node) *nn.Node, id int) *nn.Node {
		shortcut := x
		prefix := "expanded_conv_"
		infilters := x.Shape()[2]
		expanded := depthV3(float64(infilters) * expansion)
		if id != 0 {
			prefix = fmt.Sprintf("expanded_conv_%d_", id)
			x = b.conv(x, prefix+"expand", expanded, 1, 1, "same", nn.WithUseBias(false))
			x = bn(x, prefix+"expand_bn")
			x = act(x)
		}
		padding := nn.PaddingSame
		if stride == 2 {
			x = b.correctPad(x, prefix+"depthwise_pad", k)
			padding = nn.PaddingValid
		}
		x = b.dwk(x, prefix+"depthwise", k, stride, padding)
		x = bn(x, prefix+"depthwise_bn")
		x = act(x)
		if se && seRatio > 0 {
			x = seBlock(x, expanded, prefix)
		}
		x = b.conv(x, prefix+"project", filters, 1, 1, "same", nn.WithUseBias(false))
		x = bn(x, prefix+"project_bn")
		if stride == 1 && infilters == filters {
			x = b.add(prefix+"add", shortcut, x)
		}
		return x
	}
	depth := func(d float64) int { return depthV3(d * alpha) }

	x := img
	if !o.NoPreprocessing {
		x = b.rescale(x, "", []float64{1.0 / 127.5}, []float64{-1})
	}
	x = b.conv(x, "conv", 16, 3, 2, "same", nn.WithUseBias(false))
	x = bn(x, "conv_bn")
	x = activation(x)

	lastPoint := 1024
	type blk struct {
		exp       float64
		filters   float64
		k, stride int
		se        bool
		act       func(*nn.Node) *nn.Node
	}
	var blocks []blk
	if kind == "small" {
		blocks = []blk{
			{1, 16, 3, 2, true, relu}, {72.0 / 16, 24, 3, 2, false, relu}, {88.0 / 24, 24, 3, 1, false, relu},
			{4, 40, kernel, 2, true, activation}, {6, 40, kernel, 1, true, activation}, {6, 40, kernel, 1, true, activation},
			{3, 48, kernel, 1, true, activation}, {3, 48, kernel, 1, true, activation},
			{6, 96, kernel, 2, true, activation}, {6, 96, kernel, 1, true, activation}, {6, 96, kernel, 1, true, activation},
		}
	} else {
		lastPoint = 1280
		blocks = []blk{
			{1, 16, 3, 1, false, relu}, {4, 24, 3, 2, false, relu}, {3, 24, 3, 1, false, relu},
			{3, 40, kernel, 2, true, relu}, {3, 40, kernel, 1, true, relu}, {3, 40, kernel, 1, true, relu},
			{6, 80, 3, 2, false, activation}, {2.5, 80, 3, 1, false, activation},
			{2.3, 80, 3, 1, false, activation}, {2.3, 80, 3, 1, false, activation},
			{6, 112, 3, 1, true, activation}, {6, 112, 3, 1, true, activation},
			{6, 160, kernel, 2, true, activation}, {6, 160, kernel, 1, true, activation}, {6, 160, kernel, 1, true, activation},
		}
	}
	for i, bl := range blocks {
		x = block(x, bl.exp, depth(bl.filters), bl.k, bl.stride, bl.se, bl.act, i)
	}
	lastConv := depthV3(float64(x.Shape()[2]) * 6)
	if alpha > 1 {
		lastPoint = depthV3(float64(lastPoint) * alpha)
	}
	x = b.conv(x, "conv_1", lastConv, 1, 1, "same", nn.WithUseBias(false))
	x = bn(x, "conv_1_bn")
	x = activation(x)
	if o.IncludeTop {
		x = nn.NewGlobalAveragePooling2D(b.opts("", nn.WithKeepDims(true))...).Apply(x)
		x = b.conv(x, "conv_2", lastPoint, 1, 1, "same")
		x = activation(x)
		x = nn.NewDropout(0.2, b.opts("")...).Apply(x)
		x = b.conv(x, "logits", o.Classes, 1, 1, "same")
		x = nn.NewFlatten(b.opts("")...).Apply(x)
		x = b.act(x, "predictions", "softmax")
	} else {
		x = b.pooling(x, o.Pooling, "avg_pool", "max_pool")
	}
	name := "MobileNetV3Small"
	if kind == "large" {
		name = "MobileNetV3Large"
	}
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName(name))
}
