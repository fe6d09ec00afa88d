package zoo

import (
	"fmt"
	"math"

	"github.com/keelml/keel/nn"
)

// Keras 3's efficientnet.py: BASE_WEIGHTS_PATH and WEIGHTS_HASHES (MD5).
const efficientnetURL = "https://storage.googleapis.com/keras-applications/"

func init() {
	for _, v := range []struct {
		suffix       string
		width, depth float64
		size         int
		dropout      float64
		top, notop   string // MD5
		published    Published
	}{
		{"b0", 1.0, 1.0, 224, 0.2, "902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d", Published{SizeMB: 29, Top1: 0.771, Top5: 0.933, Params: 5330571, Depth: 132}},
		{"b1", 1.0, 1.1, 240, 0.2, "1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432", Published{SizeMB: 31, Top1: 0.791, Top5: 0.944, Params: 7856239, Depth: 186}},
		{"b2", 1.1, 1.2, 260, 0.3, "b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39", Published{SizeMB: 36, Top1: 0.801, Top5: 0.949, Params: 9177569, Depth: 186}},
		{"b3", 1.2, 1.4, 300, 0.3, "ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226", Published{SizeMB: 48, Top1: 0.816, Top5: 0.957, Params: 12320535, Depth: 210}},
		{"b4", 1.4, 1.8, 380, 0.4, "18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba", Published{SizeMB: 75, Top1: 0.829, Top5: 0.964, Params: 19466823, Depth: 258}},
		{"b5", 1.6, 2.2, 456, 0.4, "ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f", Published{SizeMB: 118, Top1: 0.836, Top5: 0.967, Params: 30562527, Depth: 312}},
		{"b6", 1.8, 2.6, 528, 0.5, "165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743", Published{SizeMB: 166, Top1: 0.840, Top5: 0.968, Params: 43265143, Depth: 360}},
		{"b7", 2.0, 3.1, 600, 0.5, "8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a", Published{SizeMB: 256, Top1: 0.843, Top5: 0.970, Params: 66658687, Depth: 438}},
	} {
		v := v
		model := "efficientnet" + v.suffix
		Register(Spec{
			Name: "efficientnet_" + v.suffix, KerasName: "EfficientNet" + string(v.suffix[0]-'a'+'A') + v.suffix[1:],
			Build: func(o Options, in Shape) (*nn.Model, error) {
				return efficientnet(model, v.width, v.depth, v.dropout, o, in)
			},
			DefaultSize: v.size, MinSize: 32, Preprocess: "none",
			Weights:   keras3Files(efficientnetURL, model, WeightsFile{MD5: v.notop}, WeightsFile{MD5: v.top}),
			Published: v.published,
		})
	}
}

// efficientnetBlock is an entry of efficientnet.py's DEFAULT_BLOCKS_ARGS.
type efficientnetBlock struct {
	kernel, repeats, in, out, expand, stride int
	se                                       float64
}

var efficientnetBlocks = []efficientnetBlock{
	{3, 1, 32, 16, 1, 1, 0.25}, {3, 2, 16, 24, 6, 2, 0.25}, {5, 2, 24, 40, 6, 2, 0.25},
	{3, 3, 40, 80, 6, 2, 0.25}, {5, 3, 80, 112, 6, 1, 0.25}, {5, 4, 112, 192, 6, 2, 0.25},
	{3, 1, 192, 320, 6, 1, 0.25},
}

