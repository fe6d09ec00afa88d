package zoo

import "github.com/keelml/keel/nn"

// builder adds layers to a graph, counting automatic names in a scope of its
// own so that every model is named as in a fresh Keras session.
type builder struct{ scope *nn.NameScope }

func newBuilder() *builder { return &builder{scope: nn.NewNameScope()} }

// opts prepends the builder's scope and, if name is not empty, the name.
func (b *builder) opts(name string, more ...nn.Option) []nn.Option {
	o := []nn.Option{nn.WithScope(b.scope)}
	if name != "" {
		o = append(o, nn.WithName(name))
	}
	return append(o, more...)
}

func (b *builder) input(shape Shape) *nn.Node {
	return nn.Input(shape[:], nn.WithScope(b.scope))
}

func (b *builder) conv(x *nn.Node, name string, filters, k, stride int, padding nn.Padding, more ...nn.Option) *nn.Node {
	o := b.opts(name, append([]nn.Option{nn.WithStrides(stride), nn.WithPadding(padding)}, more...)...)
	return nn.NewConv2D(filters, k, k, o...).Apply(x)
}

func (b *builder) depthwise(x *nn.Node, name string, stride, multiplier int, padding nn.Padding) *nn.Node {
	o := b.opts(name, nn.WithStrides(stride), nn.WithPadding(padding), nn.WithDepthMultiplier(multiplier), nn.WithUseBias(false))
	return nn.NewDepthwiseConv2D(3, 3, o...).Apply(x)
}

// sepconv is a 3x3 SeparableConv2D without bias, as Xception uses it.
func (b *builder) sepconv(x *nn.Node, name string, filters int, padding nn.Padding) *nn.Node {
	return nn.NewSeparableConv2D(filters, 3, 3, b.opts(name, nn.WithPadding(padding), nn.WithUseBias(false))...).Apply(x)
}

func (b *builder) bn(x *nn.Node, name string, axis int, more ...nn.Option) *nn.Node {
	return nn.NewBatchNormalization(b.opts(name, append([]nn.Option{nn.WithAxis(axis)}, more...)...)...).Apply(x)
}

func (b *builder) relu(x *nn.Node, name string) *nn.Node {
	return nn.NewActivation("relu", b.opts(name)...).Apply(x)
}

func (b *builder) relu6(x *nn.Node, name string) *nn.Node {
	return nn.NewReLU(b.opts(name, nn.WithMaxValue(6))...).Apply(x)
}

func (b *builder) pad(x *nn.Node, name string, top, bottom, left, right int) *nn.Node {
	return nn.NewZeroPadding2D(top, bottom, left, right, b.opts(name)...).Apply(x)
}

func (b *builder) maxPool(x *nn.Node, name string, k, stride int, padding nn.Padding) *nn.Node {
	return nn.NewMaxPooling2D(k, k, b.opts(name, nn.WithStrides(stride), nn.WithPadding(padding))...).Apply(x)
}

func (b *builder) add(name string, xs ...*nn.Node) *nn.Node {
	return nn.NewAdd(b.opts(name)...).Apply(xs...)
}

func (b *builder) dense(x *nn.Node, name string, units int, activation nn.ActivationName) *nn.Node {
	return nn.NewDense(units, b.opts(name, nn.WithActivation(activation))...).Apply(x)
}

// pooling adds the no-top global pooling Keras adds for pooling "avg" or
// "max"; names "" give the automatic names.
func (b *builder) pooling(x *nn.Node, pooling, avgName, maxName string) *nn.Node {
	switch pooling {
	case "avg":
		return nn.NewGlobalAveragePooling2D(b.opts(avgName)...).Apply(x)
	case "max":
		return nn.NewGlobalMaxPooling2D(b.opts(maxName)...).Apply(x)
	}
	return x
}

// classifier ends a model as most Keras applications do: with the top,
// global average pooling (gap) and a softmax Dense (dense) of o.Classes;
// without it, the pooling o.Pooling asks for (avg, max: their names).
func (b *builder) classifier(x *nn.Node, o Options, gap, dense, avg, max string) *nn.Node {
	if o.IncludeTop {
		x = nn.NewGlobalAveragePooling2D(b.opts(gap)...).Apply(x)
		return b.dense(x, dense, o.Classes, "softmax")
	}
	return b.pooling(x, o.Pooling, avg, max)
}
