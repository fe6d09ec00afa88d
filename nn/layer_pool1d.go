package nn

import (
	"fmt"

	"github.com/keelml/keel/kernels"
)

// pool1D is what MaxPooling1D and AveragePooling1D share; they run on the
// 2-D pooling kernels as an image one row high.
type pool1D struct {
	base
	size, stride int
	padding      string
}

func newPool1D(class string, l Layer, p *pool1D, size int, opts []Option) {
	s, err := collect(class, opts, "strides", "padding")
	if err == nil && size < 1 {
		err = fmt.Errorf("nn: %s: pool size %d must be positive", class, size)
	}
	p.size, p.stride, p.padding = size, size, s.padding
	if s.set["strides"] {
		p.stride = s.strides[0]
	}
	p.init(l, class, s, err)
}

// Config is Keras 2's 1-D pooling config.
func (p *pool1D) Config() map[string]any {
	return p.withBase(map[string]any{"pool_size": []int{p.size}, "strides": []int{p.stride}, "padding": p.padding, "data_format": "channels_last"})
}

func (p *pool1D) params(x *Tensor) kernels.PoolParams {
	pp := kernels.PoolParams{N: x.Shape[0], H: 1, W: x.Shape[1], C: x.Shape[2], KH: 1, KW: p.size, StrideH: 1, StrideW: p.stride}
	if p.padding == "same" {
		pp.PadLeft, pp.PadRight = kernels.SamePadding(pp.W, pp.KW, pp.StrideW, 1)
	}
	return pp
}

func (p *pool1D) build(in [][]int) ([]int, error) {
	if err := checkSequence(in); err != nil {
		return nil, err
	}
	pp := p.params(&Tensor{Shape: append([]int{1}, in[0]...)})
	if pp.OutW() < 1 {
		return nil, fmt.Errorf("a pool of %d steps does not fit %d steps", p.size, in[0][0])
	}
	return []int{pp.OutW(), in[0][1]}, nil
}

// MaxPooling1D is Keras' max pooling over steps.
type MaxPooling1D struct{ pool1D }

// NewMaxPooling1D returns a MaxPooling1D over windows of size steps; the
// stride defaults to size. Options: WithStrides, WithPadding, WithName.
func NewMaxPooling1D(size int, opts ...Option) *MaxPooling1D {
	l := &MaxPooling1D{}
	newPool1D("MaxPooling1D", l, &l.pool1D, size, opts)
	return l
}

func (l *MaxPooling1D) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (l *MaxPooling1D) forward(c *call) {
	kernels.MaxPool2D(l.params(c.x[0]), c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *MaxPooling1D) backward(c *call) {
	if c.dx[0] != nil {
		kernels.MaxPool2DBackward(l.params(c.x[0]), c.x[0].Data, c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}

// AveragePooling1D is Keras' average pooling over steps (with `same`
// padding a window averages its real steps only, as TensorFlow does).
type AveragePooling1D struct{ pool1D }

// NewAveragePooling1D returns an AveragePooling1D over windows of size steps.
func NewAveragePooling1D(size int, opts ...Option) *AveragePooling1D {
	l := &AveragePooling1D{}
	newPool1D("AveragePooling1D", l, &l.pool1D, size, opts)
	return l
}

func (l *AveragePooling1D) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *AveragePooling1D) forward(c *call) {
	kernels.AvgPool2D(l.params(c.x[0]), c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *AveragePooling1D) backward(c *call) {
	if c.dx[0] != nil {
		kernels.AvgPool2DBackward(l.params(c.x[0]), c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}

// globalPool1D is what GlobalAveragePooling1D and GlobalMaxPooling1D share:
// (steps, channels) in, (channels) out, or (1, channels) with keepdims.
type globalPool1D struct{ globalPool }

func (g *globalPool1D) build(in [][]int) ([]int, error) {
	if err := checkSequence(in); err != nil {
		return nil, err
	}
	if g.keepDims {
		return []int{1, in[0][1]}, nil
	}
	return []int{in[0][1]}, nil
}

func sequenceDims(x *Tensor) (n, steps, c int) { return x.Shape[0], x.Shape[1], x.Shape[2] }

// GlobalAveragePooling1D is Keras' mean over the steps.
type GlobalAveragePooling1D struct{ globalPool1D }

// NewGlobalAveragePooling1D returns a GlobalAveragePooling1D. Options:
// WithKeepDims, WithName.
func NewGlobalAveragePooling1D(opts ...Option) *GlobalAveragePooling1D {
	l := &GlobalAveragePooling1D{}
	newGlobalPool("GlobalAveragePooling1D", l, &l.globalPool, opts)
	return l
}

func (l *GlobalAveragePooling1D) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *GlobalAveragePooling1D) forward(c *call) {
	n, steps, ch := sequenceDims(c.x[0])
	kernels.GlobalAvgPool(n, steps, ch, c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *GlobalAveragePooling1D) backward(c *call) {
	if c.dx[0] != nil {
		n, steps, ch := sequenceDims(c.x[0])
		kernels.GlobalAvgPoolBackward(n, steps, ch, c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}

// GlobalMaxPooling1D is Keras' maximum over the steps.
type GlobalMaxPooling1D struct{ globalPool1D }

// NewGlobalMaxPooling1D returns a GlobalMaxPooling1D.
func NewGlobalMaxPooling1D(opts ...Option) *GlobalMaxPooling1D {
	l := &GlobalMaxPooling1D{}
	newGlobalPool("GlobalMaxPooling1D", l, &l.globalPool, opts)
	return l
}

func (l *GlobalMaxPooling1D) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (l *GlobalMaxPooling1D) forward(c *call) {
	n, steps, ch := sequenceDims(c.x[0])
	kernels.GlobalMaxPool(n, steps, ch, c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *GlobalMaxPooling1D) backward(c *call) {
	if c.dx[0] != nil {
		n, steps, ch := sequenceDims(c.x[0])
		kernels.GlobalMaxPoolBackward(n, steps, ch, c.x[0].Data, c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}

func init() {
	pool := func(r *reader, o []Option) (int, []Option) {
		size := r.single("pool_size", 2)
		if r.c.has("strides") {
			o = append(o, WithStrides(r.single("strides", size)))
		}
		return size, append(o, WithPadding(Padding(r.str("padding", "valid"))))
	}
	registerConfig("MaxPooling1D", func(r *reader, o []Option) Layer {
		s, o := pool(r, o)
		return NewMaxPooling1D(s, o...)
	})
	registerConfig("AveragePooling1D", func(r *reader, o []Option) Layer {
		s, o := pool(r, o)
		return NewAveragePooling1D(s, o...)
	})
	registerConfig("GlobalAveragePooling1D", func(r *reader, o []Option) Layer {
		return NewGlobalAveragePooling1D(append(o, WithKeepDims(r.boolean("keepdims", false)))...)
	})
	registerConfig("GlobalMaxPooling1D", func(r *reader, o []Option) Layer {
		return NewGlobalMaxPooling1D(append(o, WithKeepDims(r.boolean("keepdims", false)))...)
	})
}
