package nn

import (
	"fmt"

	"github.com/keelml/keel/kernels"
)

// BatchNormalization is Keras' batch normalisation over the last axis:
// weights gamma, beta, moving_mean, moving_variance (C each; gamma and beta
// only with scale and center). In a training step a trainable one
// normalises with the batch statistics and updates the moving ones with the
// unbiased batch variance (as tf.keras); otherwise, and whenever frozen, it
// uses the moving statistics (Keras on TensorFlow 2).
type BatchNormalization struct {
	base
	axis          int
	momentum      float64
	epsilon       float64
	center, scale bool
	channels      int
	gamma, beta   *Variable
	mean, vari    *Variable
}

// NewBatchNormalization returns a BatchNormalization with Keras' defaults
// (momentum 0.99, epsilon 1e-3). Options: WithAxis, WithMomentum,
// WithEpsilon, WithCenter, WithScale, WithName, WithTrainable.
func NewBatchNormalization(opts ...Option) *BatchNormalization {
	s, err := collect("BatchNormalization", opts, "axis", "momentum", "epsilon", "center", "scale")
	l := &BatchNormalization{axis: s.axis, momentum: s.momentum, epsilon: s.epsilon, center: s.center, scale: s.scale}
	l.init(l, "BatchNormalization", s, err)
	return l
}

// Config is Keras' BatchNormalization config.
func (l *BatchNormalization) Config() map[string]any {
	return l.withBase(map[string]any{
		"axis": l.axis, "momentum": l.momentum, "epsilon": l.epsilon, "center": l.center, "scale": l.scale,
	})
}

func (l *BatchNormalization) canFuseAct() bool { return true }

// readsStrided and asFold: an inference BatchNormalization reads rows with
// a stride, and folds into the convolution before it.
func (l *BatchNormalization) readsStrided(c *call) bool { return !c.batchNormMode() }
func (l *BatchNormalization) asFold(c *call) (*bnFold, bool) {
	return &bnFold{bn: l}, !c.batchNormMode()
}

// asPreNorm: an inference BatchNormalization, with at most a ReLU or ReLU6
// fused into it, can be applied by the 1x1 convolution that alone reads it
// to its own input (plan.fusePreNorms).
func (l *BatchNormalization) asPreNorm(c *call) (*bnPre, bool) {
	if c.batchNormMode() || c.postNonlinear != 0 || c.mask != nil {
		return nil, false
	}
	switch c.postAct {
	case kernels.ActNone, kernels.ActReLU, kernels.ActReLU6:
		return &bnPre{bn: l, act: c.postAct}, true
	}
	return nil, false
}

// backwardNeeds: the input, except for an input gradient through moving
// statistics (a constant scale).
func (l *BatchNormalization) backwardNeeds(c *call, wantDW bool) (bool, bool) {
	return c.batchNormMode() || wantDW, false
}

func (l *BatchNormalization) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	rank := len(in[0])
	if rank < 1 || (l.axis != -1 && l.axis != rank) {
		return nil, fmt.Errorf("axis %d: only the last axis (-1 or %d) is supported", l.axis, rank)
	}
	l.channels = in[0][rank-1]
	if l.mean == nil {
		c := []int{l.channels}
		if l.scale {
			l.gamma = l.addWeight("gamma", c, true, constant(1))
		}
		if l.center {
			l.beta = l.addWeight("beta", c, true, constant(0))
		}
		l.mean = l.addWeight("moving_mean", c, false, constant(0))
		l.vari = l.addWeight("moving_variance", c, false, constant(1))
	}
	return append([]int(nil), in[0]...), nil
}

type batchNormState struct{ mean, variance []float32 }

func (l *BatchNormalization) forward(c *call) {
	x, y := c.x[0].Data, c.y.Data
	if !c.batchNormMode() && c.xStride > 0 {
		kernels.BatchNormInferenceStrided(x, c.xStride, len(y)/l.channels, biasOf(l.gamma), biasOf(l.beta), l.mean.data, l.vari.data, float32(l.epsilon), c.postAct, y)
		c.forwardKernel(0)
		return
	}
	if !c.batchNormMode() {
		kernels.BatchNormInference(x, biasOf(l.gamma), biasOf(l.beta), l.mean.data, l.vari.data, float32(l.epsilon), c.postAct, y)
		c.forwardKernel(0)
		return
	}
	st, _ := c.state.(*batchNormState)
	if st == nil {
		st = &batchNormState{}
		c.state = st
	}
	bm, bv := scratch(&st.mean, l.channels), scratch(&st.variance, l.channels)
	kernels.BatchNormTrain(x, biasOf(l.gamma), biasOf(l.beta), float32(l.epsilon), y, bm, bv)
	c.forwardKernel(0)
	n := len(x) / l.channels
	factor := float32(1)
	if n > 1 {
		factor = float32(float64(n) / float64(n-1))
	}
	kernels.BatchNormMovingUpdate(l.mean.data, l.vari.data, bm, bv, float32(l.momentum), factor)
	l.mean.changed()
	l.vari.changed()
}

