package kernels

// ConvAlgorithm names the algorithm Conv2DPacked runs for p on the active
// path: "winograd4x4" (F(4x4,3x3) on the transformed weights), "winograd"
// (F(2x2,3x3)), "pointwise" (a 1x1 stride-1 convolution on its input read
// in place) or "direct" (the indirect convolution). Benchmarks label their figures with it: GFLOP/s
// figures count the direct algorithm's FLOPs whichever runs, so Winograd's
// may pass the FMA peak.
func ConvAlgorithm(p ConvParams) string {
	p = p.norm()
	switch {
	case p.N*p.OutH()*p.OutW() == 0:
		return "direct"
	case func() bool { tr, ok := winogradPackedFor(p); return ok && tr.tile == 4 }():
		return "winograd4x4"
	case func() bool { _, ok := winogradFor(p); return ok }():
		return "winograd"
	case pointwiseOK(p):
		return "pointwise"
	}
	return "direct"
}
