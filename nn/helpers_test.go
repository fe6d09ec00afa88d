package nn

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/npy"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/kernels"
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

// specModel is the model from in to out with every weight set by specFill;
// a kernel's (depthwise or pointwise too) fan-in is all its axes but the
// last.
func specModel(t testing.TB, in, out *Node) *Model {
	t.Helper()
	m, err := NewModel([]*Node{in}, []*Node{out})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers() {
		for _, v := range l.Weights() {
			fan := 0
			switch v.name {
			case "kernel", "depthwise_kernel", "pointwise_kernel":
				fan = numElements(v.shape[:len(v.shape)-1])
			}
			v.Set(v.shape, specFill(l.Name(), v.name, v.shape, fan))
		}
	}
	return m
}

// forThreadsAndSizes runs check as a subtest on 1 and 2 threads and for each
// size (batch, height, width, channels), on the model build makes for the
// size and foldInput of it.
func forThreadsAndSizes(t *testing.T, sizes [][4]int, build func(t *testing.T, h, w, c int) *Model, check func(t *testing.T, sz [4]int, m *Model, x *Tensor)) {
	defer kernels.SetThreads(kernels.Threads())
	for _, threads := range []int{1, 2} {
		kernels.SetThreads(threads)
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("threads%d_%v", threads, sz), func(t *testing.T) {
				check(t, sz, build(t, sz[1], sz[2], sz[3]), foldInput(sz[0], sz[1], sz[2], sz[3]))
			})
		}
	}
}

// runEveryLayer runs m on x with every layer but the input requested, so
// that every value is an output and nothing folds, fuses or chains (it
// checks every step ran in inference mode), then runs m on x as is and
// checks its output differs from the head's by rounding only (what names
// it in the error). It returns the layers' outputs by name.
func runEveryLayer(t *testing.T, m *Model, x *Tensor, what string) map[string]*Tensor {
	t.Helper()
	var names []string
	for _, l := range m.Layers()[1:] {
		names = append(names, l.Name())
	}
	ref, err := m.RunLayers(names, x)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.StepStats() {
		if s.Mode != "inference" {
			t.Errorf("all requested: %s runs %q", s.Layer, s.Mode)
		}
	}
	refOf := map[string]*Tensor{}
	for i, n := range names {
		refOf[n] = ref[i]
	}
	got, err := m.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(got[0].Data, refOf["head"].Data); e > 1e-5 {
		t.Errorf("%s output: relative error %.3g", what, e)
	}
	return refOf
}

// checkRequested runs m on x with the layers req and head requested and
// checks their outputs against ref's (those of runEveryLayer).
func checkRequested(t *testing.T, m *Model, x *Tensor, ref map[string]*Tensor, req ...string) {
	t.Helper()
	outs, err := m.RunLayers(append(req, "head"), x)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range req {
		if e := relErr(outs[i].Data, ref[n].Data); e > 1e-5 {
			t.Errorf("requested %s: relative error %.3g", n, e)
		}
	}
	if e := relErr(outs[len(req)].Data, ref["head"].Data); e > 1e-5 {
		t.Errorf("head with requested layers: relative error %.3g", e)
	}
}

// stepModes is the mode of each layer in m's last step.
func stepModes(m *Model) map[string]StepMode {
	modes := map[string]StepMode{}
	for _, s := range m.StepStats() {
		modes[s.Layer] = s.Mode
	}
	return modes
}

// mobilenetTransfer is the golden MobileNet graph (224, alpha 1, no top)
// with the guide's head (global pooling, Dense(100, relu), Dense(2,
// softmax)), its backbone frozen when regime is "frozen", compiled with
// Adam; and one-hot labels for batch images, the classes alternating.
func mobilenetTransfer(tb testing.TB, regime string, batch int) (*Model, *Tensor) {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.Shared(tb, "golden", "archs"), "mobilenet_notop_224.json"))
	if err != nil {
		tb.Fatal(err)
	}
	base, err := ModelFromJSON(raw)
	if err != nil {
		tb.Fatal(err)
	}
	sc := NewNameScope()
	x := NewGlobalAveragePooling2D(WithScope(sc)).Apply(base.Output())
	x = NewDense(100, WithActivation("relu"), WithScope(sc)).Apply(x)
	x = NewDense(2, WithActivation("softmax"), WithScope(sc)).Apply(x)
	m, err := NewModel(base.Inputs(), []*Node{x})
	if err != nil {
		tb.Fatal(err)
	}
	if regime == "frozen" {
		base.SetTrainable(false)
	}
	m.Compile(NewAdam(AdamConfig{}), CategoricalCrossentropy{})
	y := NewTensor(batch, 2)
	for i := 0; i < batch; i++ {
		y.Data[2*i+i%2] = 1
	}
	return m, y
}
