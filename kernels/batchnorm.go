package kernels

import (
	"fmt"
	"math"
)

// Batch normalisation over the last (channel) axis of NHWC or (batch, units)
// data: x holds len(x)/C rows of C = len(mean) values. gamma and beta may be
// nil (Keras scale=False / center=False: 1 and 0).

func bnChannels(op string, x []float32, stats ...[]float32) (c, rows int) {
	c = len(stats[0])
	if c == 0 || len(x)%c != 0 {
		panic(fmt.Sprintf("kernels: %s: %d values are not rows of %d channels", op, len(x), c))
	}
	for _, s := range stats[1:] {
		if s != nil && len(s) < c {
			panic(fmt.Sprintf("kernels: %s: per-channel slice of %d values, needs %d", op, len(s), c))
		}
	}
	return c, len(x) / c
}

// bnSubRows is how many rows the vector loops sum in float32 before the sums
// go into float64.
const bnSubRows = 64

// gammaBeta is channel i's gamma and beta in float64: 1 and 0 where they are
// nil.
func gammaBeta(gamma, beta []float32, i int) (g, b float64) {
	g, b = 1, 0
	if gamma != nil {
		g = float64(gamma[i])
	}
	if beta != nil {
		b = float64(beta[i])
	}
	return g, b
}

// bnScaleShift returns the per-channel scale gamma/sqrt(var+eps) and shift
// beta - mean*scale, in float64 then rounded.
func bnScaleShift(gamma, beta, mean, variance []float32, eps float32) (scale, shift []float32) {
	c := len(mean)
	scale, shift = make([]float32, c), make([]float32, c)
	for i := 0; i < c; i++ {
		g, b := gammaBeta(gamma, beta, i)
		s := g / math.Sqrt(float64(variance[i])+float64(eps))
		scale[i] = float32(s)
		shift[i] = float32(b - float64(mean[i])*s)
	}
	return scale, shift
}

// BatchNormInference sets y = act(gamma * (x - mean) / sqrt(variance + eps) +
// beta) with the moving statistics. y may alias x.
func BatchNormInference(x, gamma, beta, mean, variance []float32, eps float32, act Activation, y []float32) {
	act.flagsOnly("BatchNormInference")
	raceRead(x, gamma, beta, mean, variance)
	raceWrite(y)
	c, rows := bnChannels("BatchNormInference", x, mean, variance, gamma, beta)
	checkLen("BatchNormInference", "y", y, len(x))
	scale, shift := bnScaleShift(gamma, beta, mean, variance, eps)
	scaleShiftRows(x, scale, shift, act, y, c, rows)
}

// PreAffine is a per-channel affine map and activation that a pointwise
// convolution applies to its input as it reads it (Conv2DPackedPre):
// pre(x)[c] = Act(x[c]*Scale[c] + Shift[c]). Scale nil means 1; Act is
// ActNone, ActReLU or ActReLU6.
type PreAffine struct {
	Scale, Shift []float32
	Act          Activation
}

// BatchNormAffine returns BatchNormInference (with activation act) as a
// PreAffine: the per-channel scale gamma/sqrt(variance+eps) and shift
// beta - mean*scale that BatchNormInference computes on every call, for a
// caller to compute once and keep while the statistics do not change.
func BatchNormAffine(gamma, beta, mean, variance []float32, eps float32, act Activation) PreAffine {
	act.flagsOnly("BatchNormAffine")
	c := len(mean)
	if c == 0 || len(variance) < c || (gamma != nil && len(gamma) < c) || (beta != nil && len(beta) < c) {
		panic(fmt.Sprintf("kernels: BatchNormAffine: %d means, %d variances, %d gammas, %d betas", c, len(variance), len(gamma), len(beta)))
	}
	scale, shift := bnScaleShift(gamma, beta, mean, variance, eps)
	return PreAffine{Scale: scale, Shift: shift, Act: act}
}

