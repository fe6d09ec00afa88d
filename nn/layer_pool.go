package nn

import (
	"fmt"

	"github.com/keelml/keel/kernels"
)

// pool2D is what MaxPooling2D and AveragePooling2D share.
type pool2D struct {
	base
	size    [2]int
	strides [2]int
	padding string
}

func newPool2D(class string, l Layer, p *pool2D, ph, pw int, opts []Option) {
	s, err := collect(class, opts, "strides", "padding")
	if err == nil && (ph < 1 || pw < 1) {
		err = fmt.Errorf("nn: %s: pool size %dx%d must be positive", class, ph, pw)
	}
	p.size, p.strides, p.padding = [2]int{ph, pw}, [2]int{ph, pw}, s.padding
	if s.set["strides"] {
		p.strides = s.strides
	}
	p.init(l, class, s, err)
}

// Config is Keras' pooling config.
func (p *pool2D) Config() map[string]any {
	return p.withBase(map[string]any{"pool_size": p.size[:], "strides": p.strides[:], "padding": p.padding, "data_format": "channels_last"})
}

func (p *pool2D) params(x *Tensor) kernels.PoolParams {
	pp := kernels.PoolParams{N: x.Shape[0], H: x.Shape[1], W: x.Shape[2], C: x.Shape[3], KH: p.size[0], KW: p.size[1], StrideH: p.strides[0], StrideW: p.strides[1]}
	if p.padding == "same" {
		pp.PadTop, pp.PadBottom = kernels.SamePadding(pp.H, pp.KH, pp.StrideH, 1)
		pp.PadLeft, pp.PadRight = kernels.SamePadding(pp.W, pp.KW, pp.StrideW, 1)
	}
	return pp
}

func (p *pool2D) build(in [][]int) ([]int, error) {
	if err := checkImage(in); err != nil {
		return nil, err
	}
	pp := p.params(&Tensor{Shape: append([]int{1}, in[0]...)})
	if pp.OutH() < 1 || pp.OutW() < 1 {
		return nil, fmt.Errorf("a %dx%d pool does not fit a %dx%d input", p.size[0], p.size[1], in[0][0], in[0][1])
	}
	return []int{pp.OutH(), pp.OutW(), in[0][2]}, nil
}

// MaxPooling2D is Keras' max pooling.
type MaxPooling2D struct{ pool2D }

// NewMaxPooling2D returns a MaxPooling2D with a ph x pw window; strides
// default to the window. Options: WithStrides, WithPadding, WithName.
func NewMaxPooling2D(ph, pw int, opts ...Option) *MaxPooling2D {
	l := &MaxPooling2D{}
	newPool2D("MaxPooling2D", l, &l.pool2D, ph, pw, opts)
	return l
}

func (l *MaxPooling2D) backwardNeeds(*call, bool) (bool, bool) { return true, false }

// canFoldPad: a valid max pooling can take a ZeroPadding2D before it as its
// padding when no window lies wholly in the padding and the values are
// non-negative, so a zero never wins a window's maximum over them.
func (l *MaxPooling2D) canFoldPad(top, bottom, left, right int, nonNegative bool) bool {
	return nonNegative && l.padding != "same" && max(top, bottom) < l.size[0] && max(left, right) < l.size[1]
}

