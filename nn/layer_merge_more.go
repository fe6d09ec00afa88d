package nn

import "fmt"

// Subtract is Keras' Subtract: inputs[0] - inputs[1].
type Subtract struct{ merge }

// NewSubtract returns a Subtract layer.
func NewSubtract(opts ...Option) *Subtract {
	s, err := collect("Subtract", opts)
	l := &Subtract{}
	l.init(l, "Subtract", s, err)
	return l
}

func (l *Subtract) build(in [][]int) ([]int, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("takes exactly two inputs, got %d", len(in))
	}
	return l.merge.build(in)
}

func (l *Subtract) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *Subtract) forward(c *call) {
	a, b := c.x[0].Data, c.x[1].Data
	for i := range c.y.Data {
		c.y.Data[i] = a[i] - b[i]
	}
	c.forwardKernel(0)
}

func (l *Subtract) backward(c *call) {
	if dx := c.dx[0]; dx != nil {
		copy(dx.Data, c.dy.Data)
	}
	if dx := c.dx[1]; dx != nil {
		for i, g := range c.dy.Data {
			dx.Data[i] = -g
		}
	}
}

// Average is Keras' Average: the elementwise mean of its inputs.
type Average struct{ merge }

// NewAverage returns an Average layer.
func NewAverage(opts ...Option) *Average {
	s, err := collect("Average", opts)
	l := &Average{}
	l.init(l, "Average", s, err)
	return l
}

func (l *Average) backwardNeeds(*call, bool) (bool, bool) { return false, false }

// forward sums in input order, then divides, as Keras does.
func (l *Average) forward(c *call) {
	y := c.y.Data
	copy(y, c.x[0].Data)
	for _, x := range c.x[1:] {
		for i, v := range x.Data {
			y[i] += v
		}
	}
	n := float32(len(c.x))
	for i := range y {
		y[i] /= n
	}
	c.forwardKernel(0)
}

func (l *Average) backward(c *call) {
	n := float32(len(c.x))
	for _, dx := range c.dx {
		if dx == nil {
			continue
		}
		for i, g := range c.dy.Data {
			dx.Data[i] = g / n
		}
	}
}

// extremum is what Maximum and Minimum share: Keras folds the inputs
// pairwise, so on ties the gradient goes to the earliest input, as
// TensorFlow's maximum and minimum send it to their first operand.
type extremum struct {
	merge
	wins func(v, best float32) bool // v replaces best
}

func (e *extremum) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (e *extremum) forward(c *call) {
	y := c.y.Data
	copy(y, c.x[0].Data)
	for _, x := range c.x[1:] {
		for i, v := range x.Data {
			if e.wins(v, y[i]) {
				y[i] = v
			}
		}
	}
	c.forwardKernel(0)
}

func (e *extremum) backward(c *call) {
	for _, dx := range c.dx {
		if dx != nil {
			clear(dx.Data)
		}
	}
	for i, g := range c.dy.Data {
		best, at := c.x[0].Data[i], 0
		for k, x := range c.x[1:] {
			if e.wins(x.Data[i], best) {
				best, at = x.Data[i], k+1
			}
		}
		if dx := c.dx[at]; dx != nil {
			dx.Data[i] = g
		}
	}
}

// Maximum is Keras' Maximum: the elementwise maximum of its inputs.
type Maximum struct{ extremum }

// NewMaximum returns a Maximum layer.
func NewMaximum(opts ...Option) *Maximum {
	s, err := collect("Maximum", opts)
	l := &Maximum{extremum{wins: func(v, best float32) bool { return v > best }}}
	l.init(l, "Maximum", s, err)
	return l
}

// Minimum is Keras' Minimum: the elementwise minimum of its inputs.
type Minimum struct{ extremum }

// NewMinimum returns a Minimum layer.
func NewMinimum(opts ...Option) *Minimum {
	s, err := collect("Minimum", opts)
	l := &Minimum{extremum{wins: func(v, best float32) bool { return v < best }}}
	l.init(l, "Minimum", s, err)
	return l
}

func init() {
	registerConfig("Subtract", func(r *reader, o []Option) Layer { return NewSubtract(o...) })
	registerConfig("Average", func(r *reader, o []Option) Layer { return NewAverage(o...) })
	registerConfig("Maximum", func(r *reader, o []Option) Layer { return NewMaximum(o...) })
	registerConfig("Minimum", func(r *reader, o []Option) Layer { return NewMinimum(o...) })
}
