package nn

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/npy"
)

// layerRun is one forward and backward of a single layer, outside any plan.
type layerRun struct {
	y  *Tensor
	dx []*Tensor
	dw map[string][]float32
}

// runLayer builds l on inputs of the shapes of xs, sets weights, runs
// forward, then backward with upstream gradient dy (skipped when nil).
// training and frozen are the call's modes.
func runLayer(t testing.TB, l kernelLayer, xs []*Tensor, weights map[string]*Tensor, dy *Tensor, training, frozen bool) layerRun {
	t.Helper()
	var nodes []*Node
	scope := NewNameScope()
	for _, x := range xs {
		nodes = append(nodes, Input(x.Shape[1:], WithScope(scope)))
	}
	out := l.Apply(nodes...)
	if out.Err() != nil {
		t.Fatal(out.Err())
	}
	for name, w := range weights {
		if err := l.core().SetWeight(name, w.Shape, w.Data); err != nil {
			t.Fatal(err)
		}
	}
	c := &call{x: xs, y: NewTensor(append([]int{xs[0].Shape[0]}, out.Shape()...)...), training: training, frozen: frozen, backward: dy != nil, stats: &LayerStats{}}
	l.forward(c)
	r := layerRun{y: c.y, dw: map[string][]float32{}}
	if dy == nil {
		return r
	}
	c.dy = dy
	for _, x := range xs {
		d := NewTensor(x.Shape...)
		c.dx = append(c.dx, d)
		r.dx = append(r.dx, d)
	}
	for _, v := range l.Weights() {
		var g []float32
		if v.trainable && !frozen {
			g = make([]float32, len(v.data))
			r.dw[v.name] = g
		}
		c.dw = append(c.dw, g)
	}
	l.backward(c)
	return r
}

// readNpy reads a .npy file as a tensor.
func readNpy(t testing.TB, path string) *Tensor {
	t.Helper()
	shape, data, err := npy.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) == 0 {
		shape = []int{}
	}
	return &Tensor{Shape: shape, Data: data}
}

func readNpyIn(t testing.TB, dir, name string) *Tensor {
	return readNpy(t, filepath.Join(dir, name+".npy"))
}

// relErr is max|got - want| / max|want| (absolute when want is all zero).
func relErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, m float64
	for i := range want {
		d = max(d, math.Abs(float64(got[i])-float64(want[i])))
		m = max(m, math.Abs(float64(want[i])))
	}
	if m == 0 {
		return d
	}
	return d / m
}

// maxAbs is max|got - want|.
func maxAbs(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d float64
	for i := range want {
		d = max(d, math.Abs(float64(got[i])-float64(want[i])))
	}
	return d
}

// arrays is NewArrayDataset of one input and one target (none when y is
// nil).
func arrays(t testing.TB, x, y *Tensor, batchSize int, shuffle bool, seed uint64) *ArrayDataset {
	t.Helper()
	var ys []*Tensor
	if y != nil {
		ys = []*Tensor{y}
	}
	d, err := NewArrayDataset([]*Tensor{x}, ys, batchSize, shuffle, seed)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
