package nn

import (
	"fmt"
	"math"

	"github.com/keelml/keel/kernels"
)

// activation is a Keras activation by name, as layers take it.
type activation string

const (
	actLinear  activation = "linear"
	actReLU    activation = "relu"
	actReLU6   activation = "relu6"
	actSigmoid activation = "sigmoid"
	actTanh    activation = "tanh"
	actSoftmax activation = "softmax"
	// Keras 3's names first, then their aliases (kept as given, so that
	// Config returns the name a file used).
	actSilu         activation = "silu"
	actSwish        activation = "swish"
	actHardSilu     activation = "hard_silu"
	actHardSwish    activation = "hard_swish"
	actHardSigmoid  activation = "hard_sigmoid"        // Keras 2: clip(0.2x + 0.5, 0, 1)
	actHardSigmoid3 activation = "hard_sigmoid_keras3" // Keras 3: relu6(x + 3) / 6
)

// CheckActivation says whether name is an activation Keel has, so that
// specs naming one fail when parsed rather than when built.
func CheckActivation(name string) error {
	_, err := parseActivation(name)
	return err
}

func parseActivation(name string) (activation, error) {
	switch a := activation(name); a {
	case actLinear, actReLU, actReLU6, actSigmoid, actTanh, actSoftmax,
		actSilu, actSwish, actHardSilu, actHardSwish, actHardSigmoid, actHardSigmoid3, actGELU, actGELUApprox,
		actELU, actSELU, actSoftplus, actSoftsign, actExponential:
		return a, nil
	case "":
		return actLinear, nil
	}
	return "", fmt.Errorf("unknown activation %q (have linear, relu, relu6, sigmoid, tanh, softmax, silu, swish, hard_silu, hard_swish, hard_sigmoid, hard_sigmoid_keras3, gelu, gelu_approximate, elu, selu, softplus, softsign, exponential)", name)
}

// fused returns the kernel activation that computes a inside a kernel, and
// whether there is one.
func (a activation) fused() (kernels.Activation, bool) {
	switch a {
	case actLinear:
		return kernels.ActNone, true
	case actReLU:
		return kernels.ActReLU, true
	case actReLU6:
		return kernels.ActReLU6, true
	}
	return kernels.ActNone, false
}

// apply computes y = a(y) in place for rows of cols values (softmax works
// per row). Activations that kernels fuse are not applied here.
func (a activation) apply(y []float32, cols int) {
	switch a {
	case actReLU:
		kernels.ReLU(y, y)
	case actReLU6:
		kernels.ReLU6(y, y)
	case actSigmoid:
		kernels.ApplyNonlinear(kernels.Sigmoid, y, y)
	case actTanh:
		// TODO(kernels): a Tanh kernel; plain Go until then.
		for i, v := range y {
			y[i] = float32(math.Tanh(float64(v)))
		}
	case actSoftmax:
		kernels.Softmax(y, cols, y)
	case actELU, actSELU, actSoftplus, actSoftsign, actExponential:
		applyMore(a, y)
	default:
		applyPreActivation(a, y)
	}
}

// backward sets dpre = a'(pre) * dy from the activation's output y; the
// activations whose derivative needs the input (needsPre: swish, hard_swish,
// hard_sigmoid) read it from pre instead. dpre may alias dy.
func (a activation) backward(pre, y, dy, dpre []float32, cols int) {
	if a.needsPre() {
		backwardPreActivation(a, pre, dy, dpre)
		return
	}
	switch a {
	case actLinear:
		copy(dpre, dy)
	case actReLU:
		kernels.ReLUBackward(y, dy, dpre)
	case actReLU6:
		kernels.ReLU6Backward(y, dy, dpre)
	case actSigmoid:
		// TODO(kernels): SigmoidBackward and TanhBackward kernels.
		for i, v := range y {
			dpre[i] = dy[i] * v * (1 - v)
		}
	case actTanh:
		for i, v := range y {
			dpre[i] = dy[i] * (1 - v*v)
		}
	case actSoftmax:
		kernels.SoftmaxBackward(y, dy, cols, dpre)
	case actELU, actSELU, actSoftplus, actSoftsign, actExponential:
		backwardMore(a, y, dy, dpre)
	}
}
