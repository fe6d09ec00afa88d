package nn

import (
	"fmt"
	"slices"
)

// axisPermute reorders a sample's axes, as Keras' Permute: output axis i is
// input axis dims[i] (0-based here, 1-based in Keras' config). It is what
// ChannelsLastConfig inserts and what a TensorFlowOpLayer transpose runs.
type axisPermute struct {
	base
	dims []int // 0-based, without the batch
	// inStrides, outShape: the built input's strides and the output shape.
	inStrides []int
	outShape  []int
}

func newAxisPermute(dims []int, opts ...Option) *axisPermute {
	s, err := collect("Permute", opts)
	l := &axisPermute{dims: slices.Clone(dims)}
	if err == nil {
		sorted := slices.Sorted(slices.Values(dims))
		for i, d := range sorted {
			if d != i {
				err = fmt.Errorf("nn: Permute: dims %v is not a permutation of 0..%d", plusOne(dims), len(dims)-1)
				break
			}
		}
	}
	l.init(l, "Permute", s, err)
	return l
}

func plusOne(d []int) []int {
	out := make([]int, len(d))
	for i, v := range d {
		out[i] = v + 1
	}
	return out
}

// Config is Keras' Permute config.
func (l *axisPermute) Config() map[string]any {
	return l.withBase(map[string]any{"dims": plusOne(l.dims)})
}

func (l *axisPermute) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if len(in[0]) != len(l.dims) {
		return nil, fmt.Errorf("dims %v for a rank-%d input %v", plusOne(l.dims), len(in[0]), in[0])
	}
	l.inStrides = make([]int, len(in[0]))
	stride := 1
	for i := len(in[0]) - 1; i >= 0; i-- {
		l.inStrides[i] = stride
		stride *= in[0][i]
	}
	l.outShape = make([]int, len(l.dims))
	for i, d := range l.dims {
		l.outShape[i] = in[0][d]
	}
	return slices.Clone(l.outShape), nil
}

func (l *axisPermute) backwardNeeds(*call, bool) (bool, bool) { return false, false }

// walk calls f(outIndex, inIndex) for every value of one sample.
func (l *axisPermute) walk(f func(o, i int)) {
	n := numElements(l.outShape)
	idx := make([]int, len(l.outShape))
	in := 0
	for o := 0; o < n; o++ {
		f(o, in)
		for a := len(idx) - 1; a >= 0; a-- {
			idx[a]++
			in += l.inStrides[l.dims[a]]
			if idx[a] < l.outShape[a] {
				break
			}
			in -= idx[a] * l.inStrides[l.dims[a]]
			idx[a] = 0
		}
	}
}

func (l *axisPermute) forward(c *call) {
	per := numElements(l.outShape)
	for b := 0; b < c.x[0].Shape[0]; b++ {
		x, y := c.x[0].Data[b*per:(b+1)*per], c.y.Data[b*per:(b+1)*per]
		l.walk(func(o, i int) { y[o] = x[i] })
	}
}

func (l *axisPermute) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	per := numElements(l.outShape)
	for b := 0; b < c.dy.Shape[0]; b++ {
		dy, dx := c.dy.Data[b*per:(b+1)*per], c.dx[0].Data[b*per:(b+1)*per]
		l.walk(func(o, i int) { dx[i] = dy[o] })
	}
}

func init() {
	registerIfAbsent("Permute", func(c Config) (Layer, error) {
		opts, err := c.common()
		if err != nil {
			return nil, err
		}
		dims, err := c.ints("dims")
		if err != nil {
			return nil, err
		}
		for i := range dims {
			dims[i]--
		}
		l := newAxisPermute(dims, opts...)
		return l, l.err
	})
}

// registerIfAbsent registers fn for class unless a layer of Keel's already
// is: the fuller layer of another file wins whatever the init order.
func registerIfAbsent(class string, fn LayerConstructor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, ok := registry[class]; !ok {
		registry[class] = fn
	}
}
