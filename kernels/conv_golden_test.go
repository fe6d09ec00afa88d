package kernels

import (
	"fmt"
	"strings"
	"testing"
)

func runGolden(t *testing.T, shared bool) {
	cases := goldenCases(t, shared)
	for _, v := range convVariants() {
		for name, g := range cases {
			t.Run(fmt.Sprintf("%s/%s", v.name, name), func(t *testing.T) {
				withConvVariant(t, v, func() { checkGoldenCase(t, name, g) })
			})
		}
	}
}

// TestGolden checks every kernel against the golden cases in testdata.
func TestGolden(t *testing.T) { runGolden(t, false) }

// TestGoldenShared checks against ../shared/golden/grads itself (skipped
// locally when absent; CI fails without it).
func TestGoldenShared(t *testing.T) { runGolden(t, true) }

func checkGoldenCase(t *testing.T, name string, g goldenCase) {
	if reason, pending := kernelsLack[name]; pending {
		t.Skipf("%s: %s", name, reason)
	}
	tol := goldenTol
	switch {
	case g.Op == "Conv2D" && g.Params["groups"] != nil:
		checkGroupedDepthwise(t, name, g, tol)
	case g.Op == "Conv2D":
		xs, ks := g.shape("x"), g.shape("kernel")
		st := g.ints("strides")
		pt, pb, pl, pr := g.pads()
		p := ConvParams{N: xs[0], H: xs[1], W: xs[2], C: xs[3], KH: ks[0], KW: ks[1], OutC: ks[3],
			StrideH: st[0], StrideW: st[1], PadTop: pt, PadBottom: pb, PadLeft: pl, PadRight: pr}
		x, w, dy := g.load(t, "x"), g.load(t, "kernel"), g.load(t, "dy")
		bias, db := g.bias(t)
		y := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC)
		Conv2D(p, x, w, bias, ActNone, y)
		requireGolden(t, name+" y", g.load(t, "y"), y, tol)
		y2 := make([]float32, len(y))
		Conv2DPacked(p, x, PackConvWeights(p, w), bias, ActNone, y2)
		requireGolden(t, name+" y packed", g.load(t, "y"), y2, tol)
		dx := make([]float32, len(x))
		Conv2DBackwardInput(p, dy, w, dx)
		requireGolden(t, name+" dx", g.load(t, "dx"), dx, tol)
		dw := make([]float32, len(w))
		Conv2DBackwardWeights(p, x, dy, dw, db)
		requireGolden(t, name+" dkernel", g.load(t, "dkernel"), dw, tol)
		g.requireBiasGrad(t, name, db, tol)
	case g.Op == "DepthwiseConv2D":
		ks := g.shape("depthwise_kernel")
		checkGoldenDepthwise(t, name, g, g.depthwiseParams(ks[0], ks[1], ks[3]), "depthwise_kernel", tol)
	case g.Op == "MaxPooling2D" || g.Op == "AveragePooling2D":
		xs := g.shape("x")
		ps, st := g.ints("pool_size"), g.ints("strides")
		pt, pb, pl, pr := g.pads()
		p := PoolParams{N: xs[0], H: xs[1], W: xs[2], C: xs[3], KH: ps[0], KW: ps[1], StrideH: st[0], StrideW: st[1],
			PadTop: pt, PadBottom: pb, PadLeft: pl, PadRight: pr}
		x, dy := g.load(t, "x"), g.load(t, "dy")
		y := make([]float32, p.N*p.OutH()*p.OutW()*p.C)
		dx := make([]float32, len(x))
		if g.Op == "MaxPooling2D" {
			MaxPool2D(p, x, y)
			MaxPool2DBackward(p, x, dy, dx)
		} else {
			AvgPool2D(p, x, y)
			AvgPool2DBackward(p, dy, dx)
		}
		requireGolden(t, name+" y", g.load(t, "y"), y, tol)
		requireGolden(t, name+" dx", g.load(t, "dx"), dx, tol)
	case g.Op == "GlobalAveragePooling2D":
		xs := g.shape("x")
		x, dy := g.load(t, "x"), g.load(t, "dy")
		y := make([]float32, xs[0]*xs[3])
		GlobalAvgPool(xs[0], xs[1]*xs[2], xs[3], x, y)
		requireGolden(t, name+" y", g.load(t, "y"), y, tol)
		dx := make([]float32, len(x))
		GlobalAvgPoolBackward(xs[0], xs[1]*xs[2], xs[3], dy, dx)
		requireGolden(t, name+" dx", g.load(t, "dx"), dx, tol)
	case g.Op == "Dense":
		xs, ks := g.shape("x"), g.shape("kernel")
		x, w, b, dy := g.load(t, "x"), g.load(t, "kernel"), g.load(t, "bias"), g.load(t, "dy")
		m, k, n := xs[0], xs[1], ks[1]
		y := make([]float32, m*n)
		Sgemm(false, false, m, n, k, 1, x, k, w, n, 0, y, n)
		BiasAdd(y, b, ActNone, y)
		requireGolden(t, name+" y", g.load(t, "y"), y, tol)
		db := make([]float32, n)
		BiasGrad(dy, db)
		requireGolden(t, name+" dbias", g.load(t, "dbias"), db, tol)
	case g.Op == "BatchNormalization" && strings.HasPrefix(g.Params["mode"].(string), "training"):
		x, gm, bt, dy := g.load(t, "x"), g.load(t, "gamma"), g.load(t, "beta"), g.load(t, "dy")
		c := len(gm)
		eps := float32(g.Params["epsilon"].(float64))
		y, mean, vr := make([]float32, len(x)), make([]float32, c), make([]float32, c)
		BatchNormTrain(x, gm, bt, eps, y, mean, vr)
		requireGolden(t, name+" y", g.load(t, "y"), y, tol)
		requireGolden(t, name+" batch_mean", g.load(t, "batch_mean"), mean, tol)
		requireGolden(t, name+" batch_variance_biased", g.load(t, "batch_variance_biased"), vr, tol)
		dx, dg, db := make([]float32, len(x)), make([]float32, c), make([]float32, c)
		BatchNormTrainBackward(x, dy, gm, mean, vr, eps, dx, dg, db)
		g.requireNormGrads(t, name, dx, dg, db, tol)
		n := float32(len(x) / c)
		mom := float32(g.Params["momentum"].(float64))
		for _, est := range []struct {
			file   string
			factor float32
		}{{"biased", 1}, {"unbiased", n / (n - 1)}, {"keras231", n / (n - 1 - eps)}} {
			mm, mv := g.load(t, "moving_mean"), g.load(t, "moving_variance")
			BatchNormMovingUpdate(mm, mv, mean, vr, mom, est.factor)
			requireGolden(t, name+" new_moving_mean", g.load(t, "new_moving_mean"), mm, tol)
			requireGolden(t, name+" new_moving_variance_"+est.file, g.load(t, "new_moving_variance_"+est.file), mv, tol)
		}
	case g.Op == "BatchNormalization":
		x, gm, bt, dy := g.load(t, "x"), g.load(t, "gamma"), g.load(t, "beta"), g.load(t, "dy")
		mean, vr := g.load(t, "moving_mean"), g.load(t, "moving_variance")
		c := len(gm)
		eps := float32(g.Params["epsilon"].(float64))
		y := make([]float32, len(x))
		BatchNormInference(x, gm, bt, mean, vr, eps, ActNone, y)
		requireGolden(t, name+" y", g.load(t, "y"), y, tol)
		dx, dg, db := make([]float32, len(x)), make([]float32, c), make([]float32, c)
		BatchNormInferenceBackward(x, dy, gm, mean, vr, eps, dx, dg, db)
		g.requireNormGrads(t, name, dx, dg, db, tol)
	case g.Op == "Activation" && goldenNonlinear[g.Params["activation"].(string)] != 0:
		f := goldenNonlinear[g.Params["activation"].(string)]
		x, dy := g.load(t, "x"), g.load(t, "dy")
		y, dx := make([]float32, len(x)), make([]float32, len(x))
		ApplyNonlinear(f, x, y)
		requireGolden(t, name+" y", g.load(t, "y"), y, tol)
		NonlinearBackward(f, x, dy, dx)
		requireGolden(t, name+" dx", g.load(t, "dx"), dx, tol)
	case name == "relu" || name == "relu6":
		act := ActReLU
		if name == "relu6" {
			act = ActReLU6
		}
		x, dy := g.load(t, "x"), g.load(t, "dy")
		y, dx := make([]float32, len(x)), make([]float32, len(x))
		Activate(act, x, y)
		requireGolden(t, name+" y", g.load(t, "y"), y, tol)
		ActivateBackward(act, x, dy, dx)
		requireGolden(t, name+" dx", g.load(t, "dx"), dx, tol)
		ActivateBackward(act, y, dy, dx) // from the output: the same mask
		requireGolden(t, name+" dx from y", g.load(t, "dx"), dx, tol)
		q := DefaultReLU
		if act == ActReLU6 {
			q.MaxValue = 6
		}
		ReLUGeneral(q, x, y)
		requireGolden(t, name+" general y", g.load(t, "y"), y, tol)
		ReLUGeneralBackward(q, x, dy, dx)
		requireGolden(t, name+" general dx", g.load(t, "dx"), dx, tol)
	case name == "softmax_categorical_crossentropy":
		logits, labels := g.load(t, "logits"), g.load(t, "labels")
		cols := g.shape("logits")[1]
		sm := make([]float32, len(logits))
		Softmax(logits, cols, sm)
		requireGolden(t, name+" softmax", g.load(t, "softmax"), sm, tol)
		// dlogits of the mean crossentropy through SoftmaxBackward: dL/dsoftmax
		// = -labels / (softmax * N).
		rows := len(logits) / cols
		dp := make([]float32, len(sm))
		for i := range dp {
			dp[i] = -labels[i] / (sm[i] * float32(rows))
		}
		dl := make([]float32, len(sm))
		SoftmaxBackward(sm, dp, cols, dl)
		requireGolden(t, name+" dlogits", g.load(t, "dlogits"), dl, 1e-4)
	case g.Op == "CustomScaleLayer":
		// InceptionResNetV2's scaled residual y = x0 + scale*x1 is an Axpy.
		scale := float32(g.Params["scale"].(float64))
		x0, x1, dy := g.load(t, "x0"), g.load(t, "x1"), g.load(t, "dy")
		y := append([]float32(nil), x0...)
		Axpy(scale, x1, y)
		requireGolden(t, name+" y", g.load(t, "y"), y, tol)
		requireGolden(t, name+" dx0", g.load(t, "dx0"), dy, tol)
		dx1 := append([]float32(nil), dy...)
		Scale(scale, dx1)
		requireGolden(t, name+" dx1", g.load(t, "dx1"), dx1, tol)
	case g.Op == "SeparableConv2D":
		checkSeparable(t, name, g, tol)
	default:
		t.Fatalf("golden case %s (op %q) has no check here and is not listed in kernelsLack", name, g.Op)
	}
}

