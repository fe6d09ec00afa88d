package zoo

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

// convnextURL is Keras 3's BASE_WEIGHTS_PATH of convnext.py.
const convnextURL = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"

func init() {
	// convnext.py's MODEL_CONFIGS and WEIGHTS_HASHES (SHA-256: with the
	// top, without). Published: the Keras table; it gives no top-5 and no
	// depth, so Top5 is 0 (unpublished) and Depth the number of layers with
	// weights (inner layers of the stem and downsampling blocks counted).
	for _, m := range []struct {
		name, keras     string
		depths, dims    [4]int
		topSHA, notopSH string
		pub             Published
	}{
		{"convnext_tiny", "ConvNeXtTiny", [4]int{3, 3, 9, 3}, [4]int{96, 192, 384, 768},
			"8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
			"d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
			Published{SizeMB: 109.42, Top1: 0.813, Params: 28589128, Depth: 100}},
		{"convnext_small", "ConvNeXtSmall", [4]int{3, 3, 27, 3}, [4]int{96, 192, 384, 768},
			"ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
			"6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
			Published{SizeMB: 192.29, Top1: 0.823, Params: 50223688, Depth: 190}},
		{"convnext_base", "ConvNeXtBase", [4]int{3, 3, 27, 3}, [4]int{128, 256, 512, 1024},
			"52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
			"40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
			Published{SizeMB: 338.58, Top1: 0.853, Params: 88591464, Depth: 190}},
		{"convnext_large", "ConvNeXtLarge", [4]int{3, 3, 27, 3}, [4]int{192, 384, 768, 1536},
			"070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
			"96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
			Published{SizeMB: 755.07, Top1: 0.863, Params: 197767336, Depth: 190}},
		{"convnext_xlarge", "ConvNeXtXLarge", [4]int{3, 3, 27, 3}, [4]int{256, 512, 1024, 2048},
			"c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
			"de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
			Published{SizeMB: 1310, Top1: 0.867, Params: 350196968, Depth: 190}},
	} {
		Register(Spec{
			Name: m.name, KerasName: m.keras,
			Build: func(o Options, in Shape) (*nn.Model, error) {
				return convnext(m.name, m.depths, m.dims, o, in)
			},
			DefaultSize: 224, MinSize: 32, Preprocess: "none",
			Weights:   keras3Files(convnextURL, m.name, WeightsFile{SHA256: m.notopSH}, WeightsFile{SHA256: m.topSHA}),
			Published: m.pub,
		})
	}
}

// convnextMean and convnextVariance are PreStem's ImageNet statistics on
// 0-255 pixels, as convnext.py computes them in Python floats.
var (
	convnextMean     = []float64{mul(0.485, 255), mul(0.456, 255), mul(0.406, 255)}
	convnextVariance = []float64{sq(mul(0.229, 255)), sq(mul(0.224, 255)), sq(mul(0.225, 255))}
)

// mul and sq compute as Python does, in float64 at run time: Go would
// evaluate 0.224*255 exactly as a constant expression and round once, and
// math.Pow(x, 2) is not always the correctly rounded square that x ** 2 is.
func mul(a, b float64) float64 { return a * b }
func sq(x float64) float64     { return x * x }

// convnext is convnext.py's ConvNeXt with drop_path_rate 0 (every
// application's default: the blocks end in an Activation("linear") named
// *_identity) and layer_scale_init_value 1e-6, include_preprocessing true.
// Layers are named as Keras 3 names them: the unnamed residual sums are
// add, add_1, ..., the no-top LayerNormalization layer_normalization.
func convnext(name string, depths, dims [4]int, o Options, in Shape) (*nn.Model, error) {
	b := &builder{scope: nn.NewKeras3NameScope()}
	img := nn.Input(in[:], nn.WithName(b.scope.Next("InputLayer")))
	x := img
	if in[2] == 3 {
		// PreStem: the ImageNet mean and variance of 0..255 pixels, constants
		// in the config (no weights).
		x = nn.NewNormalization(convnextMean, convnextVariance, b.opts(name+"_prestem_normalization")...).Apply(x)
	}
	ln := func(n string) *nn.LayerNormalization {
		return nn.NewLayerNormalization(b.opts(n, nn.WithEpsilon(1e-6))...)
	}
	// The stem and the downsampling blocks are nested Sequential models.
	var seqErr error
	seq := func(x *nn.Node, n string, layers ...nn.Layer) *nn.Node {
		m, err := nn.NewSequential(x.Shape(), layers, nn.WithName(n))
		if err != nil {
			seqErr = err
			return x
		}
		return m.Apply(x)
	}
	x = seq(x, name+"_stem",
		nn.NewConv2D(dims[0], 4, 4, b.opts(name+"_stem_conv", nn.WithStrides(4))...),
		ln(name+"_stem_layernorm"))
	for i := range 4 {
		if i > 0 {
			s := fmt.Sprint(i - 1)
			x = seq(x, name+"_downsampling_block_"+s,
				ln(name+"_downsampling_layernorm_"+s),
				nn.NewConv2D(dims[i], 2, 2, b.opts(name+"_downsampling_conv_"+s, nn.WithStrides(2))...))
		}
		for j := range depths[i] {
			x = convnextBlock(b, x, dims[i], fmt.Sprintf("%s_stage_%d_block_%d", name, i, j))
		}
	}
	if o.IncludeTop {
		x = nn.NewGlobalAveragePooling2D(b.opts(name + "_head_gap")...).Apply(x)
		x = ln(name + "_head_layernorm").Apply(x)
		x = b.dense(x, name+"_head_dense", o.Classes, "softmax")
	} else {
		x = b.pooling(x, o.Pooling, "", "")
		x = ln("").Apply(x)
	}
	if seqErr != nil {
		return nil, seqErr
	}
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName(name))
}

// convnextBlock is convnext.py's ConvNeXtBlock: a 7x7 Conv2D with groups =
// channels, LayerNormalization, the two pointwise convolutions as Dense on
// the last axis with an exact gelu between, LayerScale, the identity, and
// the residual sum inputs + branch.
func convnextBlock(b *builder, in *nn.Node, dim int, name string) *nn.Node {
	x := nn.NewGroupedConv2D(dim, dim, 7, 7, b.opts(name+"_depthwise_conv", nn.WithPadding("same"))...).Apply(in)
	x = nn.NewLayerNormalization(b.opts(name+"_layernorm", nn.WithEpsilon(1e-6))...).Apply(x)
	x = b.dense(x, name+"_pointwise_conv_1", 4*dim, "linear")
	x = nn.NewActivation("gelu", b.opts(name+"_gelu")...).Apply(x)
	x = b.dense(x, name+"_pointwise_conv_2", dim, "linear")
	x = nn.NewLayerScale(1e-6, dim, b.opts(name+"_layer_scale")...).Apply(x)
	x = nn.NewActivation("linear", b.opts(name+"_identity")...).Apply(x)
	return b.add("", in, x)
}