func (l *MaxPooling2D) forward(c *call) {
	pp := l.params(c.x[0])
	c.withPad(&pp.PadTop, &pp.PadBottom, &pp.PadLeft, &pp.PadRight)
	kernels.MaxPool2D(pp, c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *MaxPooling2D) backward(c *call) {
	if c.dx[0] != nil {
		kernels.MaxPool2DBackward(l.params(c.x[0]), c.x[0].Data, c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}

// AveragePooling2D is Keras' average pooling (with `same` padding, windows
// average their real elements only, as TensorFlow does).
type AveragePooling2D struct{ pool2D }

// NewAveragePooling2D returns an AveragePooling2D with a ph x pw window.
func NewAveragePooling2D(ph, pw int, opts ...Option) *AveragePooling2D {
	l := &AveragePooling2D{}
	newPool2D("AveragePooling2D", l, &l.pool2D, ph, pw, opts)
	return l
}

func (l *AveragePooling2D) backwardNeeds(*call, bool) (bool, bool) { return false, false }

// averagesPixels: each output is an average of input pixels, with `same`
// padding over the window's real pixels only (plan.poolFirst).
func (l *AveragePooling2D) averagesPixels() bool { return true }

func (l *AveragePooling2D) forward(c *call) {
	kernels.AvgPool2D(l.params(c.x[0]), c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *AveragePooling2D) backward(c *call) {
	if c.dx[0] != nil {
		kernels.AvgPool2DBackward(l.params(c.x[0]), c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}

// globalPool is what the global poolings share.
type globalPool struct {
	base
	keepDims bool
}

func newGlobalPool(class string, l Layer, g *globalPool, opts []Option) {
	s, err := collect(class, opts, "keepdims")
	g.keepDims = s.keepDims
	g.init(l, class, s, err)
}

// Config is Keras' global pooling config (keepdims only when set, as
// Keras 2.3.1 had none).
func (g *globalPool) Config() map[string]any {
	c := g.withBase(map[string]any{"data_format": "channels_last"})
	if g.keepDims {
		c["keepdims"] = true
	}
	return c
}

func (g *globalPool) build(in [][]int) ([]int, error) {
	if err := checkImage(in); err != nil {
		return nil, err
	}
	if g.keepDims {
		return []int{1, 1, in[0][2]}, nil
	}
	return []int{in[0][2]}, nil
}

func globalDims(x *Tensor) (n, hw, c int) { return x.Shape[0], x.Shape[1] * x.Shape[2], x.Shape[3] }

// GlobalAveragePooling2D is Keras' mean over the spatial dimensions.
type GlobalAveragePooling2D struct{ globalPool }

// NewGlobalAveragePooling2D returns a GlobalAveragePooling2D. Options:
// WithKeepDims, WithName.
func NewGlobalAveragePooling2D(opts ...Option) *GlobalAveragePooling2D {
	l := &GlobalAveragePooling2D{}
	newGlobalPool("GlobalAveragePooling2D", l, &l.globalPool, opts)
	return l
}

func (l *GlobalAveragePooling2D) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *GlobalAveragePooling2D) forward(c *call) {
	n, hw, ch := globalDims(c.x[0])
	kernels.GlobalAvgPool(n, hw, ch, c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *GlobalAveragePooling2D) backward(c *call) {
	if c.dx[0] != nil {
		n, hw, ch := globalDims(c.x[0])
		kernels.GlobalAvgPoolBackward(n, hw, ch, c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}

// GlobalMaxPooling2D is Keras' maximum over the spatial dimensions.
type GlobalMaxPooling2D struct{ globalPool }

// NewGlobalMaxPooling2D returns a GlobalMaxPooling2D.
func NewGlobalMaxPooling2D(opts ...Option) *GlobalMaxPooling2D {
	l := &GlobalMaxPooling2D{}
	newGlobalPool("GlobalMaxPooling2D", l, &l.globalPool, opts)
	return l
}

func (l *GlobalMaxPooling2D) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (l *GlobalMaxPooling2D) forward(c *call) {
	n, hw, ch := globalDims(c.x[0])
	kernels.GlobalMaxPool(n, hw, ch, c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *GlobalMaxPooling2D) backward(c *call) {
	if c.dx[0] != nil {
		n, hw, ch := globalDims(c.x[0])
		kernels.GlobalMaxPoolBackward(n, hw, ch, c.x[0].Data, c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}

// ZeroPadding2D is Keras' zero padding: rows above and below, columns left
// and right.
type ZeroPadding2D struct {
	base
	top, bottom, left, right int
}

// NewZeroPadding2D returns a ZeroPadding2D; Keras'
// ZeroPadding2D(((0, 1), (0, 1))) is NewZeroPadding2D(0, 1, 0, 1).
func NewZeroPadding2D(top, bottom, left, right int, opts ...Option) *ZeroPadding2D {
	s, err := collect("ZeroPadding2D", opts)
	if err == nil && (top < 0 || bottom < 0 || left < 0 || right < 0) {
		err = fmt.Errorf("nn: ZeroPadding2D: negative padding")
	}
	l := &ZeroPadding2D{top: top, bottom: bottom, left: left, right: right}
	l.init(l, "ZeroPadding2D", s, err)
	return l
}

// Config is Keras' ZeroPadding2D config.
func (l *ZeroPadding2D) Config() map[string]any {
	return l.withBase(map[string]any{"padding": [][]int{{l.top, l.bottom}, {l.left, l.right}}, "data_format": "channels_last"})
}

func (l *ZeroPadding2D) zeroPads() (top, bottom, left, right int) {
	return l.top, l.bottom, l.left, l.right
}

func (l *ZeroPadding2D) build(in [][]int) ([]int, error) {
	if err := checkImage(in); err != nil {
		return nil, err
	}
	return []int{in[0][0] + l.top + l.bottom, in[0][1] + l.left + l.right, in[0][2]}, nil
}

func (l *ZeroPadding2D) params(x *Tensor) kernels.PadParams {
	return kernels.PadParams{N: x.Shape[0], H: x.Shape[1], W: x.Shape[2], C: x.Shape[3], Top: l.top, Bottom: l.bottom, Left: l.left, Right: l.right}
}

func (l *ZeroPadding2D) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *ZeroPadding2D) forward(c *call) {
	kernels.ZeroPad2D(l.params(c.x[0]), c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *ZeroPadding2D) backward(c *call) {
	if c.dx[0] != nil {
		kernels.ZeroPad2DBackward(l.params(c.x[0]), c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}

// Cropping2D is Keras' cropping: rows removed above and below, columns left
// and right. It is ZeroPadding2D run backwards, so the padding kernels serve
// with the roles of input and output swapped.
type Cropping2D struct {
	base
	top, bottom, left, right int
}

// NewCropping2D returns a Cropping2D; Keras'
// Cropping2D(((1, 0), (1, 0))) is NewCropping2D(1, 0, 1, 0).
func NewCropping2D(top, bottom, left, right int, opts ...Option) *Cropping2D {
	s, err := collect("Cropping2D", opts)
	if err == nil && (top < 0 || bottom < 0 || left < 0 || right < 0) {
		err = fmt.Errorf("nn: Cropping2D: negative cropping")
	}
	l := &Cropping2D{top: top, bottom: bottom, left: left, right: right}
	l.init(l, "Cropping2D", s, err)
	return l
}

// Config is Keras' Cropping2D config.
func (l *Cropping2D) Config() map[string]any {
	return l.withBase(map[string]any{"cropping": [][]int{{l.top, l.bottom}, {l.left, l.right}}, "data_format": "channels_last"})
}

func (l *Cropping2D) build(in [][]int) ([]int, error) {
	if err := checkImage(in); err != nil {
		return nil, err
	}
	h, w := in[0][0]-l.top-l.bottom, in[0][1]-l.left-l.right
	if h < 1 || w < 1 {
		return nil, fmt.Errorf("cropping ((%d, %d), (%d, %d)) leaves nothing of a %dx%d input", l.top, l.bottom, l.left, l.right, in[0][0], in[0][1])
	}
	return []int{h, w, in[0][2]}, nil
}

// params describes the padding that takes the cropped output back to the
// input's size.
func (l *Cropping2D) params(y *Tensor) kernels.PadParams {
	return kernels.PadParams{N: y.Shape[0], H: y.Shape[1], W: y.Shape[2], C: y.Shape[3], Top: l.top, Bottom: l.bottom, Left: l.left, Right: l.right}
}

func (l *Cropping2D) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *Cropping2D) forward(c *call) {
	kernels.ZeroPad2DBackward(l.params(c.y), c.x[0].Data, c.y.Data)
	c.forwardKernel(0)
}

func (l *Cropping2D) backward(c *call) {
	if c.dx[0] != nil {
		kernels.ZeroPad2D(l.params(c.dy), c.dy.Data, c.dx[0].Data)
		c.backwardKernel(0)
	}
}
