package kernels

// windowGeom is the sliding-window geometry that convolutions, depthwise
// convolutions and their gradients share: which input pixel a tap of an
// output pixel reads, and which output pixel a tap lays on an input pixel.
type windowGeom struct {
	h, w, outH, outW int
	strideH, strideW int
	dilH, dilW       int
	padTop, padLeft  int
}

func (p ConvParams) geom() windowGeom {
	return windowGeom{p.H, p.W, p.OutH(), p.OutW(), p.StrideH, p.StrideW, p.DilationH, p.DilationW, p.PadTop, p.PadLeft}
}

func (p DepthwiseParams) geom() windowGeom {
	return windowGeom{p.H, p.W, p.OutH(), p.OutW(), p.StrideH, p.StrideW, p.DilationH, p.DilationW, p.PadTop, p.PadLeft}
}

// in returns the input pixel that tap (kh, kw) of output pixel (r, c) reads,
// and false where the tap falls in the padding.
func (g windowGeom) in(r, c, kh, kw int) (ih, iw int, ok bool) {
	ih = r*g.strideH + kh*g.dilH - g.padTop
	iw = c*g.strideW + kw*g.dilW - g.padLeft
	return ih, iw, ih >= 0 && ih < g.h && iw >= 0 && iw < g.w
}

// out returns the output pixel whose tap (kh, kw) reads input pixel (ih,
// iw), and false where none does (off the stride grid, or past the output).
func (g windowGeom) out(ih, iw, kh, kw int) (r, c int, ok bool) {
	nh := ih + g.padTop - kh*g.dilH
	nw := iw + g.padLeft - kw*g.dilW
	if nh < 0 || nw < 0 || nh%g.strideH != 0 || nw%g.strideW != 0 {
		return 0, 0, false
	}
	r, c = nh/g.strideH, nw/g.strideW
	return r, c, r < g.outH && c < g.outW
}
