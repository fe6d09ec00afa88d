package kernels

// The input gradient of a 3x3 stride-1 convolution is itself a 3x3 stride-1
// convolution: of dy, with each tap's weights transposed (OutC x C) and the
// taps in reverse order, padded by 2 minus the forward padding. Where
// Winograd pays for that convolution, the backward pass runs it.

// winogradBackwardInputParams returns the forward convolution that computes
// p's input gradient, and whether Winograd's F(2x2,3x3) takes it.
func winogradBackwardInputParams(p ConvParams) (ConvParams, bool) {
	if p.KH != 3 || p.KW != 3 || p.StrideH != 1 || p.StrideW != 1 || p.DilationH != 1 || p.DilationW != 1 ||
		max(p.PadTop, p.PadBottom, p.PadLeft, p.PadRight) > 2 {
		return ConvParams{}, false
	}
	q := ConvParams{N: p.N, H: p.OutH(), W: p.OutW(), C: p.OutC, KH: 3, KW: 3, OutC: p.C,
		StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1,
		PadTop: 2 - p.PadTop, PadBottom: 2 - p.PadBottom, PadLeft: 2 - p.PadLeft, PadRight: 2 - p.PadRight}
	_, ok := winogradFor(q)
	return q, ok && winogradTiles(q) >= winogradRawMinTiles
}

// conv2DBackwardInputWinograd computes dx through q, the convolution from
// winogradBackwardInputParams.
func conv2DBackwardInputWinograd(p, q ConvParams, dy, w, dx []float32) {
	buf := floatPool.Get().(*[]float32)
	defer floatPool.Put(buf)
	// Tap (kh, kw) of q is tap (2-kh, 2-kw) of w, transposed.
	Conv2D(q, dy, transposeTaps(p, w, true, buf), nil, ActNone, dx)
}