// efficientnet builds an EfficientNet as Keras 3's efficientnet.py does,
// with the graph of weights="imagenet" (the Rescaling by 1/sqrt(std) after
// the Normalization), which Keel always builds: it is the graph whose
// weights exist.
func efficientnet(model string, width, depthCoef, dropout float64, o Options, in Shape) (*nn.Model, error) {
	if o.NoPreprocessing {
		return nil, fmt.Errorf("EfficientNet has no include_preprocessing argument: its Rescaling and Normalization are part of the ImageNet graph")
	}
	b := newKeras3Builder()
	img := b.input3(in)
	const divisor = 8
	roundFilters := func(f int) int {
		filters := float64(f) * width
		n := max(divisor, int(filters+divisor/2.0)/divisor*divisor)
		if float64(n) < 0.9*filters {
			n += divisor
		}
		return n
	}
	roundRepeats := func(r int) int { return int(math.Ceil(depthCoef * float64(r))) }
	convInit := []nn.Option{nn.WithUseBias(false)}
	const act = "silu"

	x := b.rescale(img, "", []float64{1.0 / 255}, nil)
	x = nn.NewNormalization(nil, nil, b.opts("")...).Apply(x)
	x = b.rescale(x, "", invSqrtStd(), nil)
	x = b.correctPad(x, "stem_conv_pad", 3)
	x = b.conv(x, "stem_conv", roundFilters(32), 3, 2, "valid", convInit...)
	x = b.bn(x, "stem_bn", 3)
	x = b.act(x, "stem_activation", act)

	block := func(inputs *nn.Node, dropRate float64, name string, fin, fout, k, stride, expand int, se float64) *nn.Node {
		filters := fin * expand
		x := inputs
		if expand != 1 {
			x = b.conv(x, name+"expand_conv", filters, 1, 1, "same", convInit...)
			x = b.bn(x, name+"expand_bn", 3)
			x = b.act(x, name+"expand_activation", act)
		}
		pad := nn.PaddingSame
		if stride == 2 {
			x = b.correctPad(x, name+"dwconv_pad", k)
			pad = nn.PaddingValid
		}
		x = b.dwk(x, name+"dwconv", k, stride, pad)
		x = b.bn(x, name+"bn", 3)
		x = b.act(x, name+"activation", act)
		if se > 0 && se <= 1 {
			x = squeezeExcite(b, x, name, max(1, int(float64(fin)*se)), filters, act)
		}
		x = b.conv(x, name+"project_conv", fout, 1, 1, "same", convInit...)
		x = b.bn(x, name+"project_bn", 3)
		if stride == 1 && fin == fout {
			if dropRate > 0 {
				x = nn.NewDropoutNoise(dropRate, []int{-1, 1, 1, 1}, b.opts(name+"drop")...).Apply(x)
			}
			x = b.add(name+"add", x, inputs)
		}
		return x
	}
	blocks := 0
	for _, a := range efficientnetBlocks {
		blocks += roundRepeats(a.repeats)
	}
	n := 0
	for i, a := range efficientnetBlocks {
		fin, fout := roundFilters(a.in), roundFilters(a.out)
		stride := a.stride
		for j := 0; j < roundRepeats(a.repeats); j++ {
			if j > 0 {
				stride, fin = 1, fout
			}
			name := fmt.Sprintf("block%d%c_", i+1, 'a'+j)
			x = block(x, 0.2*float64(n)/float64(blocks), name, fin, fout, a.kernel, stride, a.expand, a.se)
			n++
		}
	}
	x = b.conv(x, "top_conv", roundFilters(1280), 1, 1, "same", convInit...)
	x = b.bn(x, "top_bn", 3)
	x = b.act(x, "top_activation", act)
	x = efficientnetTop(b, x, dropout, o)
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName(model))
}

// squeezeExcite is the squeeze-and-excitation phase of efficientnet.py's
// block and efficientnet_v2.py's MBConvBlock.
func squeezeExcite(b *builder, x *nn.Node, name string, filtersSE, filters int, act nn.ActivationName) *nn.Node {
	se := nn.NewGlobalAveragePooling2D(b.opts(name + "se_squeeze")...).Apply(x)
	se = nn.NewReshape([]int{1, 1, filters}, b.opts(name+"se_reshape")...).Apply(se)
	se = b.conv(se, name+"se_reduce", filtersSE, 1, 1, "same", nn.WithActivation(act))
	se = b.conv(se, name+"se_expand", filters, 1, 1, "same", nn.WithActivation("sigmoid"))
	return nn.NewMultiply(b.opts(name+"se_excite")...).Apply(x, se)
}

// efficientnetTop is the classifier or the pooling of both EfficientNets.
func efficientnetTop(b *builder, x *nn.Node, dropout float64, o Options) *nn.Node {
	if !o.IncludeTop {
		return b.pooling(x, o.Pooling, "avg_pool", "max_pool")
	}
	x = nn.NewGlobalAveragePooling2D(b.opts("avg_pool")...).Apply(x)
	if dropout > 0 {
		x = nn.NewDropout(dropout, b.opts("top_dropout")...).Apply(x)
	}
	return b.dense(x, "predictions", o.Classes, "softmax")
}
