package kernels

import "testing"

// checkGroupedDepthwise checks a Keras 3 Conv2D with groups = input
// channels (ConvNeXt's 7x7 "depthwise" Conv2D) as nn computes it: the
// depthwise kernels with the (kh, kw, 1, filters) kernel read as (kh, kw,
// C, filters/C), the same memory order.
func checkGroupedDepthwise(t *testing.T, name string, g goldenCase, tol float64) {
	xs, ks := g.shape("x"), g.shape("kernel")
	groups := int(g.Params["groups"].(float64))
	if ks[2] != 1 || groups != xs[3] {
		t.Fatalf("%s: groups %d with kernel %v: only groups = input channels is a depthwise convolution", name, groups, ks)
	}
	checkGoldenDepthwise(t, name, g, g.depthwiseParams(ks[0], ks[1], ks[3]/xs[3]), "kernel", tol)
}

// checkGoldenDepthwise checks DepthwiseConv2D with p on the case's x, its
// kernel of the given name and its bias (when it has one) against y, then
// the backward against dx and the gradients of the kernel and the bias.
func checkGoldenDepthwise(t *testing.T, name string, g goldenCase, p DepthwiseParams, kernel string, tol float64) {
	t.Helper()
	x, w, dy := g.load(t, "x"), g.load(t, kernel), g.load(t, "dy")
	bias, db := g.bias(t)
	y := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC())
	DepthwiseConv2D(p, x, w, bias, ActNone, y)
	requireGolden(t, name+" y", g.load(t, "y"), y, tol)
	dx := make([]float32, len(x))
	DepthwiseConv2DBackwardInput(p, dy, w, dx)
	requireGolden(t, name+" dx", g.load(t, "dx"), dx, tol)
	dw := make([]float32, len(w))
	DepthwiseConv2DBackwardWeights(p, x, dy, dw, db)
	requireGolden(t, name+" d"+kernel, g.load(t, "d"+kernel), dw, tol)
	g.requireBiasGrad(t, name, db, tol)
}
