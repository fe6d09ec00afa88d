package nn

import "github.com/keelml/keel/kernels"

// call is one layer application during a run: the tensors a layer's forward
// and backward read and write, and what the plan decided for it.
type call struct {
	x  []*Tensor
	y  *Tensor
	dy *Tensor     // gradient of the output (backward only)
	dx []*Tensor   // gradients of the inputs to write; nil where none is needed
	dw [][]float32 // gradients of the weights to write, in weight order; nil where none is needed

	training  bool // training-mode behaviour: a training step, outside any model applied in inference mode
	frozen    bool // the layer is not trainable here (BatchNormalization then uses its moving statistics)
	lossFused bool // dy is already the gradient before the output activation (the loss fused softmax or sigmoid)
	backward  bool // backward runs on this application, so forward keeps what backward reads

	fold    *bnFold            // a BatchNormalization folded into this convolution (inference only)
	postAct kernels.Activation // an activation layer fused into this one (inference only)
	// postNonlinear: an activation layer the kernels compute apart (swish,
	// gelu, hard_swish...: kernels.Nonlinear) fused into this step, which
	// applies it to y in place right after its kernel, while y is fresh
	// (inference only; 0: none).
	postNonlinear kernels.Nonlinear
	// nonlinearFused: this forward's kernel applied postNonlinear itself.
	nonlinearFused bool
	pad            *[4]int // a ZeroPadding2D folded into this convolution: top, bottom, left, right (inference only)
	// residual: an Add fused into this convolution, whose other input is
	// x[1]: y = postAct(conv(x[0]) + x[1]) (inference only).
	residual bool
	// sep: a 1x1 convolution step fused into this depthwise convolution,
	// which hands it its output band by band (inference only); that step's
	// call holds its folded BatchNormalization and activation.
	sep *step
	// gate: the last input is a per-sample, per-channel gate (N, 1, 1, C)
	// that this 1x1 convolution multiplies its input by, a
	// squeeze-and-excitation Multiply fused into it (inference only).
	gate bool
	// preNorm: an inference BatchNormalization (with its fused activation)
	// that this 1x1 convolution applies to x[0], the BatchNormalization's
	// input, as it reads it (plan.fusePreNorms; inference only).
	preNorm *bnPre
	// rowStride: this Concatenate writes into the buffer of a chain of
	// Concatenates (plan.chainConcats), whose rows are rowStride values
	// apart; inPlace: x[0], the previous one's output, is already there.
	// xStride: x[0] is such an output, its rows xStride values apart
	// (BatchNormalization, or a Conv2D with preNorm). Inference only; 0
	// means contiguous.
	rowStride int
	inPlace   bool
	xStride   int

	// mask computes this application's Keras mask from its last input,
	// which the plan added: the input of the layer that produced the mask
	// (layer_masking.go). nil: no mask.
	mask masker
	// err is what forward could not compute (an Embedding index out of
	// range); the run stops there and returns it.
	err error

	pre   []float32 // the input of a swish-like activation applied after the kernel, kept for backward (applyKeep)
	state any       // what the layer keeps between forward and backward, reused between runs
	stats *LayerStats
}

// batchNormMode says whether a BatchNormalization normalises with the batch
// statistics: only when training and trainable, as Keras does since TF 2.
func (c *call) batchNormMode() bool { return c.training && !c.frozen }

// forwardKernel and backwardKernel count one kernel invocation and its FLOPs.
func (c *call) forwardKernel(flops float64) {
	c.stats.ForwardCalls++
	c.stats.ForwardFLOPs += flops
}

func (c *call) backwardKernel(flops float64) {
	c.stats.BackwardCalls++
	c.stats.BackwardFLOPs += flops
}

// StepMode is what a layer application does in a plan.
type StepMode string

const (
	ModeInference StepMode = "inference" // forward only
	ModeBackward  StepMode = "backward"  // gradients flow through it
	ModeFolded    StepMode = "folded"    // merged into the layer before or after it
	ModeFused     StepMode = "fused"     // computed inside another layer's kernel
)

// LayerStats says what one layer application did in the last run: how many
// kernels it invoked forward and backward with their FLOPs (2 per
// multiply-add, counted for the convolutions, Dense and Sgemm calls; 0 for
// cheap elementwise work), and how many activation values it kept alive for
// the backward pass. Tests use it to prove that freezing skips work.
type LayerStats struct {
	Layer         string
	Class         string
	Mode          StepMode
	WeightGrads   bool // the layer computed weight gradients
	ForwardCalls  int
	ForwardFLOPs  float64
	BackwardCalls int
	BackwardFLOPs float64
	// ForwardSeconds and BackwardSeconds are the wall time the step took
	// (a profile: where a model spends its time).
	ForwardSeconds  float64
	BackwardSeconds float64
	// KeptValues is how many float32 values this step's backward holds on
	// to (its inputs and output; neighbours share them, so the sum over
	// steps counts shared values twice). 0 for a step that runs no backward.
	KeptValues int
}

// scratch returns a float32 slice of length n from *buf, growing it only when
// too small, so steady-state runs do not allocate.
func scratch(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}
