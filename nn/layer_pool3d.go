package nn

import (
	"errors"
	"fmt"
	"math"

	"github.com/keelml/keel/kernels"
)

// pool3D is what MaxPooling3D and AveragePooling3D share, in plain Go.
type pool3D struct {
	base
	window3D
	ch int
}

func newPool3D(class string, l Layer, p *pool3D, size, strides [3]int, padding Padding, opts []Option) {
	s, err := collect(class, opts)
	err = errors.Join(err, positive("pool_size", size), positive("strides", strides))
	if padding != PaddingValid && padding != PaddingSame {
		err = errors.Join(err, fmt.Errorf("padding %q, want valid or same", padding))
	}
	if err != nil {
		err = fmt.Errorf("nn: %s: %w", class, err)
	}
	p.window3D = window3D{k: size, stride: strides, dil: [3]int{1, 1, 1}, padding: string(padding)}
	p.init(l, class, s, err)
}

// Config is Keras' 3-D pooling config.
func (p *pool3D) Config() map[string]any {
	c := p.withBase(p.window3D.config())
	c["pool_size"] = p.k[:]
	return c
}

func (p *pool3D) build(in [][]int) ([]int, error) {
	if err := checkVolume(in); err != nil {
		return nil, err
	}
	if err := p.setInput(in[0]); err != nil {
		return nil, err
	}
	p.ch = in[0][3]
	return []int{p.out[0], p.out[1], p.out[2], p.ch}, nil
}

// each calls f for every output row (n*outPositions + o) with its sample's
// input offset.
func (p *pool3D) each(batch int, f func(r, o, xoff int)) {
	outP, inP := p.outPositions(), p.inPositions()
	for r := range batch * outP {
		f(r, r%outP, r/outP*inP*p.ch)
	}
}

// MaxPooling3D is Keras' 3-D max pooling.
type MaxPooling3D struct{ pool3D }

// NewMaxPooling3D returns a MaxPooling3D (Keras' strides default to the
// pool size).
func NewMaxPooling3D(size, strides [3]int, padding Padding, opts ...Option) *MaxPooling3D {
	l := &MaxPooling3D{}
	newPool3D("MaxPooling3D", l, &l.pool3D, size, strides, padding, opts)
	return l
}

func (l *MaxPooling3D) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (l *MaxPooling3D) forward(c *call) {
	ch := l.ch
	l.each(c.x[0].Batch(), func(r, o, xoff int) {
		y := c.y.Data[r*ch : (r+1)*ch]
		for k := range y {
			y[k] = float32(math.Inf(-1))
		}
		l.taps(o, func(_, pos int) {
			for k, v := range c.x[0].Data[xoff+pos*ch : xoff+(pos+1)*ch] {
				y[k] = max(y[k], v)
			}
		})
	})
	c.forwardKernel(0)
}

// backward sends each gradient to the first maximum of its window.
func (l *MaxPooling3D) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	ch, x, dx := l.ch, c.x[0].Data, c.dx[0].Data
	clear(dx)
	best := make([]int, ch)
	l.each(c.dy.Batch(), func(r, o, xoff int) {
		for k := range best {
			best[k] = -1
		}
		l.taps(o, func(_, pos int) {
			for k := range ch {
				if i := xoff + pos*ch + k; best[k] < 0 || x[i] > x[best[k]] {
					best[k] = i
				}
			}
		})
		for k, i := range best {
			dx[i] += c.dy.Data[r*ch+k]
		}
	})
	c.backwardKernel(0)
}

// AveragePooling3D is Keras' 3-D average pooling (with `same` padding a
// window averages its real elements only, as TensorFlow does).
type AveragePooling3D struct{ pool3D }

// NewAveragePooling3D returns an AveragePooling3D.
func NewAveragePooling3D(size, strides [3]int, padding Padding, opts ...Option) *AveragePooling3D {
	l := &AveragePooling3D{}
	newPool3D("AveragePooling3D", l, &l.pool3D, size, strides, padding, opts)
	return l
}

func (l *AveragePooling3D) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *AveragePooling3D) count(o int) float32 {
	n := 0
	l.taps(o, func(_, _ int) { n++ })
	return float32(n)
}