// BatchNormInferenceStrided is BatchNormInference on rows of x that start
// ldx >= C values apart (the leading channels of a wider buffer: the shared
// buffer of a DenseNet block's concatenations); y holds the rows
// contiguously and must not overlap x.
func BatchNormInferenceStrided(x []float32, ldx, rows int, gamma, beta, mean, variance []float32, eps float32, act Activation, y []float32) {
	act.flagsOnly("BatchNormInferenceStrided")
	raceRead(x, gamma, beta, mean, variance)
	raceWrite(y)
	c := len(mean)
	if c == 0 || ldx < c || rows < 0 {
		panic(fmt.Sprintf("kernels: BatchNormInferenceStrided: %d rows of %d channels %d apart", rows, c, ldx))
	}
	if rows == 0 {
		return
	}
	bnChannels("BatchNormInferenceStrided", y[:rows*c], mean, variance, gamma, beta)
	checkLen("BatchNormInferenceStrided", "x", x, (rows-1)*ldx+c)
	scale, shift := bnScaleShift(gamma, beta, mean, variance, eps)
	scaleShiftRowsStrided(x, ldx, scale, shift, act, y, c, rows)
}

// scaleShiftRows sets y = act(x*scale + shift) per channel (scale nil: 1).
func scaleShiftRows(x, scale, shift []float32, act Activation, y []float32, c, rows int) {
	scaleShiftRowsStrided(x, c, scale, shift, act, y, c, rows)
}

// scaleShiftRowsStrided is scaleShiftRows with x's rows ldx values apart.
func scaleShiftRowsStrided(x []float32, ldx int, scale, shift []float32, act Activation, y []float32, c, rows int) {
	per := max(1, elemChunk/c)
	parallel((rows+per-1)/per, func(t int) {
		scaleShiftSpan(x, ldx, scale, shift, act, y, c, t*per, min(rows, (t+1)*per))
	})
}

// scaleShiftSpan sets rows [r0, r1) of y (c values apart) to act(x*scale +
// shift), x's rows ldx apart, on the calling goroutine: one task of
// scaleShiftRowsStrided, and the input transform of Conv2DPackedPre, which
// thereby computes the same bits.
func scaleShiftSpan(x []float32, ldx int, scale, shift []float32, act Activation, y []float32, c, r0, r1 int) {
	if r0 >= r1 {
		return
	}
	vec := active.elementwise
	var sp *float32
	if scale != nil {
		sp = &scale[0]
	}
	if vec != nil && c%8 == 0 {
		// Bounds: the last row read and written.
		_, _ = x[(r1-1)*ldx+c-1], y[(r1-1)*c+c-1]
		if ldx == c {
			vec.biasAct(&x[r0*c], sp, &shift[0], &y[r0*c], r1-r0, c, act.flags())
			return
		}
		for r := r0; r < r1; r++ {
			vec.biasAct(&x[r*ldx], sp, &shift[0], &y[r*c], 1, c, act.flags())
		}
		return
	}
	for r := r0; r < r1; r++ {
		xs, ys := x[r*ldx:r*ldx+c], y[r*c:r*c+c]
		if scale == nil {
			for i, v := range xs {
				ys[i] = act.apply(v + shift[i])
			}
			continue
		}
		for i, v := range xs {
			ys[i] = act.apply(v*scale[i] + shift[i])
		}
	}
}

