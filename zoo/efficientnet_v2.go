package zoo

import (
	"fmt"
	"math"

	"github.com/keelml/keel/nn"
)

// Keras 3's efficientnet_v2.py: BASE_WEIGHTS_PATH and WEIGHTS_HASHES (MD5).
const efficientnetV2URL = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"

// efficientnetV2Block is an entry of efficientnet_v2.py's DEFAULT_BLOCKS_ARGS;
// fused is conv_type 1 (FusedMBConvBlock).
type efficientnetV2Block struct {
	kernel, repeats, in, out, expand int
	se                               float64
	stride                           int
	fused                            bool
}

var (
	efficientnetV2BBlocks = []efficientnetV2Block{
		{3, 1, 32, 16, 1, 0, 1, true}, {3, 2, 16, 32, 4, 0, 2, true}, {3, 2, 32, 48, 4, 0, 2, true},
		{3, 3, 48, 96, 4, 0.25, 2, false}, {3, 5, 96, 112, 6, 0.25, 1, false}, {3, 8, 112, 192, 6, 0.25, 2, false},
	}
	efficientnetV2SBlocks = []efficientnetV2Block{
		{3, 2, 24, 24, 1, 0, 1, true}, {3, 4, 24, 48, 4, 0, 2, true}, {3, 4, 48, 64, 4, 0, 2, true},
		{3, 6, 64, 128, 4, 0.25, 2, false}, {3, 9, 128, 160, 6, 0.25, 1, false}, {3, 15, 160, 256, 6, 0.25, 2, false},
	}
	efficientnetV2MBlocks = []efficientnetV2Block{
		{3, 3, 24, 24, 1, 0, 1, true}, {3, 5, 24, 48, 4, 0, 2, true}, {3, 5, 48, 80, 4, 0, 2, true},
		{3, 7, 80, 160, 4, 0.25, 2, false}, {3, 14, 160, 176, 6, 0.25, 1, false}, {3, 18, 176, 304, 6, 0.25, 2, false},
		{3, 5, 304, 512, 6, 0.25, 1, false},
	}
	efficientnetV2LBlocks = []efficientnetV2Block{
		{3, 4, 32, 32, 1, 0, 1, true}, {3, 7, 32, 64, 4, 0, 2, true}, {3, 7, 64, 96, 4, 0, 2, true},
		{3, 10, 96, 192, 4, 0.25, 2, false}, {3, 19, 192, 224, 6, 0.25, 1, false}, {3, 25, 224, 384, 6, 0.25, 2, false},
		{3, 7, 384, 640, 6, 0.25, 1, false},
	}
)

func init() {
	for _, v := range []struct {
		suffix, keras string
		width, depth  float64
		size          int
		blocks        []efficientnetV2Block
		top, notop    string // MD5
		published     Published
	}{
		// Keras' table gives no depth for EfficientNetV2: the number of
		// layers with weights; parameters as the graph counts them (the
		// table rounds to 0.1M).
		{"b0", "B0", 1.0, 1.0, 224, efficientnetV2BBlocks, "21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff", Published{SizeMB: 29, Top1: 0.787, Top5: 0.943, Params: 7200312, Depth: 151}},
		{"b1", "B1", 1.0, 1.1, 240, efficientnetV2BBlocks, "069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37", Published{SizeMB: 34, Top1: 0.798, Top5: 0.950, Params: 8212124, Depth: 185}},
		{"b2", "B2", 1.1, 1.2, 260, efficientnetV2BBlocks, "424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb", Published{SizeMB: 42, Top1: 0.805, Top5: 0.951, Params: 10178374, Depth: 193}},
		{"b3", "B3", 1.2, 1.4, 300, efficientnetV2BBlocks, "1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856", Published{SizeMB: 59, Top1: 0.820, Top5: 0.958, Params: 14467622, Depth: 225}},
		{"s", "S", 1.0, 1.0, 384, efficientnetV2SBlocks, "e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070", Published{SizeMB: 88, Top1: 0.839, Top5: 0.967, Params: 21612360, Depth: 281}},
		{"m", "M", 1.0, 1.0, 480, efficientnetV2MBlocks, "a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342", Published{SizeMB: 220, Top1: 0.853, Top5: 0.974, Params: 54431388, Depth: 403}},
		{"l", "L", 1.0, 1.0, 480, efficientnetV2LBlocks, "27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615", Published{SizeMB: 479, Top1: 0.857, Top5: 0.975, Params: 119027848, Depth: 557}},
	} {
		v := v
		model := "efficientnetv2-" + v.suffix
		Register(Spec{
			Name: "efficientnet_v2_" + v.suffix, KerasName: "EfficientNetV2" + v.keras,
			Build: func(o Options, in Shape) (*nn.Model, error) {
				return efficientnetV2(model, v.width, v.depth, v.blocks, o, in)
			},
			DefaultSize: v.size, MinSize: 32, Preprocess: "none",
			Weights:   keras3Files(efficientnetV2URL, model, WeightsFile{MD5: v.notop}, WeightsFile{MD5: v.top}),
			Published: v.published,
		})
	}
}