func (l *AveragePooling3D) forward(c *call) {
	ch := l.ch
	l.each(c.x[0].Batch(), func(r, o, xoff int) {
		y := c.y.Data[r*ch : (r+1)*ch]
		clear(y)
		l.taps(o, func(_, pos int) {
			for k, v := range c.x[0].Data[xoff+pos*ch : xoff+(pos+1)*ch] {
				y[k] += v
			}
		})
		n := l.count(o)
		for k := range y {
			y[k] /= n
		}
	})
	c.forwardKernel(0)
}

func (l *AveragePooling3D) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	ch, dx := l.ch, c.dx[0].Data
	clear(dx)
	l.each(c.dy.Batch(), func(r, o, xoff int) {
		n, g := l.count(o), c.dy.Data[r*ch:(r+1)*ch]
		l.taps(o, func(_, pos int) {
			for k, v := range g {
				dx[xoff+pos*ch+k] += v / n
			}
		})
	})
	c.backwardKernel(0)
}

// globalPool3D is what the 3-D global poolings share.
type globalPool3D struct{ globalPool }

func (g *globalPool3D) build(in [][]int) ([]int, error) {
	if err := checkVolume(in); err != nil {
		return nil, err
	}
	if g.keepDims {
		return []int{1, 1, 1, in[0][3]}, nil
	}
	return []int{in[0][3]}, nil
}

func volumeDims(x *Tensor) (n, dhw, c int) {
	return x.Shape[0], x.Shape[1] * x.Shape[2] * x.Shape[3], x.Shape[4]
}

// GlobalAveragePooling3D is Keras' mean over depth, height and width.
type GlobalAveragePooling3D struct{ globalPool3D }

// NewGlobalAveragePooling3D returns a GlobalAveragePooling3D. Options:
// WithKeepDims, WithName.
func NewGlobalAveragePooling3D(opts ...Option) *GlobalAveragePooling3D {
	l := &GlobalAveragePooling3D{}
	newGlobalPool("GlobalAveragePooling3D", l, &l.globalPool, opts)
	return l
}

func (l *GlobalAveragePooling3D) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *GlobalAveragePooling3D) forward(c *call) {
	n, dhw, ch := volumeDims(c.x[0])
	kernels.GlobalAvgPool(n, dhw, ch, c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *GlobalAveragePooling3D) backward(c *call) {
	if c.dx[0] != nil {
		n, dhw, ch := volumeDims(c.x[0])
		kernels.GlobalAvgPoolBackward(n, dhw, ch, c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}

// GlobalMaxPooling3D is Keras' maximum over depth, height and width.
type GlobalMaxPooling3D struct{ globalPool3D }

// NewGlobalMaxPooling3D returns a GlobalMaxPooling3D.
func NewGlobalMaxPooling3D(opts ...Option) *GlobalMaxPooling3D {
	l := &GlobalMaxPooling3D{}
	newGlobalPool("GlobalMaxPooling3D", l, &l.globalPool, opts)
	return l
}

func (l *GlobalMaxPooling3D) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (l *GlobalMaxPooling3D) forward(c *call) {
	n, dhw, ch := volumeDims(c.x[0])
	kernels.GlobalMaxPool(n, dhw, ch, c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *GlobalMaxPooling3D) backward(c *call) {
	if c.dx[0] != nil {
		n, dhw, ch := volumeDims(c.x[0])
		kernels.GlobalMaxPoolBackward(n, dhw, ch, c.x[0].Data, c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}

func init() {
	pool := func(r *reader) (size, strides [3]int, padding Padding) {
		size = triple(r, "pool_size", 2)
		strides = size
		if r.c.has("strides") {
			strides = triple(r, "strides", 1)
		}
		return size, strides, Padding(r.str("padding", "valid"))
	}
	registerConfig("MaxPooling3D", func(r *reader, o []Option) Layer {
		size, strides, padding := pool(r)
		return NewMaxPooling3D(size, strides, padding, o...)
	})
	registerConfig("AveragePooling3D", func(r *reader, o []Option) Layer {
		size, strides, padding := pool(r)
		return NewAveragePooling3D(size, strides, padding, o...)
	})
	registerConfig("GlobalAveragePooling3D", func(r *reader, o []Option) Layer {
		return NewGlobalAveragePooling3D(append(o, WithKeepDims(r.boolean("keepdims", false)))...)
	})
	registerConfig("GlobalMaxPooling3D", func(r *reader, o []Option) Layer {
		return NewGlobalMaxPooling3D(append(o, WithKeepDims(r.boolean("keepdims", false)))...)
	})
}
