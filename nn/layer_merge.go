package nn

import (
	"fmt"
	"slices"

	"github.com/keelml/keel/kernels"
)

// merge is what Add and Multiply share: two or more inputs of one shape.
type merge struct{ base }

func (m *merge) build(in [][]int) ([]int, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("takes at least two inputs, got %d", len(in))
	}
	for _, s := range in[1:] {
		if !slices.Equal(s, in[0]) {
			return nil, fmt.Errorf("inputs of different shapes %v", in)
		}
	}
	return slices.Clone(in[0]), nil
}

// Config is Keras' merge layer config.
func (m *merge) Config() map[string]any { return m.withBase(nil) }

// Add is Keras' Add: the elementwise sum of its inputs (residual connections).
type Add struct{ merge }

// NewAdd returns an Add layer.
func NewAdd(opts ...Option) *Add {
	s, err := collect("Add", opts)
	l := &Add{}
	l.init(l, "Add", s, err)
	return l
}

// canFuseAct lets inference apply a following ReLU in the add (ResNet's
// add-then-relu).
func (l *Add) canFuseAct() bool { return true }
func (l *Add) sumsInputs() bool { return true }

func (l *Add) forward(c *call) {
	last := len(c.x) - 1
	if last == 1 {
		kernels.AddAct(c.x[0].Data, c.x[1].Data, c.postAct, c.y.Data)
	} else {
		kernels.Add(c.x[0].Data, c.x[1].Data, c.y.Data)
		for _, x := range c.x[2:last] {
			kernels.Add(c.y.Data, x.Data, c.y.Data)
		}
		kernels.AddAct(c.y.Data, c.x[last].Data, c.postAct, c.y.Data)
	}
	c.forwardKernel(0)
}

func (l *Add) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *Add) backward(c *call) {
	for _, dx := range c.dx {
		if dx != nil {
			copy(dx.Data, c.dy.Data)
		}
	}
}

// Multiply is Keras' Multiply: the elementwise product of its inputs, which
// broadcast (layer_multiply_broadcast.go).
type Multiply struct {
	merge
	bc *broadcast // nil when every input has the output's shape
}

// NewMultiply returns a Multiply layer.
func NewMultiply(opts ...Option) *Multiply {
	s, err := collect("Multiply", opts)
	l := &Multiply{}
	l.init(l, "Multiply", s, err)
	return l
}

func (l *Multiply) forward(c *call) {
	if l.bc != nil {
		l.forwardBroadcast(c)
		return
	}
	kernels.Mul(c.x[0].Data, c.x[1].Data, c.y.Data)
	for _, x := range c.x[2:] {
		kernels.Mul(c.y.Data, x.Data, c.y.Data)
	}
	c.forwardKernel(0)
}

func (l *Multiply) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (l *Multiply) backward(c *call) {
	if l.bc != nil {
		l.backwardBroadcast(c)
		return
	}
	for i, dx := range c.dx {
		if dx == nil {
			continue
		}
		copy(dx.Data, c.dy.Data)
		for j, x := range c.x {
			if j != i {
				kernels.Mul(dx.Data, x.Data, dx.Data)
			}
		}
		c.backwardKernel(0)
	}
}

// Concatenate is Keras' Concatenate along an axis (default the last; Keras
// counts the batch as axis 0, so 3 is the channels of an image).
type Concatenate struct {
	base
	axis  int
	outer int   // per-sample product of the dimensions before the axis
	sizes []int // per input, the elements of one outer row
	last  bool  // the axis is the last: a row is one position's channels
}

// NewConcatenate returns a Concatenate layer. Options: WithAxis, WithName.
func NewConcatenate(opts ...Option) *Concatenate {
	s, err := collect("Concatenate", opts, "axis")
	l := &Concatenate{axis: s.axis}
	l.init(l, "Concatenate", s, err)
	return l
}

// Config is Keras' Concatenate config.
func (l *Concatenate) Config() map[string]any { return l.withBase(map[string]any{"axis": l.axis}) }

func (l *Concatenate) appendsChannels() bool { return l.last }

func (l *Concatenate) build(in [][]int) ([]int, error) {
	if len(in) < 2 {
		return nil, fmt.Errorf("takes at least two inputs, got %d", len(in))
	}
	rank := len(in[0])
	ax := l.axis - 1 // per-sample axis
	if l.axis < 0 {
		ax = rank + l.axis
	}
	if ax < 0 || ax >= rank {
		return nil, fmt.Errorf("axis %d out of range for inputs of rank %d", l.axis, rank+1)
	}
	out := slices.Clone(in[0])
	out[ax] = 0
	l.sizes = l.sizes[:0]
	for _, s := range in {
		if len(s) != rank {
			return nil, fmt.Errorf("inputs of different ranks %v", in)
		}
		for d := range s {
			if d != ax && s[d] != in[0][d] {
				return nil, fmt.Errorf("inputs %v differ outside axis %d", in, l.axis)
			}
		}
		out[ax] += s[ax]
		l.sizes = append(l.sizes, numElements(s[ax:]))
	}
	l.outer = numElements(in[0][:ax])
	l.last = ax == rank-1
	return out, nil
}

