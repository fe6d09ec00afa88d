package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Finite-difference checks of every backward kernel on tiny shapes: the loss
// is sum(f(inputs) * dy) accumulated in float64, the numerical gradient the
// central difference with step fdEps, and the analytic gradient must agree to
// fdTol relative to the gradient's scale. Inputs of piecewise-linear functions
// (ReLU, max pooling) are kept away from their kinks.

const (
	fdEps = 1e-2
	fdTol = 2e-3
)

// dot64 is sum(a*b) in float64.
func dot64(a, b []float32) float64 {
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}

// fdCheck compares grad with the numerical gradient of loss with respect to x.
func fdCheck(t *testing.T, what string, x []float32, loss func() float64, grad []float32) {
	t.Helper()
	var scale float64
	for _, g := range grad {
		scale = math.Max(scale, math.Abs(float64(g)))
	}
	for i := range x {
		v := x[i]
		x[i] = v + fdEps
		lp := loss()
		x[i] = v - fdEps
		lm := loss()
		x[i] = v
		num := (lp - lm) / (2 * fdEps)
		if d := math.Abs(num - float64(grad[i])); d > fdTol*math.Max(scale, 1) {
			t.Fatalf("%s: gradient %d: analytic %g, numerical %g (scale %g)", what, i, grad[i], num, scale)
		}
	}
}

// awayFromKinks returns n values in [-2, 2] at least 0.05 from 0 and from
// each other's neighbours in a grid, so that max and ReLU do not switch within
// a finite-difference step.
func awayFromKinks(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	perm := r.Perm(n)
	for i := range s {
		v := -2 + 4*(float32(perm[i])+0.5)/float32(n)
		if v > -0.05 && v < 0.05 {
			v += 0.1
		}
		s[i] = v
	}
	return s
}

// checkConvGrads checks the gradients backward computes of x, the weights w
// and the bias b against finite differences of sum(forward(y) * dy), forward
// writing y from x, w and b.
func checkConvGrads(t *testing.T, what string, x, w, b, dy []float32, forward func(y []float32), backward func(dx, dw, db []float32)) {
	t.Helper()
	y := make([]float32, len(dy))
	loss := func() float64 { forward(y); return dot64(y, dy) }
	dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, len(b))
	backward(dx, dw, db)
	fdCheck(t, what+" dx", x, loss, dx)
	fdCheck(t, what+" dw", w, loss, dw)
	fdCheck(t, what+" dbias", b, loss, db)
}

