package nn

import (
	"math"
	"testing"

	"github.com/keelml/keel/internal/splitmix"
)

// dotLoss is sum(pred * dy): its gradient with respect to pred is dy, the
// upstream gradient of the golden gradient cases.
type dotLoss struct{}

func (dotLoss) Name() string { return "dot" }

func (dotLoss) Compute(pred, dy *Tensor, grad []float32) (float64, error) {
	s := 0.0
	for i, v := range pred.Data {
		s += float64(v) * float64(dy.Data[i])
	}
	copy(grad, dy.Data)
	return s, nil
}

// noUpdate is an optimizer that leaves the weights alone.
type noUpdate struct{}

func (noUpdate) Update([]*Variable)        {}
func (noUpdate) LearningRate() float64     { return 0 }
func (noUpdate) SetLearningRate(_ float64) {}

func randomTensor(seed string, scale float64, shape ...int) *Tensor {
	t := NewTensor(shape...)
	r := splitmix.FromString(seed)
	for i := range t.Data {
		t.Data[i] = float32((2*r.U() - 1) * scale)
	}
	return t
}

// checkFiniteDifferences compares the plan's gradients of sum(outputs * dy)
// with respect to every weight and input with central differences,
// accumulated in float64 over tiny shapes.
func checkFiniteDifferences(t *testing.T, m *Model, batch int) {
	t.Helper()
	var xs []*Tensor
	for i, in := range m.inputs {
		xs = append(xs, randomTensor("fd-x"+string(rune('a'+i)), 1, append([]int{batch}, in.shape...)...))
	}
	checkFiniteDifferencesAt(t, m, xs, true)
}

// checkFiniteDifferencesAt is checkFiniteDifferences at given inputs
// (integer indices, masked steps), of the input gradients too when
// inputGrads (not where any change of an input jumps: a masked value).
func checkFiniteDifferencesAt(t *testing.T, m *Model, xs []*Tensor, inputGrads bool) {
	t.Helper()
	batch := xs[0].Batch()
	var dys []*Tensor
	for i, o := range m.outputs {
		dys = append(dys, randomTensor("fd-dy"+string(rune('a'+i)), 1, append([]int{batch}, o.shape...)...))
	}
	p, err := buildPlan(m, planKey{training: true, batch: batch, inputGrads: inputGrads})
	if err != nil {
		t.Fatal(err)
	}
	cc := &compiled{opt: noUpdate{}, loss: dotLoss{}}
	// Values that backward did not ask to keep are NaN during backward.
	p.afterForward = (*plan).poisonUnkept
	_, err = p.trainStep(xs, dys, nil, cc, func() {})
	if err != nil {
		t.Fatal(err)
	}
	objective := func() float64 {
		p.forward(xs)
		s := 0.0
		for i, o := range p.outputs {
			for j, v := range p.slots[o].val.Data {
				s += float64(v) * float64(dys[i].Data[j])
			}
		}
		return s
	}
	// A value near a kink (ReLU, max pooling) gives different slopes at
	// two step sizes; such values are skipped, and must be few.
	const eps = 3e-3
	check := func(what string, values, analytic []float32, changed func()) {
		t.Helper()
		slope := func(i int, h float32) float64 {
			old := values[i]
			values[i] = old + h
			changed()
			up := objective()
			values[i] = old - h
			changed()
			down := objective()
			values[i] = old
			changed()
			return (up - down) / (2 * float64(h))
		}
		var worst, scale float64
		skipped := 0
		for i := range values {
			n1, n2 := slope(i, eps), slope(i, eps/2)
			if math.Abs(n1-n2) > 1e-2*max(math.Abs(n1), 1e-1) {
				skipped++
				continue
			}
			worst = max(worst, math.Abs(n2-float64(analytic[i])))
			scale = max(scale, math.Abs(n2))
		}
		if worst > 5e-3*max(scale, 1e-2) {
			t.Errorf("%s: analytic and numeric gradients differ by %.3g (scale %.3g)", what, worst, scale)
		}
		if 3*skipped > len(values) {
			t.Errorf("%s: %d of %d values near a kink", what, skipped, len(values))
		}
	}
	// Analytic gradients first: the objective's forwards overwrite nothing
	// they hold (weights' Grad and the input gradients are separate).
	if inputGrads {
		for i, in := range p.inputs {
			check("input "+string(rune('0'+i)), xs[i].Data, p.slots[in].grad.Data, func() {})
		}
	}
	for _, v := range p.trainVars {
		check(v.Path(), v.data, v.grad, v.changed)
	}
}