func (l *Concatenate) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *Concatenate) forward(c *call) {
	rows := c.x[0].Batch() * l.outer
	y := c.y.Data
	if c.rowStride > 0 {
		l.forwardChained(c, rows)
		return
	}
	for r := 0; r < rows; r++ {
		for i, x := range c.x {
			n := l.sizes[i]
			y = y[copy(y, x.Data[r*n:(r+1)*n]):]
		}
	}
}

// forwardChained writes rows c.rowStride values apart, skipping x[0] when
// it is in place already (see plan.chainConcats).
func (l *Concatenate) forwardChained(c *call, rows int) {
	first, off := 0, 0
	if c.inPlace {
		first, off = 1, l.sizes[0]
	}
	y, ld := c.y.Data, c.rowStride
	for r := 0; r < rows; r++ {
		o := r*ld + off
		for i := first; i < len(c.x); i++ {
			n := l.sizes[i]
			o += copy(y[o:o+n], c.x[i].Data[r*n:(r+1)*n])
		}
	}
}

func (l *Concatenate) backward(c *call) {
	rows := c.dy.Batch() * l.outer
	dy := c.dy.Data
	for r := 0; r < rows; r++ {
		for i, dx := range c.dx {
			n := l.sizes[i]
			if dx != nil {
				copy(dx.Data[r*n:(r+1)*n], dy[:n])
			}
			dy = dy[n:]
		}
	}
}

// CustomScaleLayer is InceptionResNetV2's scaled residual, as Keras 3's
// applications define it: inputs[0] + inputs[1] * scale, with inputs[0] the
// block input and inputs[1] the residual branch. keras_applications 1.0.8
// builds the same sum as a Lambda with arguments {"scale": s}; Keras 2
// configs of that form are read as this layer.
type CustomScaleLayer struct {
	base
	scale float64 // as configured, so that Config gives back Keras' number
	// lambdaShape is the output_shape a Keras 2 Lambda config declared (nil
	// otherwise; -1 where unknown): the inputs must have it.
	lambdaShape []int
	fromLambda  bool
}

// NewCustomScaleLayer returns a CustomScaleLayer computing
// inputs[0] + inputs[1] * scale.
func NewCustomScaleLayer(scale float64, opts ...Option) *CustomScaleLayer {
	s, err := collect("CustomScaleLayer", opts)
	l := &CustomScaleLayer{scale: scale}
	l.init(l, "CustomScaleLayer", s, err)
	return l
}

// Scale returns the factor of the residual.
func (l *CustomScaleLayer) Scale() float64 { return l.scale }

// scaledSum lets inference fold the layer into the convolution that
// computes its residual branch.
func (l *CustomScaleLayer) scaledSum() float64 { return l.scale }

// Config is Keras 3's CustomScaleLayer config: the common keys and scale.
func (l *CustomScaleLayer) Config() map[string]any {
	return l.withBase(map[string]any{"scale": l.scale})
}

func (l *CustomScaleLayer) build(in [][]int) ([]int, error) {
	if len(in) != 2 {
		if l.fromLambda {
			return nil, fmt.Errorf("a Lambda with arguments {\"scale\"} is read as InceptionResNetV2's scaled residual, which takes two inputs, got %d", len(in))
		}
		return nil, fmt.Errorf("takes two inputs (block input, residual), got %d", len(in))
	}
	if !slices.Equal(in[0], in[1]) {
		return nil, fmt.Errorf("inputs of different shapes %v", in)
	}
	if l.lambdaShape != nil && !matchesKnown(l.lambdaShape, in[0]) {
		return nil, fmt.Errorf("the Lambda's output_shape %v differs from its inputs %v", l.lambdaShape, in[0])
	}
	return slices.Clone(in[0]), nil
}

// matchesKnown says whether shape equals pattern where pattern is known
// (not -1).
func matchesKnown(pattern, shape []int) bool {
	return slices.EqualFunc(pattern, shape, func(p, d int) bool { return p == -1 || p == d })
}

// canFuseAct lets inference apply the block's ReLU (blockT_i_ac) in the sum.
func (l *CustomScaleLayer) canFuseAct() bool { return true }

// forward rounds the product to float32 before adding, as the references
// do (Axpy's fused multiply-add would round once).
func (l *CustomScaleLayer) forward(c *call) {
	y := c.y.Data
	copy(y, c.x[1].Data)
	kernels.Scale(float32(l.scale), y)
	kernels.AddAct(c.x[0].Data, y, c.postAct, y)
	c.forwardKernel(0)
}

func (l *CustomScaleLayer) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *CustomScaleLayer) backward(c *call) {
	if dx := c.dx[0]; dx != nil {
		copy(dx.Data, c.dy.Data)
	}
	if dx := c.dx[1]; dx != nil {
		copy(dx.Data, c.dy.Data)
		kernels.Scale(float32(l.scale), dx.Data)
		c.backwardKernel(0)
	}
}
