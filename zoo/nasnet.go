package zoo

import (
	"fmt"
	"strconv"

	"github.com/keelml/keel/nn"
)

// nasnetURL is nasnet.py's BASE_WEIGHTS_PATH. nasnet.py caches its files
// under names of its own (nasnet_mobile.h5), not the URLs' (NASNet-mobile.h5).
const nasnetURL = "https://github.com/titu1994/Keras-NASNet/releases/download/v1.2/"

func init() {
	Register(Spec{
		Name: "nasnet_mobile", KerasName: "NASNetMobile", Build: nasnetBuilder(nasnetConfig{penultimate: 1056, blocks: 4, stem: 32}),
		DefaultSize: 224, MinSize: 32, FixedSize: true, Preprocess: "tf",
		Weights: [2]WeightsFile{
			{Name: "nasnet_mobile_no_top.h5", URL: nasnetURL + "NASNet-mobile-no-top.h5", MD5: "1ed92395b5b598bdda52abe5c0dbfd63"},
			{Name: "nasnet_mobile.h5", URL: nasnetURL + "NASNet-mobile.h5", MD5: "020fb642bf7360b370c678b08e0adf61"},
		},
		Head:      HeadGlobalAverage,
		Published: Published{SizeMB: 23, Top1: 0.744, Top5: 0.919, Params: 5326716, Depth: 389},
	})
	Register(Spec{
		Name: "nasnet_large", KerasName: "NASNetLarge", Build: nasnetBuilder(nasnetConfig{penultimate: 4032, blocks: 6, stem: 96, skipReduction: true}),
		DefaultSize: 331, MinSize: 32, FixedSize: true, Preprocess: "tf",
		Weights: [2]WeightsFile{
			{Name: "nasnet_large_no_top.h5", URL: nasnetURL + "NASNet-large-no-top.h5", MD5: "d81d89dc07e6e56530c4e77faddd61b5"},
			{Name: "nasnet_large.h5", URL: nasnetURL + "NASNet-large.h5", MD5: "11577c9a518f0070763c2b964a382f17"},
		},
		Head:      HeadGlobalAverage,
		Published: Published{SizeMB: 343, Top1: 0.825, Top5: 0.960, Params: 88949818, Depth: 533},
	})
}

// nasnetConfig are the arguments NASNetMobile and NASNetLarge pass to
// nasnet.py's NASNet (filter_multiplier is 2 for both).
type nasnetConfig struct {
	penultimate, blocks, stem int
	// skipReduction keeps the cell before a reduction as the next cell's
	// previous input (NASNetLarge) instead of the reduction's own input.
	skipReduction bool
}