// scaleShiftGrads are the call's gradient buffers of gamma and beta (its
// first weights; nil for one the layer lacks or whose gradient is not
// wanted) and of x (nil when not wanted).
func scaleShiftGrads(c *call, gamma, beta *Variable) (dgamma, dbeta, dx []float32) {
	i := 0
	if gamma != nil {
		dgamma = c.dw[i]
		i++
	}
	if beta != nil {
		dbeta = c.dw[i]
	}
	if c.dx[0] != nil {
		dx = c.dx[0].Data
	}
	return dgamma, dbeta, dx
}

func (l *BatchNormalization) backward(c *call) {
	dgamma, dbeta, dx := scaleShiftGrads(c, l.gamma, l.beta)
	if dx == nil && dgamma == nil && dbeta == nil {
		return
	}
	if c.batchNormMode() {
		st := c.state.(*batchNormState)
		kernels.BatchNormTrainBackward(c.x[0].Data, c.dy.Data, biasOf(l.gamma), st.mean, st.variance, float32(l.epsilon), dx, dgamma, dbeta)
	} else {
		kernels.BatchNormInferenceBackward(c.x[0].Data, c.dy.Data, biasOf(l.gamma), l.mean.data, l.vari.data, float32(l.epsilon), dx, dgamma, dbeta)
	}
	c.backwardKernel(0)
}

// bnFold is a BatchNormalization folded into the convolution before it for
// inference: the folded weights are recomputed when any variable changes.
type bnFold struct {
	bn *BatchNormalization
	// scale, without bn: a constant factor folded in (InceptionResNetV2's
	// scaled residual branch, see plan.tryResidual).
	scale float32
	// chScale, without bn: a factor per output channel folded in
	// (ConvNeXt's LayerScale after its second Dense).
	chScale  *Variable
	versions [6]uint64
	w, b     []float32
	packed   *kernels.PackedConv
}

// versions are those of the layer's gamma, beta, moving mean and moving
// variance: what a computation from them (a fold, a pre-affine) follows.
func (l *BatchNormalization) versions() [4]uint64 {
	return [4]uint64{version(l.gamma), version(l.beta), version(l.mean), version(l.vari)}
}

func version(v *Variable) uint64 {
	if v == nil {
		return 0
	}
	return v.version
}

// refresh recomputes the folded weights if needed and says whether it did.
func (f *bnFold) refresh(kernel, bias *Variable, outC int) bool {
	bn := f.bn
	if bn == nil {
		vs := [6]uint64{version(kernel), version(bias), version(f.chScale)}
		if f.w != nil && vs == f.versions {
			return false
		}
		s := biasOf(f.chScale)
		if s == nil { // one factor for every channel
			s = make([]float32, outC)
			for i := range s {
				s[i] = f.scale
			}
		}
		f.w, f.b = scaleFold(kernel.data, biasOf(bias), outC, s)
		f.versions = vs
		return true
	}
	st := bn.versions()
	vs := [6]uint64{version(kernel), version(bias), st[0], st[1], st[2], st[3]}
	if f.w != nil && vs == f.versions {
		return false
	}
	f.w, f.b = kernels.FoldBatchNorm(kernel.data, biasOf(bias), outC, biasOf(bn.gamma), biasOf(bn.beta), bn.mean.data, bn.vari.data, float32(bn.epsilon))
	f.versions = vs
	return true
}

// scaleFold returns the weights and bias of a layer (kernel (..., outC))
// whose output channel o is multiplied by s[o]: every weight and the bias
// times its channel's factor (a bias of zeros where there is none, since the
// kernel adds one).
func scaleFold(w, bias []float32, outC int, s []float32) (fw, fb []float32) {
	fw = make([]float32, len(w))
	for i, v := range w {
		fw[i] = v * s[i%outC]
	}
	fb = make([]float32, outC)
	for i := range fb {
		if bias != nil {
			fb[i] = bias[i] * s[i]
		}
	}
	return fw, fb
}

func (f *bnFold) conv(p kernels.ConvParams, kernel, bias *Variable) (*kernels.PackedConv, []float32) {
	if f.refresh(kernel, bias, p.OutC) || f.packed == nil {
		f.packed = kernels.PackConvWeights(p, f.w)
	}
	return f.packed, f.b
}

// weights returns the folded weights and bias as the layer lays them out
// (a depthwise kernel, or a convolution's to scale before packing).
func (f *bnFold) weights(kernel, bias *Variable, outC int) ([]float32, []float32) {
	f.refresh(kernel, bias, outC)
	return f.w, f.b
}

// bnPre is an inference BatchNormalization and its fused activation that a
// 1x1 convolution applies to its input (call.preNorm): the per-channel scale
// and shift are computed once and again only when a weight changes.
type bnPre struct {
	bn       *BatchNormalization
	act      kernels.Activation
	versions [4]uint64
	aff      kernels.PreAffine
}

// affine returns the transform, recomputed if a weight changed.
func (b *bnPre) affine() kernels.PreAffine {
	bn := b.bn
	vs := bn.versions()
	if b.aff.Shift == nil || vs != b.versions {
		b.aff = kernels.BatchNormAffine(biasOf(bn.gamma), biasOf(bn.beta), bn.mean.data, bn.vari.data, float32(bn.epsilon), b.act)
		b.versions = vs
	}
	return b.aff
}