// BatchNormInferenceBackward computes the gradients of BatchNormInference
// (without activation) with the moving statistics held constant: dx = dy *
// gamma / sqrt(variance + eps), dgamma = sum(dy * (x - mean) / sqrt(variance +
// eps)), dbeta = sum(dy). Any of dx, dgamma, dbeta may be nil; the others are
// overwritten.
func BatchNormInferenceBackward(x, dy, gamma, mean, variance []float32, eps float32, dx, dgamma, dbeta []float32) {
	raceRead(x, dy, gamma, mean, variance)
	raceWrite(dx, dgamma, dbeta)
	c, rows := bnChannels("BatchNormInferenceBackward", x, mean, variance, gamma, dgamma, dbeta)
	checkLen("BatchNormInferenceBackward", "dy", dy, len(x))
	inv := make([]float32, c)
	for i := range inv {
		inv[i] = float32(1 / math.Sqrt(float64(variance[i])+float64(eps)))
	}
	if dgamma != nil || dbeta != nil {
		sdy, sdyx := channelSums(x, dy, mean, c, rows)
		for i := 0; i < c; i++ {
			if dgamma != nil {
				dgamma[i] = float32(sdyx[i] * float64(inv[i]))
			}
			if dbeta != nil {
				dbeta[i] = float32(sdy[i])
			}
		}
	}
	if dx != nil {
		checkLen("BatchNormInferenceBackward", "dx", dx, len(x))
		scale := inv
		if gamma != nil {
			scale = make([]float32, c)
			for i := range scale {
				scale[i] = gamma[i] * inv[i]
			}
		}
		scaleShiftRows(dy, scale, make([]float32, c), ActNone, dx, c, rows)
	}
}

// channelSums returns per channel sum(dy) and sum(dy * (x - mean)) in float64.
func channelSums(x, dy, mean []float32, c, rows int) (sdy, sdyx []float64) {
	per := max(1, elemChunk/c)
	tasks := (rows + per - 1) / per
	var sc scratch
	sc.init(2*tasks*c, 2*tasks*c)
	defer sc.free()
	part := sc.f64(2 * tasks * c)
	tmps := sc.f32(2 * tasks * c)
	vec := active.elementwise
	asm := vec != nil && c%8 == 0
	parallel(tasks, func(t int) {
		a, b := part[2*t*c:2*t*c+c], part[2*t*c+c:2*t*c+2*c]
		if asm {
			// float32 sums over bnSubRows rows at a time, added up in float64.
			tmp := tmps[2*t*c : 2*t*c+2*c]
			for r := t * per; r < min(rows, (t+1)*per); r += bnSubRows {
				n := min(bnSubRows, min(rows, (t+1)*per)-r)
				clear(tmp)
				vec.colDot(&x[r*c], &dy[r*c], &mean[0], &tmp[0], &tmp[c], n, c)
				for i := 0; i < c; i++ {
					a[i] += float64(tmp[i])
					b[i] += float64(tmp[c+i])
				}
			}
			return
		}
		for r := t * per; r < min(rows, (t+1)*per); r++ {
			xs, gs := x[r*c:r*c+c], dy[r*c:r*c+c]
			for i, g := range gs {
				a[i] += float64(g)
				b[i] += float64(g) * (float64(xs[i]) - float64(mean[i]))
			}
		}
	})
	sdy, sdyx = make([]float64, c), make([]float64, c)
	for t := 0; t < tasks; t++ {
		for i := 0; i < c; i++ {
			sdy[i] += part[2*t*c+i]
			sdyx[i] += part[2*t*c+c+i]
		}
	}
	return sdy, sdyx
}

// FoldBatchNorm folds an inference-mode batch normalisation into the
// preceding convolution: it returns new weights w' = w * s and bias b' = (b -
// mean) * s + beta with s = gamma / sqrt(variance + eps), per output channel.
// w is laid out with the output channel fastest (HWIO for Conv2D, or
// (KH, KW, C, M) for DepthwiseConv2D with outC = C*M); bias may be nil (0).
// w and bias are not modified.
func FoldBatchNorm(w, bias []float32, outC int, gamma, beta, mean, variance []float32, eps float32) (fw, fb []float32) {
	if outC < 1 || len(w)%outC != 0 || len(mean) != outC || len(variance) != outC {
		panic(fmt.Sprintf("kernels: FoldBatchNorm: %d weights, %d mean, %d variance for %d output channels", len(w), len(mean), len(variance), outC))
	}
	s := make([]float64, outC)
	fb = make([]float32, outC)
	for o := 0; o < outC; o++ {
		g, b, b0 := 1.0, 0.0, 0.0
		if gamma != nil {
			g = float64(gamma[o])
		}
		if beta != nil {
			b = float64(beta[o])
		}
		if bias != nil {
			b0 = float64(bias[o])
		}
		s[o] = g / math.Sqrt(float64(variance[o])+float64(eps))
		fb[o] = float32((b0-float64(mean[o]))*s[o] + b)
	}
	fw = make([]float32, len(w))
	for i, v := range w {
		fw[i] = float32(float64(v) * s[i%outC])
	}
	return fw, fb
}