// efficientnetV2 builds an EfficientNetV2 as Keras 3's efficientnet_v2.py
// does (model names "efficientnetv2-b0" ... "efficientnetv2-l").
func efficientnetV2(model string, width, depthCoef float64, blockArgs []efficientnetV2Block, o Options, in Shape) (*nn.Model, error) {
	b := newKeras3Builder()
	img := b.input3(in)
	const divisor, minDepth = 8, 8
	roundFilters := func(f int) int {
		filters := float64(f) * width
		return max(minDepth, int(filters+divisor/2.0)/divisor*divisor)
	}
	roundRepeats := func(r int) int { return int(math.Ceil(depthCoef * float64(r))) }
	const act = "silu"
	noBias := nn.WithUseBias(false)
	bn := func(x *nn.Node, name string) *nn.Node { return b.bn(x, name, 3, nn.WithMomentum(0.9)) }

	x := img
	if !o.NoPreprocessing {
		if model[len("efficientnetv2-")] == 'b' {
			x = b.rescale(x, "", []float64{1.0 / 255}, nil)
			variance := make([]float64, 3)
			for i, s := range imagenetStd {
				variance[i] = s * s
			}
			x = nn.NewNormalization([]float64{0.485, 0.456, 0.406}, variance, b.opts("")...).Apply(x)
		} else {
			x = b.rescale(x, "", []float64{1.0 / 128}, []float64{-1})
		}
	}
	x = b.conv(x, "stem_conv", roundFilters(blockArgs[0].in), 3, 2, "same", noBias)
	x = bn(x, "stem_bn")
	x = b.act(x, "stem_activation", act)

	residual := func(x, inputs *nn.Node, name string, survival float64) *nn.Node {
		if survival > 0 {
			// Keras passes the survival probability as the drop rate.
			x = nn.NewDropoutNoise(survival, []int{-1, 1, 1, 1}, b.opts(name+"drop")...).Apply(x)
		}
		return b.add(name+"add", x, inputs)
	}
	mbconv := func(inputs *nn.Node, a efficientnetV2Block, fin, fout, stride int, survival float64, name string) *nn.Node {
		filters := fin * a.expand
		x := inputs
		if a.expand != 1 {
			x = b.conv(x, name+"expand_conv", filters, 1, 1, "same", noBias)
			x = bn(x, name+"expand_bn")
			x = b.act(x, name+"expand_activation", act)
		}
		x = b.dwk(x, name+"dwconv2", a.kernel, stride, "same")
		x = bn(x, name+"bn")
		x = b.act(x, name+"activation", act)
		if a.se > 0 && a.se <= 1 {
			x = squeezeExcite(b, x, name, max(1, int(float64(fin)*a.se)), filters, act)
		}
		x = b.conv(x, name+"project_conv", fout, 1, 1, "same", noBias)
		x = bn(x, name+"project_bn")
		if stride == 1 && fin == fout {
			x = residual(x, inputs, name, survival)
		}
		return x
	}
	fusedConv := func(inputs *nn.Node, a efficientnetV2Block, fin, fout, stride int, survival float64, name string) *nn.Node {
		filters := fin * a.expand
		x := inputs
		if a.expand != 1 {
			x = b.conv(x, name+"expand_conv", filters, a.kernel, stride, "same", noBias)
			x = bn(x, name+"expand_bn")
			x = b.act(x, name+"expand_activation", act)
		}
		if a.se > 0 && a.se <= 1 {
			x = squeezeExcite(b, x, name, max(1, int(float64(fin)*a.se)), filters, act)
		}
		k, s := 1, 1
		if a.expand == 1 {
			k, s = a.kernel, stride
		}
		x = b.conv(x, name+"project_conv", fout, k, s, "same", noBias)
		x = bn(x, name+"project_bn")
		if a.expand == 1 {
			x = b.act(x, name+"project_activation", act)
		}
		if stride == 1 && fin == fout {
			x = residual(x, inputs, name, survival)
		}
		return x
	}
	// blocks counts the unrounded repeats, as efficientnet_v2.py does.
	blocks := 0
	for _, a := range blockArgs {
		blocks += a.repeats
	}
	n := 0
	for i, a := range blockArgs {
		fin, fout := roundFilters(a.in), roundFilters(a.out)
		stride := a.stride
		for j := 0; j < roundRepeats(a.repeats); j++ {
			if j > 0 {
				stride, fin = 1, fout
			}
			name := fmt.Sprintf("block%d%c_", i+1, 'a'+j)
			survival := 0.2 * float64(n) / float64(blocks)
			if a.fused {
				x = fusedConv(x, a, fin, fout, stride, survival, name)
			} else {
				x = mbconv(x, a, fin, fout, stride, survival, name)
			}
			n++
		}
	}
	x = b.conv(x, "top_conv", roundFilters(1280), 1, 1, "same", noBias)
	x = bn(x, "top_bn")
	x = b.act(x, "top_activation", act)
	x = efficientnetTop(b, x, 0.2, o)
	return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName(model))
}