// TestFiniteDifferences checks backprop through every layer and through the
// graph: branches, merges, a shared layer, nested models, two outputs.
func TestFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(sc *NameScope) (in, out []*Node)
	}{
		{"convolutions and merges", func(sc *NameScope) ([]*Node, []*Node) {
			in := Input([]int{5, 5, 2}, WithScope(sc))
			x := NewConv2D(3, 3, 3, WithPadding("same"), WithActivation("tanh"), WithScope(sc)).Apply(in)
			a := NewDepthwiseConv2D(3, 3, WithDepthMultiplier(2), WithPadding("same"), WithActivation("sigmoid"), WithScope(sc)).Apply(x)
			b := NewSeparableConv2D(6, 3, 3, WithPadding("same"), WithScope(sc)).Apply(x)
			shared := NewConv2D(4, 1, 1, WithScope(sc))
			sum := NewAdd(WithScope(sc)).Apply(shared.Apply(a), shared.Apply(b))
			prod := NewMultiply(WithScope(sc)).Apply(a, b)
			cat := NewConcatenate(WithScope(sc)).Apply(sum, prod)
			bn := NewBatchNormalization(WithScope(sc)).Apply(cat)
			out1 := NewDense(3, WithActivation("softmax"), WithScope(sc)).Apply(NewGlobalAveragePooling2D(WithScope(sc)).Apply(bn))
			out2 := NewDense(2, WithScope(sc)).Apply(NewFlatten(WithScope(sc)).Apply(prod))
			return []*Node{in}, []*Node{out1, out2}
		}},
		{"pooling, padding, reshapes", func(sc *NameScope) ([]*Node, []*Node) {
			in := Input([]int{6, 6, 3}, WithScope(sc))
			x := NewZeroPadding2D(0, 1, 1, 0, WithScope(sc)).Apply(in)
			x = NewConv2D(4, 3, 3, WithStrides(2), WithPadding("same"), WithScope(sc)).Apply(x)
			x = NewReLU(WithNegativeSlope(0.3), WithThreshold(-0.05), WithMaxValue(3), WithScope(sc)).Apply(x)
			p1 := NewAveragePooling2D(2, 2, WithStrides(1), WithPadding("same"), WithScope(sc)).Apply(x)
			p2 := NewMaxPooling2D(3, 3, WithStrides(2), WithPadding("same"), WithScope(sc)).Apply(x)
			g := NewGlobalMaxPooling2D(WithKeepDims(true), WithScope(sc)).Apply(p1)
			r := NewReshape([]int{-1}, WithScope(sc)).Apply(p2)
			r = NewDense(5, WithActivation("tanh"), WithScope(sc)).Apply(r)
			g = NewFlatten(WithScope(sc)).Apply(g)
			out := NewConcatenate(WithAxis(1), WithScope(sc)).Apply(g, r)
			out = NewActivation("softmax", WithScope(sc)).Apply(out)
			return []*Node{in}, []*Node{out}
		}},
		{"scaled residual", func(sc *NameScope) ([]*Node, []*Node) {
			// An Inception-ResNet block: branches, their concatenation, a 1x1
			// convolution with bias, x + 0.17 * up, ReLU.
			in := Input([]int{4, 4, 3}, WithScope(sc))
			a := NewConv2D(2, 1, 1, WithUseBias(false), WithScope(sc)).Apply(in)
			b := NewConv2D(2, 3, 3, WithPadding("same"), WithUseBias(false), WithScope(sc)).Apply(in)
			up := NewConv2D(3, 1, 1, WithScope(sc)).Apply(NewConcatenate(WithScope(sc)).Apply(a, b))
			x := NewCustomScaleLayer(0.17, WithScope(sc)).Apply(in, up)
			x = NewActivation("relu", WithScope(sc)).Apply(x)
			out := NewDense(2, WithScope(sc)).Apply(NewFlatten(WithScope(sc)).Apply(x))
			return []*Node{in}, []*Node{out}
		}},
		{"nested model, two inputs", func(sc *NameScope) ([]*Node, []*Node) {
			inner := Input([]int{4, 4, 2}, WithScope(sc))
			y := NewConv2D(3, 3, 3, WithPadding("valid"), WithActivation("relu6"), WithScope(sc)).Apply(inner)
			y = NewBatchNormalization(WithScope(sc)).Apply(y)
			sub, err := NewModel([]*Node{inner}, []*Node{y}, WithScope(sc))
			if err != nil {
				panic(err)
			}
			a := Input([]int{4, 4, 2}, WithScope(sc))
			b := Input([]int{4, 4, 2}, WithScope(sc))
			ya, yb := sub.Apply(a), sub.Apply(b) // one model applied twice: shared weights
			out := NewAdd(WithScope(sc)).Apply(ya, yb)
			out = NewDense(2, WithActivation("sigmoid"), WithScope(sc)).Apply(NewFlatten(WithScope(sc)).Apply(out))
			return []*Node{a, b}, []*Node{out}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, out := tc.build(NewNameScope())
			m, err := NewModel(in, out)
			if err != nil {
				t.Fatal(err)
			}
			// Non-trivial BatchNormalization parameters.
			for _, l := range m.flatLayers() {
				for _, v := range l.Weights() {
					if v.name != "kernel" && v.name != "depthwise_kernel" && v.name != "pointwise_kernel" {
						v.Set(v.shape, specFill(l.Name(), v.name, v.shape, 1))
					}
				}
			}
			checkFiniteDifferences(t, m, 2)
		})
	}
}