// BatchNormTrain normalises with the batch statistics: it sets batchMean and
// batchVar (biased, divided by the row count) per channel and y = gamma * (x -
// batchMean) / sqrt(batchVar + eps) + beta. y may alias x.
func BatchNormTrain(x, gamma, beta []float32, eps float32, y, batchMean, batchVar []float32) {
	raceRead(x, gamma, beta)
	raceWrite(y, batchMean, batchVar)
	c, rows := bnChannels("BatchNormTrain", x, batchMean, batchVar, gamma, beta)
	checkLen("BatchNormTrain", "y", y, len(x))
	mean, variance := batchMoments(x, c, rows)
	for i := 0; i < c; i++ {
		batchMean[i], batchVar[i] = float32(mean[i]), float32(variance[i])
	}
	scale, shift := make([]float32, c), make([]float32, c)
	for i := 0; i < c; i++ {
		g, b := gammaBeta(gamma, beta, i)
		s := g / math.Sqrt(variance[i]+float64(eps))
		scale[i], shift[i] = float32(s), float32(b-mean[i]*s)
	}
	scaleShiftRows(x, scale, shift, ActNone, y, c, rows)
}

// batchMoments returns per-channel mean and biased variance in float64 (two
// passes).
func batchMoments(x []float32, c, rows int) (mean, variance []float64) {
	per := max(1, elemChunk/c)
	tasks := (rows + per - 1) / per
	var sc scratch
	sc.init(tasks*c+c, tasks*c)
	defer sc.free()
	part := sc.f64(tasks * c)
	tmps := sc.f32(tasks * c)
	vec := active.elementwise
	asm := vec != nil && c%8 == 0
	// colSums adds, per task, float32 sums over bnSubRows rows at a time to
	// the task's float64 partials (mean32 nil: sums of x, else of squared
	// deviations).
	colSums := func(t int, mean32 []float32) {
		a := part[t*c : t*c+c]
		tmp := tmps[t*c : t*c+c]
		var mp *float32
		if mean32 != nil {
			mp = &mean32[0]
		}
		for r := t * per; r < min(rows, (t+1)*per); r += bnSubRows {
			n := min(bnSubRows, min(rows, (t+1)*per)-r)
			clear(tmp)
			vec.colSumSq(&x[r*c], mp, &tmp[0], &tmp[0], n, c)
			for i, v := range tmp {
				a[i] += float64(v)
			}
		}
	}
	// pass sets the tasks' partials to the sums of x (mean nil) or of its
	// squared deviations from mean (mean32 the same in float32).
	pass := func(mean []float64, mean32 []float32) {
		parallel(tasks, func(t int) {
			if asm {
				colSums(t, mean32)
				return
			}
			a := part[t*c : t*c+c]
			for r := t * per; r < min(rows, (t+1)*per); r++ {
				if mean == nil {
					for i, v := range x[r*c : r*c+c] {
						a[i] += float64(v)
					}
					continue
				}
				for i, v := range x[r*c : r*c+c] {
					d := float64(v) - mean[i]
					a[i] += d * d
				}
			}
		})
	}
	pass(nil, nil)
	mean = partsMean(part, tasks, c, rows)
	clear(part)
	mean32 := sc.f32(c)
	for i, v := range mean {
		mean32[i] = float32(v)
	}
	pass(mean, mean32)
	return mean, partsMean(part, tasks, c, rows)
}

// partsMean sums the tasks' per-channel partials (c of each) in task order
// and divides the sums by rows.
func partsMean(part []float64, tasks, c, rows int) []float64 {
	m := make([]float64, c)
	for t := 0; t < tasks; t++ {
		for i := 0; i < c; i++ {
			m[i] += part[t*c+i]
		}
	}
	for i := range m {
		m[i] /= float64(rows)
	}
	return m
}

