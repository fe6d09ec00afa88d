package zoo

import (
	"math"

	"github.com/keelml/keel/nn"
)

// newKeras3Builder is a builder naming unnamed layers as Keras 3 does: the
// first of a class gets the bare name ("re_lu", "input_layer"), then "_1",
// "_2", ... The Keras 3 applications (MobileNetV3, EfficientNet,
// EfficientNetV2) are built with it.
func newKeras3Builder() *builder { return &builder{scope: nn.NewKeras3NameScope()} }

// input3 is Keras 3's Input, named "input_layer" by the Keras 3 scope.
func (b *builder) input3(shape Shape) *nn.Node { return b.input(shape) }

// dwk is a k x k DepthwiseConv2D without bias.
func (b *builder) dwk(x *nn.Node, name string, k, stride int, padding nn.Padding) *nn.Node {
	o := b.opts(name, nn.WithStrides(stride), nn.WithPadding(padding), nn.WithUseBias(false))
	return nn.NewDepthwiseConv2D(k, k, o...).Apply(x)
}

func (b *builder) act(x *nn.Node, name string, activation nn.ActivationName) *nn.Node {
	return nn.NewActivation(activation, b.opts(name)...).Apply(x)
}

func (b *builder) rescale(x *nn.Node, name string, scale, offset []float64) *nn.Node {
	return nn.NewRescaling(scale, offset, b.opts(name)...).Apply(x)
}

// correctPad is imagenet_utils.correct_pad for a k x k kernel on x.
func (b *builder) correctPad(x *nn.Node, name string, k int) *nn.Node {
	s := x.Shape()
	adjH, adjW := 1-s[0]%2, 1-s[1]%2
	c := k / 2
	return b.pad(x, name, c-adjH, c, c-adjW, c)
}

// imagenetStd is EfficientNet's IMAGENET_STDDEV_RGB.
var imagenetStd = []float64{0.229, 0.224, 0.225}

// invSqrtStd is [1/sqrt(std) for std in IMAGENET_STDDEV_RGB].
func invSqrtStd() []float64 {
	out := make([]float64, len(imagenetStd))
	for i, s := range imagenetStd {
		out[i] = 1 / math.Sqrt(s)
	}
	return out
}