func TestGradCheckConv(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, v := range convVariants() {
		withConvVariant(t, v, func() {
			for _, p := range []ConvParams{
				{N: 2, H: 5, W: 4, C: 3, KH: 3, KW: 3, OutC: 4, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
				{N: 1, H: 6, W: 5, C: 2, KH: 3, KW: 2, OutC: 3, StrideH: 2, StrideW: 2, PadBottom: 1, PadRight: 1},
				{N: 1, H: 7, W: 7, C: 17, KH: 3, KW: 3, OutC: 5, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 2, PadTop: 1, PadBottom: 1, PadLeft: 2, PadRight: 2},
			} {
				p = p.norm()
				x := randSlice(r, p.N*p.H*p.W*p.C)
				w := randSlice(r, p.KH*p.KW*p.C*p.OutC)
				b := randSlice(r, p.OutC)
				dy := randSlice(r, p.N*p.OutH()*p.OutW()*p.OutC)
				checkConvGrads(t, v.name+" conv", x, w, b, dy,
					func(y []float32) { Conv2D(p, x, w, b, ActNone, y) },
					func(dx, dw, db []float32) {
						Conv2DBackwardInput(p, dy, w, dx)
						Conv2DBackwardWeights(p, x, dy, dw, db)
					})
			}
		})
	}
}

func TestGradCheckDepthwise(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	for _, v := range convVariants() {
		withConvVariant(t, v, func() {
			for _, p := range []DepthwiseParams{
				{N: 2, H: 5, W: 6, C: 8, KH: 3, KW: 3, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
				{N: 1, H: 7, W: 7, C: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
				{N: 1, H: 5, W: 5, C: 3, KH: 3, KW: 2, Multiplier: 2, StrideH: 2, StrideW: 1},
			} {
				p = p.norm("case")
				x := randSlice(r, p.N*p.H*p.W*p.C)
				w := randSlice(r, p.KH*p.KW*p.OutC())
				b := randSlice(r, p.OutC())
				dy := randSlice(r, p.N*p.OutH()*p.OutW()*p.OutC())
				checkConvGrads(t, v.name+" depthwise", x, w, b, dy,
					func(y []float32) { DepthwiseConv2D(p, x, w, b, ActNone, y) },
					func(dx, dw, db []float32) {
						DepthwiseConv2DBackwardInput(p, dy, w, dx)
						DepthwiseConv2DBackwardWeights(p, x, dy, dw, db)
					})
			}
		})
	}
}

func TestGradCheckPooling(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	for _, p := range []PoolParams{
		{N: 2, H: 5, W: 4, C: 3, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
		{N: 1, H: 7, W: 7, C: 2, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 1, H: 6, W: 5, C: 3, KH: 3, KW: 2, StrideH: 1, StrideW: 1, PadTop: 1, PadBottom: 1, PadRight: 1},
	} {
		p.StrideH, p.StrideW = max(p.StrideH, 1), max(p.StrideW, 1)
		x := awayFromKinks(r, p.N*p.H*p.W*p.C)
		dy := randSlice(r, p.N*p.OutH()*p.OutW()*p.C)
		y := make([]float32, len(dy))
		dx := make([]float32, len(x))
		MaxPool2DBackward(p, x, dy, dx)
		fdCheck(t, "maxpool dx", x, func() float64 { MaxPool2D(p, x, y); return dot64(y, dy) }, dx)
		AvgPool2DBackward(p, dy, dx)
		fdCheck(t, "avgpool dx", x, func() float64 { AvgPool2D(p, x, y); return dot64(y, dy) }, dx)
	}
	n, hw, c := 2, 6, 3
	x := awayFromKinks(r, n*hw*c)
	dy := randSlice(r, n*c)
	y, dx := make([]float32, n*c), make([]float32, len(x))
	GlobalAvgPoolBackward(n, hw, c, dy, dx)
	fdCheck(t, "global avg dx", x, func() float64 { GlobalAvgPool(n, hw, c, x, y); return dot64(y, dy) }, dx)
	GlobalMaxPoolBackward(n, hw, c, x, dy, dx)
	fdCheck(t, "global max dx", x, func() float64 { GlobalMaxPool(n, hw, c, x, y); return dot64(y, dy) }, dx)

	pp := PadParams{N: 2, H: 3, W: 4, C: 2, Top: 1, Bottom: 2, Left: 0, Right: 1}
	xp := randSlice(r, pp.N*pp.H*pp.W*pp.C)
	dyp := randSlice(r, pp.N*pp.OutH()*pp.OutW()*pp.C)
	yp, dxp := make([]float32, len(dyp)), make([]float32, len(xp))
	ZeroPad2DBackward(pp, dyp, dxp)
	fdCheck(t, "zeropad dx", xp, func() float64 { ZeroPad2D(pp, xp, yp); return dot64(yp, dyp) }, dxp)
}

func TestGradCheckBatchNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	c, rows := 3, 10
	x := randSlice(r, rows*c)
	gamma, beta := randSlice(r, c), randSlice(r, c)
	mean, vr := randSlice(r, c), randSlice(r, c)
	for i := range vr {
		vr[i] = vr[i]*vr[i] + 0.5
	}
	dy := randSlice(r, rows*c)
	y := make([]float32, len(x))
	eps := float32(1e-3)
	bm, bv := make([]float32, c), make([]float32, c)
	train := func() float64 { BatchNormTrain(x, gamma, beta, eps, y, bm, bv); return dot64(y, dy) }
	train()
	dx, dg, db := make([]float32, len(x)), make([]float32, c), make([]float32, c)
	BatchNormTrainBackward(x, dy, gamma, bm, bv, eps, dx, dg, db)
	fdCheck(t, "batchnorm train dx", x, train, dx)
	fdCheck(t, "batchnorm train dgamma", gamma, train, dg)
	fdCheck(t, "batchnorm train dbeta", beta, train, db)

	infer := func() float64 { BatchNormInference(x, gamma, beta, mean, vr, eps, ActNone, y); return dot64(y, dy) }
	BatchNormInferenceBackward(x, dy, gamma, mean, vr, eps, dx, dg, db)
	fdCheck(t, "batchnorm inference dx", x, infer, dx)
	fdCheck(t, "batchnorm inference dgamma", gamma, infer, dg)
	fdCheck(t, "batchnorm inference dbeta", beta, infer, db)

	// Folding into a 1x1 convolution gives the same output as conv then BN.
	p := ConvParams{N: 1, H: 2, W: 5, C: 4, KH: 1, KW: 1, OutC: c}
	xc := randSlice(r, p.N*p.H*p.W*p.C)
	w, bias := randSlice(r, p.C*c), randSlice(r, c)
	want := make([]float32, rows*c)
	Conv2D(p, xc, w, bias, ActNone, want)
	BatchNormInference(want, gamma, beta, mean, vr, eps, ActReLU, want)
	fw, fb := FoldBatchNorm(w, bias, c, gamma, beta, mean, vr, eps)
	got := make([]float32, rows*c)
	Conv2D(p, xc, fw, fb, ActReLU, got)
	requireClose(t, want, got, 8, "folded batch norm")
}

func TestGradCheckElementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(39, 40))
	n := 24
	x := awayFromKinks(r, n)
	for i := range x {
		x[i] *= 4 // reach past 6 for ReLU6, away from 6 itself
		if math.Abs(float64(x[i])-6) < 0.05 {
			x[i] += 0.1
		}
	}
	dy := randSlice(r, n)
	y, dx := make([]float32, n), make([]float32, n)
	for _, act := range []Activation{ActNone, ActReLU, ActReLU6} {
		ActivateBackward(act, x, dy, dx)
		fdCheck(t, "activation "+act.String(), x, func() float64 { Activate(act, x, y); return dot64(y, dy) }, dx)
	}
	q := ReLUParams{MaxValue: 3, NegativeSlope: 0.2, Threshold: 0.5}
	for i := range x {
		for _, k := range []float32{3, 0.5} {
			if math.Abs(float64(x[i]-k)) < 0.05 {
				x[i] += 0.1
			}
		}
	}
	ReLUGeneralBackward(q, x, dy, dx)
	fdCheck(t, "general relu", x, func() float64 { ReLUGeneral(q, x, y); return dot64(y, dy) }, dx)

	cols := 6
	logits := randSlice(r, 4*cols)
	dys := randSlice(r, len(logits))
	sm, dl := make([]float32, len(logits)), make([]float32, len(logits))
	Softmax(logits, cols, sm)
	SoftmaxBackward(sm, dys, cols, dl)
	fdCheck(t, "softmax", logits, func() float64 { Softmax(logits, cols, sm); return dot64(sm, dys) }, dl)

	bias := randSlice(r, cols)
	xb := randSlice(r, 4*cols)
	db := make([]float32, cols)
	BiasGrad(dys, db)
	fdCheck(t, "bias add", bias, func() float64 { BiasAdd(xb, bias, ActNone, sm); return dot64(sm, dys) }, db)
}
