package nn

import (
	"math"
	"testing"
)

// scalarVar returns a one-value trainable variable.
func scalarVar(w float32) *Variable {
	v := newVariable("layer", "kernel", []int{1}, true)
	v.data[0] = w
	return v
}

// run applies one update per gradient and returns the value after each.
func runOptimizer(opt Optimizer, w float32, grads ...float32) []float64 {
	v := scalarVar(w)
	var out []float64
	for _, g := range grads {
		v.ensureGrad()[0] = g
		opt.Update([]*Variable{v})
		out = append(out, float64(v.data[0]))
	}
	return out
}

// TestOptimizersByHand compares two steps of each optimizer with values
// computed by hand in float64 from the update formulas.
func TestOptimizersByHand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opt   Optimizer
		w     float32
		grads []float32
		want  []float64
	}{
		// Keras: m = 2e-5, v = 4e-11, lr_t = 0.01*sqrt(1-0.999)/(1-0.9) =
		// 0.0031623, w = 0.5 - lr_t * 2e-5/(sqrt(4e-11)+1e-4) = 0.4994052.
		{"adam keras epsilon", NewAdam(AdamConfig{OptimizerOptions: OptimizerOptions{LearningRate: 0.01}, Epsilon: 1e-4}),
			0.5, []float32{2e-4, -1e-4}, []float64{0.49940516512848027, 0.4992293395219897}},
		// PyTorch/TF.js: mhat = 2e-4, vhat = 4e-8, w = 0.5 - 0.01 *
		// 2e-4/(2e-4+1e-4) = 0.4933333.
		{"adam pytorch epsilon", NewAdam(AdamConfig{OptimizerOptions: OptimizerOptions{LearningRate: 0.01}, Epsilon: 1e-4, PyTorchEpsilon: true}),
			0.5, []float32{2e-4, -1e-4}, []float64{0.49333333333333335, 0.49170191645106087}},
		// v = -0.1, w = 0.9; v = -0.09 - 0.05 = -0.14, w = 0.76.
		{"sgd momentum", NewSGD(SGDConfig{OptimizerOptions: OptimizerOptions{LearningRate: 0.1}, Momentum: 0.9}),
			1, []float32{1, 0.5}, []float64{0.9, 0.76}},
		// w += 0.9*v - lr*g: 1 - 0.09 - 0.1 = 0.81; 0.81 - 0.126 - 0.05 = 0.634.
		{"sgd nesterov", NewSGD(SGDConfig{OptimizerOptions: OptimizerOptions{LearningRate: 0.1}, Momentum: 0.9, Nesterov: true}),
			1, []float32{1, 0.5}, []float64{0.81, 0.634}},
		{"sgd plain", NewSGD(SGDConfig{}), 1, []float32{1, -2}, []float64{0.99, 1.01}},
		// a = 0.1, w = 1 - 0.01/sqrt(0.1); a = 0.09 + 0.025 = 0.115.
		{"rmsprop", NewRMSprop(RMSpropConfig{OptimizerOptions: OptimizerOptions{LearningRate: 0.01}}),
			1, []float32{1, 0.5}, []float64{1 - 0.01/(math.Sqrt(0.1)+1e-7), 0.9536330421306481}},
		{"clip value", NewSGD(SGDConfig{OptimizerOptions: OptimizerOptions{LearningRate: 1, ClipValue: 0.5}}),
			1, []float32{3, -0.25}, []float64{0.5, 0.75}},
		{"clip norm", NewSGD(SGDConfig{OptimizerOptions: OptimizerOptions{LearningRate: 1, ClipNorm: 2}}),
			1, []float32{-5, 1}, []float64{3, 2}},
		// Decoupled decay first: w = 1*(1 - 0.1*0.5) = 0.95, then - 0.1*1.
		{"weight decay", NewSGD(SGDConfig{OptimizerOptions: OptimizerOptions{LearningRate: 0.1, WeightDecay: 0.5}}),
			1, []float32{1}, []float64{0.85}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runOptimizer(tc.opt, tc.w, tc.grads...)
			for i, w := range tc.want {
				if math.Abs(got[i]-w) > 1e-7*max(1, math.Abs(w)) {
					t.Errorf("step %d: %.9f, want %.9f", i+1, got[i], w)
				}
			}
		})
	}
}

func TestGlobalClipNorm(t *testing.T) {
	a, b := scalarVar(0), scalarVar(0)
	a.ensureGrad()[0], b.ensureGrad()[0] = 3, 4 // global norm 5
	NewSGD(SGDConfig{OptimizerOptions: OptimizerOptions{LearningRate: 1, GlobalClipNorm: 1}}).Update([]*Variable{a, b})
	if math.Abs(float64(a.data[0])+0.6) > 1e-7 || math.Abs(float64(b.data[0])+0.8) > 1e-7 {
		t.Errorf("got %v %v, want -0.6 -0.8", a.data[0], b.data[0])
	}
}

// TestAdamKerasTwoStepsOnModel trains a one-layer model with Keras' Adam
// for two steps and compares with the update computed in float64.
func TestAdamKerasTwoStepsOnModel(t *testing.T) {
	in := Input([]int{2}, WithScope(NewNameScope()))
	d := NewDense(1, WithUseBias(false), WithName("d"))
	m, err := NewModel([]*Node{in}, []*Node{d.Apply(in)})
	if err != nil {
		t.Fatal(err)
	}
	d.SetWeight("kernel", []int{2, 1}, []float32{0.5, -0.25})
	m.Compile(NewAdam(AdamConfig{}), MeanSquaredError{})
	x, _ := TensorOf([]float32{1, 2, -1, 0.5}, 2, 2)
	y, _ := TensorOf([]float32{1, 0}, 2, 1)

	// float64 reference: MSE gradient dW = 2/N * x^T (xW - y), then Keras' Adam.
	w := []float64{0.5, -0.25}
	var mo, ve [2]float64
	for step := 1; step <= 2; step++ {
		loss, err := m.TrainStep(x, y)
		if err != nil {
			t.Fatal(err)
		}
		var g [2]float64
		wantLoss := 0.0
		for r := 0; r < 2; r++ {
			p := float64(x.Data[2*r])*w[0] + float64(x.Data[2*r+1])*w[1]
			e := p - float64(y.Data[r])
			wantLoss += e * e / 2
			g[0] += float64(x.Data[2*r]) * e
			g[1] += float64(x.Data[2*r+1]) * e
		}
		if math.Abs(loss-wantLoss) > 1e-6 {
			t.Errorf("step %d: loss %v, want %v", step, loss, wantLoss)
		}
		lrT := 1e-3 * math.Sqrt(1-math.Pow(0.999, float64(step))) / (1 - math.Pow(0.9, float64(step)))
		for i := range w {
			mo[i] = 0.9*mo[i] + 0.1*g[i]
			ve[i] = 0.999*ve[i] + 0.001*g[i]*g[i]
			w[i] -= lrT * mo[i] / (math.Sqrt(ve[i]) + 1e-7)
			if got := float64(d.kernel.data[i]); math.Abs(got-w[i]) > 1e-7 {
				t.Errorf("step %d: w[%d] = %.9f, want %.9f", step, i, got, w[i])
			}
		}
	}
}