// kernelsLack names the golden gradient cases whose op the kernels do not
// compute (yet), with the reason. The shared test skips exactly these and
// fails on any other case it cannot check, so this list only shrinks.
var kernelsLack = map[string]string{
	"concatenate_2inputs":   "Concatenate is a copy in nn, not a kernel: nn's TestGoldenGradsShared checks it",
	"concatenate_3inputs":   "Concatenate is a copy in nn, not a kernel: nn's TestGoldenGradsShared checks it",
	"layernorm":             "LayerNormalization is computed in nn, not a kernel: nn's TestGoldenGradsShared checks it",
	"normalization":         "Normalization is computed in nn (layer_preprocessing.go): nn's TestGoldenGradsShared checks it",
	"layer_scale":           "LayerScale is computed in nn, not a kernel: nn's TestGoldenGradsShared checks it",
	"multiply_broadcast_se": "the broadcasting Multiply is computed in nn (layer_multiply_broadcast.go): nn's TestGoldenGradsShared checks it",
}

// goldenNonlinear maps the golden cases' Keras 3 activation names to the
// Nonlinear kernels.
var goldenNonlinear = map[string]Nonlinear{"silu": Swish, "hard_silu": HardSwish, "gelu": GELU}

// checkSeparable checks SeparableConv2D as Keel computes it: a depthwise
// convolution with the layer's padding and strides, then a 1x1 convolution
// and the bias, and backward through both.
func checkSeparable(t *testing.T, name string, g goldenCase, tol float64) {
	dks, pks := g.shape("depthwise_kernel"), g.shape("pointwise_kernel")
	dp := g.depthwiseParams(dks[0], dks[1], dks[3])
	pp := ConvParams{N: dp.N, H: dp.OutH(), W: dp.OutW(), C: dp.OutC(), KH: 1, KW: 1, OutC: pks[3], StrideH: 1, StrideW: 1}
	x, dw, pw, dy := g.load(t, "x"), g.load(t, "depthwise_kernel"), g.load(t, "pointwise_kernel"), g.load(t, "dy")
	bias, db := g.bias(t)
	mid := make([]float32, dp.N*dp.OutH()*dp.OutW()*dp.OutC())
	DepthwiseConv2D(dp, x, dw, nil, ActNone, mid)
	y := make([]float32, pp.N*pp.OutH()*pp.OutW()*pp.OutC)
	Conv2D(pp, mid, pw, bias, ActNone, y)
	requireGolden(t, name+" y", g.load(t, "y"), y, tol)

	dmid := make([]float32, len(mid))
	Conv2DBackwardInput(pp, dy, pw, dmid)
	dpw := make([]float32, len(pw))
	Conv2DBackwardWeights(pp, mid, dy, dpw, db)
	requireGolden(t, name+" dpointwise_kernel", g.load(t, "dpointwise_kernel"), dpw, tol)
	g.requireBiasGrad(t, name, db, tol)
	dx, ddw := make([]float32, len(x)), make([]float32, len(dw))
	DepthwiseConv2DBackwardInput(dp, dmid, dw, dx)
	DepthwiseConv2DBackwardWeights(dp, x, dmid, ddw, nil)
	requireGolden(t, name+" dx", g.load(t, "dx"), dx, tol)
	requireGolden(t, name+" ddepthwise_kernel", g.load(t, "ddepthwise_kernel"), ddw, tol)
}