// BatchNormTrainBackward computes the gradients of BatchNormTrain through the
// batch statistics (batchMean and the biased batchVar it returned):
// dx = gamma/sqrt(var+eps) * (dy - mean(dy) - xhat * mean(dy*xhat)),
// dgamma = sum(dy * xhat), dbeta = sum(dy). Any of dx, dgamma, dbeta may be
// nil; the others are overwritten.
func BatchNormTrainBackward(x, dy, gamma, batchMean, batchVar []float32, eps float32, dx, dgamma, dbeta []float32) {
	raceRead(x, dy, gamma, batchMean, batchVar)
	raceWrite(dx, dgamma, dbeta)
	c, rows := bnChannels("BatchNormTrainBackward", x, batchMean, batchVar, gamma, dgamma, dbeta)
	checkLen("BatchNormTrainBackward", "dy", dy, len(x))
	sdy, sdyx := channelSums(x, dy, batchMean, c, rows)
	inv := make([]float64, c)
	for i := range inv {
		inv[i] = 1 / math.Sqrt(float64(batchVar[i])+float64(eps))
		if dgamma != nil {
			dgamma[i] = float32(sdyx[i] * inv[i])
		}
		if dbeta != nil {
			dbeta[i] = float32(sdy[i])
		}
	}
	if dx == nil {
		return
	}
	checkLen("BatchNormTrainBackward", "dx", dx, len(x))
	// dx = k * (dy - a - (x - mean) * b) with k = gamma*inv, a = mean(dy),
	// b = mean(dy*xhat)*inv = sdyx*inv^2/rows.
	k, a, b := make([]float32, c), make([]float32, c), make([]float32, c)
	n := float64(rows)
	for i := 0; i < c; i++ {
		g := 1.0
		if gamma != nil {
			g = float64(gamma[i])
		}
		k[i] = float32(g * inv[i])
		a[i] = float32(sdy[i] / n)
		b[i] = float32(sdyx[i] * inv[i] * inv[i] / n)
	}
	per := max(1, elemChunk/c)
	vec := active.elementwise
	asm := vec != nil && c%8 == 0
	// As an affine map of dy and x: dx = dy*k + x*(-k*b) + k*(b*mean - a).
	sb, sh := make([]float32, c), make([]float32, c)
	for i := 0; i < c; i++ {
		sb[i] = -k[i] * b[i]
		sh[i] = k[i] * (b[i]*batchMean[i] - a[i])
	}
	parallel((rows+per-1)/per, func(t int) {
		r0, r1 := t*per, min(rows, (t+1)*per)
		if asm {
			vec.colAffine2(&dy[r0*c], &x[r0*c], &k[0], &sb[0], &sh[0], &dx[r0*c], r1-r0, c)
			return
		}
		for r := r0; r < r1; r++ {
			xs, gs, ds := x[r*c:r*c+c], dy[r*c:r*c+c], dx[r*c:r*c+c]
			for i, g := range gs {
				ds[i] = k[i] * (g - a[i] - (xs[i]-batchMean[i])*b[i])
			}
		}
	})
}

// BatchNormMovingUpdate updates the moving statistics after a training step:
// movingMean = momentum*movingMean + (1-momentum)*batchMean and movingVar =
// momentum*movingVar + (1-momentum)*varianceFactor*batchVar. varianceFactor
// picks the estimator: 1 for the biased batch variance (tfjs-layers), n/(n-1)
// for tf.keras and PyTorch, n/(n-1-eps) for Keras 2.3.1, with n the number of
// values per channel.
func BatchNormMovingUpdate(movingMean, movingVar, batchMean, batchVar []float32, momentum, varianceFactor float32) {
	m := float64(momentum)
	for i := range movingMean {
		movingMean[i] = float32(m*float64(movingMean[i]) + (1-m)*float64(batchMean[i]))
		movingVar[i] = float32(m*float64(movingVar[i]) + (1-m)*float64(varianceFactor)*float64(batchVar[i]))
	}
}