// nasnetBuilder builds NASNet-A as keras_applications' nasnet.py does,
// creating the layers in its order so that the automatic names
// (activation_N, zero_padding2d_N, cropping2d_N, concatenate_N, add_N) match.
func nasnetBuilder(c nasnetConfig) func(o Options, in Shape) (*nn.Model, error) {
	return func(o Options, in Shape) (*nn.Model, error) {
		const mult = 2 // filter_multiplier
		if c.penultimate%(24*mult*mult) != 0 {
			return nil, fmt.Errorf("For NASNet-A models, the `penultimate_filters` must be a multiple of 24 * (`filter_multiplier` ** 2). Current value: %d", c.penultimate)
		}
		b := newBuilder()
		noBias := nn.WithUseBias(false)
		bn := func(x *nn.Node, name string) *nn.Node {
			return b.bn(x, name, -1, nn.WithMomentum(0.9997), nn.WithEpsilon(1e-3))
		}
		avgPool := func(x *nn.Node, name string, k, stride int, padding nn.Padding) *nn.Node {
			return nn.NewAveragePooling2D(k, k, b.opts(name, nn.WithStrides(stride), nn.WithPadding(padding))...).Apply(x)
		}
		concat := func(name string, xs ...*nn.Node) *nn.Node {
			return nn.NewConcatenate(b.opts(name, nn.WithAxis(-1))...).Apply(xs...)
		}
		// correctPad is imagenet_utils.correct_pad: the padding that makes a
		// valid stride-2 k x k window see what TensorFlow's 'same' would,
		// one row and column less above and left on even sizes.
		correctPad := func(x *nn.Node, name string, k int) *nn.Node {
			s := x.Shape()
			adjH, adjW := 1-s[0]%2, 1-s[1]%2
			return b.pad(x, name, k/2-adjH, k/2, k/2-adjW, k/2)
		}

		// _separable_conv_block: two relu, separable conv, batchnorm.
		sepBlock := func(ip *nn.Node, filters, k, stride int, id string) *nn.Node {
			x := b.relu(ip, "")
			padding := nn.PaddingSame
			if stride == 2 {
				x = correctPad(x, "separable_conv_1_pad_"+id, k)
				padding = nn.PaddingValid
			}
			x = nn.NewSeparableConv2D(filters, k, k, b.opts("separable_conv_1_"+id, nn.WithStrides(stride), nn.WithPadding(padding), noBias)...).Apply(x)
			x = bn(x, "separable_conv_1_bn_"+id)
			x = b.relu(x, "")
			x = nn.NewSeparableConv2D(filters, k, k, b.opts("separable_conv_2_"+id, nn.WithPadding("same"), noBias)...).Apply(x)
			return bn(x, "separable_conv_2_bn_"+id)
		}

		// _adjust_block: brings the previous cell's output p to ip's width
		// (two half-filter paths, one shifted by a pixel) or to filters.
		adjust := func(p, ip *nn.Node, filters int, id string) *nn.Node {
			switch {
			case p == nil:
				return ip
			case p.Shape()[1] != ip.Shape()[1]:
				p = b.relu(p, "adjust_relu_1_"+id)
				p1 := avgPool(p, "adjust_avg_pool_1_"+id, 1, 2, "valid")
				p1 = b.conv(p1, "adjust_conv_1_"+id, filters/2, 1, 1, "same", noBias)
				p2 := b.pad(p, "", 0, 1, 0, 1)
				p2 = nn.NewCropping2D(1, 0, 1, 0, b.opts("")...).Apply(p2)
				p2 = avgPool(p2, "adjust_avg_pool_2_"+id, 1, 2, "valid")
				p2 = b.conv(p2, "adjust_conv_2_"+id, filters/2, 1, 1, "same", noBias)
				p = concat("", p1, p2)
				return bn(p, "adjust_bn_"+id)
			case p.Shape()[2] != filters:
				p = b.relu(p, "")
				p = b.conv(p, "adjust_conv_projection_"+id, filters, 1, 1, "same", noBias)
				return bn(p, "adjust_bn_"+id)
			}
			return p
		}

		// squeeze is the relu, 1x1 conv and batchnorm each cell opens with.
		squeeze := func(ip *nn.Node, kind string, filters int, id string) *nn.Node {
			h := b.relu(ip, "")
			h = b.conv(h, kind+"_conv_1_"+id, filters, 1, 1, "same", noBias)
			return bn(h, kind+"_bn_1_"+id)
		}

		// _normal_a_cell; it returns the cell's output and its input, the
		// next cell's p.
		normal := func(ip, p *nn.Node, filters int, id string) (*nn.Node, *nn.Node) {
			p = adjust(p, ip, filters, id)
			h := squeeze(ip, "normal", filters, id)
			x1 := b.add("normal_add_1_"+id, sepBlock(h, filters, 5, 1, "normal_left1_"+id), sepBlock(p, filters, 3, 1, "normal_right1_"+id))
			x2 := b.add("normal_add_2_"+id, sepBlock(p, filters, 5, 1, "normal_left2_"+id), sepBlock(p, filters, 3, 1, "normal_right2_"+id))
			x3 := b.add("normal_add_3_"+id, avgPool(h, "normal_left3_"+id, 3, 1, "same"), p)
			x4 := b.add("normal_add_4_"+id, avgPool(p, "normal_left4_"+id, 3, 1, "same"), avgPool(p, "normal_right4_"+id, 3, 1, "same"))
			x5 := b.add("normal_add_5_"+id, sepBlock(h, filters, 3, 1, "normal_left5_"+id), h)
			return concat("normal_concat_"+id, p, x1, x2, x3, x4, x5), ip
		}

		// _reduction_a_cell, layer names as nasnet.py spells them
		// (reduction_add3_, the block-5 branch reduction_left4_).
		reduction := func(ip, p *nn.Node, filters int, id string) (*nn.Node, *nn.Node) {
			p = adjust(p, ip, filters, id)
			h := squeeze(ip, "reduction", filters, id)
			h3 := correctPad(h, "reduction_pad_1_"+id, 3)
			x1 := b.add("reduction_add_1_"+id, sepBlock(h, filters, 5, 2, "reduction_left1_"+id), sepBlock(p, filters, 7, 2, "reduction_right1_"+id))
			x2 := b.add("reduction_add_2_"+id, b.maxPool(h3, "reduction_left2_"+id, 3, 2, "valid"), sepBlock(p, filters, 7, 2, "reduction_right2_"+id))
			x3 := b.add("reduction_add3_"+id, avgPool(h3, "reduction_left3_"+id, 3, 2, "valid"), sepBlock(p, filters, 5, 2, "reduction_right3_"+id))
			x4 := b.add("", x2, avgPool(x1, "reduction_left4_"+id, 3, 1, "same"))
			x5 := b.add("reduction_add4_"+id, sepBlock(x1, filters, 3, 1, "reduction_left4_"+id), b.maxPool(h3, "reduction_right5_"+id, 3, 2, "valid"))
			return concat("reduction_concat_"+id, x2, x3, x4, x5), ip
		}

		img := b.input(in)
		x := b.conv(img, "stem_conv1", c.stem, 3, 2, "valid", noBias)
		x = bn(x, "stem_bn1")
		filters := c.penultimate / 24
		var p, p0 *nn.Node
		x, p = reduction(x, p, filters/(mult*mult), "stem_1")
		x, p = reduction(x, p, filters/mult, "stem_2")
		for stage, f := range []int{filters, filters * mult, filters * mult * mult} {
			if stage > 0 {
				x, p0 = reduction(x, p, f, fmt.Sprintf("reduce_%d", stage*c.blocks))
				if !c.skipReduction {
					p = p0
				}
			}
			for i := 0; i < c.blocks; i++ {
				// Cells 0..n-1, then n+1..2n and 2n+1..3n: the reductions
				// take the ids reduce_n and reduce_2n.
				x, p = normal(x, p, f, strconv.Itoa(stage*c.blocks+i+min(stage, 1)))
			}
		}
		x = b.relu(x, "")
		x = b.classifier(x, o, "", "predictions", "", "")
		return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName("NASNet"))
	}
}
