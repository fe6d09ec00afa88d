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
	st := g.ints("strides")
	pt, pb, pl, pr := g.pads()
	p := DepthwiseParams{N: xs[0], H: xs[1], W: xs[2], C: xs[3], KH: ks[0], KW: ks[1], Multiplier: ks[3] / xs[3],
		StrideH: st[0], StrideW: st[1], PadTop: pt, PadBottom: pb, PadLeft: pl, PadRight: pr}
	x, w, dy := g.load(t, "x"), g.load(t, "kernel"), g.load(t, "dy")
	var bias []float32
	if g.has("bias") {
		bias = g.load(t, "bias")
	}
	y := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC())
	DepthwiseConv2D(p, x, w, bias, ActNone, y)
	requireGolden(t, name+" y", g.load(t, "y"), y, tol)
	dx := make([]float32, len(x))
	DepthwiseConv2DBackwardInput(p, dy, w, dx)
	requireGolden(t, name+" dx", g.load(t, "dx"), dx, tol)
	dw := make([]float32, len(w))
	var db []float32
	if bias != nil {
		db = make([]float32, len(bias))
	}
	DepthwiseConv2DBackwardWeights(p, x, dy, dw, db)
	requireGolden(t, name+" dkernel", g.load(t, "dkernel"), dw, tol)
	if bias != nil {
		requireGolden(t, name+" dbias", g.load(t, "dbias"), db, tol)
	}
}
