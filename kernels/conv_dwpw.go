package kernels

import "fmt"

// A depthwise convolution followed by a pointwise one (MobileNet's separable
// blocks) runs in bands of output rows: each task computes its rows of the
// depthwise output into a buffer that stays in cache and runs the pointwise
// convolution on them at once, so the depthwise output never travels to
// memory and back.

// dwpwBandFloats is the size of a band's depthwise output, at most (in
// floats): 128 KiB, an eighth of L2.
const dwpwBandFloats = 32 << 10

// DepthwisePointwise computes y = act(pointwise(dwAct(depthwise(x, dw) +
// dwBias)) + pwBias + res): dp is the depthwise convolution, pw the 1x1
// weights packed for (N, OutH, OutW, C*Multiplier) inputs and OutC outputs;
// dwBias, pwBias and res (N, OutH, OutW, OutC) may be nil; y may be res
// itself but must not overlap x.
func DepthwisePointwise(dp DepthwiseParams, x, dw, dwBias []float32, dwAct Activation, pw *PackedConv, pwBias, res []float32, act Activation, y []float32) {
	act.flagsOnly("DepthwisePointwise")
	dwAct.flagsOnly("DepthwisePointwise")
	raceRead(x, dw, dwBias, pwBias, res)
	raceWrite(y)
	dp = dp.norm("DepthwisePointwise")
	oh, ow, mc := dp.OutH(), dp.OutW(), dp.OutC()
	pp := ConvParams{N: dp.N, H: oh, W: ow, C: mc, KH: 1, KW: 1, OutC: 1}
	if pw != nil {
		pp.OutC = pw.outC
	}
	if pw == nil || pw.kh != 1 || pw.kw != 1 || pw.c != mc {
		panic(fmt.Sprintf("kernels: DepthwisePointwise: packed weights do not match %+v", pp))
	}
	checkLen("DepthwisePointwise", "x", x, dp.N*dp.H*dp.W*dp.C)
	checkLen("DepthwisePointwise", "dw", dw, dp.KH*dp.KW*mc)
	if dwBias != nil {
		checkLen("DepthwisePointwise", "dwBias", dwBias, mc)
	}
	if pwBias != nil {
		checkLen("DepthwisePointwise", "pwBias", pwBias, pp.OutC)
	}
	size := dp.N * oh * ow * pp.OutC
	checkLen("DepthwisePointwise", "y", y, size)
	if res != nil {
		checkLen("DepthwisePointwise", "res", res, size)
	}
	if size == 0 {
		return
	}
	rows := dwpwBandRows(dp, pp.OutC)
	if rows == 0 {
		// Two passes through a buffer.
		buf := floatPool.Get().(*[]float32)
		defer floatPool.Put(buf)
		*buf = grow(*buf, dp.N*oh*ow*mc)
		DepthwiseConv2D(dp, x, dw, dwBias, dwAct, *buf)
		Conv2DPackedAdd(pp, *buf, pw, pwBias, res, act, y)
		return
	}
	// The depthwise operands, as depthwiseForward sets them up.
	lo, hi := dwInterior(dp)
	zbuf := dwZeroRow(dp)
	defer floatPool.Put(zbuf)
	zrow := *zbuf
	b := dwBias
	if b == nil {
		b = zrow[:dp.C]
	}
	kern, lanes := active.depthwise.rowKernel(dwAct, dp.C)
	wbuf := floatPool.Get().(*[]float32)
	defer floatPool.Put(wbuf)
	*wbuf = packDepthwise3x3Lanes(dw, dwBias, dp.C, lanes, *wbuf)
	wp := *wbuf
	flags := 0
	switch dwAct {
	case ActReLU:
		flags = convReLU
	case ActReLU6:
		flags = convReLU6
	}
	o := newPWOperands(mc, pp.OutC, convWeights{raw: pw.w, packed: pw.panels, nr: pw.nr}, pwBias, act)
	defer o.free()
	bands := (oh + rows - 1) / rows
	sameRes := res != nil && &res[0] == &y[0]
	oc := pp.OutC
	parallel(dp.N*bands, func(t int) {
		n, r0 := t/bands, t%bands*rows
		r1 := min(oh, r0+rows)
		mid := floatPool.Get().(*[]float32)
		defer floatPool.Put(mid)
		*mid = grow(*mid, (r1-r0)*ow*mc)
		band := *mid
		for r := r0; r < r1; r++ {
			out := band[(r-r0)*ow*mc : (r-r0+1)*ow*mc]
			dwBorderRow(dp, x, dw, b, flags, out, n, r, 0, lo)
			if hi > lo {
				var rp [3]*float32
				dwRows(dp, x, zrow, n, r, lo, &rp)
				kern(&rp[0], &wp[0], &out[lo*mc], hi-lo, mc, dp.StrideW*mc, dp.DilationW*mc)
			}
			dwBorderRow(dp, x, dw, b, flags, out, n, r, max(lo, hi), ow)
		}
		off := (n*oh + r0) * ow * oc
		var rb []float32
		if res != nil {
			rb = res[off:]
		}
		bp := ConvParams{N: 1, H: r1 - r0, W: ow, C: mc, KH: 1, KW: 1, OutC: oc}
		o.block(bp, band, rb, sameRes, o.flagsLast, y[off:], 0, (r1-r0)*ow, 0, o.panels)
	})
}

// dwpwBandRows returns the output rows per band of the fused path for oc
// pointwise outputs, or 0 when it does not run: the depthwise convolution
// must take the assembly path, the pointwise weights, read again for every
// band, must fit in a quarter of L2 (MobileNetV2's up to block 12; measured
// on MobileNetV2 and MobileNet at 1 thread, best of 5: 5.30 -> 4.48 and
// 7.32 -> 7.09 ms, where fusing every block gave 5.04 and 7.51), and the
// bands must keep every thread busy.
func dwpwBandRows(dp DepthwiseParams, oc int) int {
	if !depthwiseFast(dp) || dp.OutC()*oc > convL2Floats()/4 {
		return 0
	}
	oh, ow := dp.OutH(), dp.OutW()
	rows := max(1, min(oh, dwpwBandFloats/max(1, ow*dp.C)))
	if t := Threads(); t > 1 && dp.N*((oh+rows-1)/rows) < 2*t {
		rows = (dp.N*oh + 2*t - 1) / (2 * t)
		if dp.N*((oh+rows-1)/rows) < 2*t || rows == 0 {
			return 0
		}
	}
	return rows
}

// dwBorderRow computes output pixels [c0, c1) of row r of image n with the
// tap kernel (3x3, multiplier 1) into out, that output row (OutW x C).
func dwBorderRow(p DepthwiseParams, x, w, bias []float32, flags int, out []float32, n, r, c0, c1 int) {
	if c1 <= c0 {
		return
	}
	g := p.geom()
	tb := getTapBuf()
	defer putTapBuf(tb)
	for c := c0; c < c1; c++ {
		k := dwTaps(p, g, x, w, n, r, c, tb[0][:], tb[1][:])
		active.depthwise.tapsAct(&tb[0][0], &tb[1][0], k, p.C, &bias[0], &out[c*p.C], flags)
	}
}

// dwTaps sets, for each tap of the KH x KW window on output pixel (r, c) of
// image n that falls inside the input, xs[k] to the input pixel and ts[k] to
// the tap's C values in t (the weights, or their gradient), and returns k.
func dwTaps(p DepthwiseParams, g windowGeom, x, t []float32, n, r, c int, xs, ts []*float32) int {
	k := 0
	for kh := 0; kh < p.KH; kh++ {
		for kw := 0; kw < p.KW; kw++ {
			if ih, iw, ok := g.in(r, c, kh, kw); ok {
				xs[k], ts[k] = &x[((n*p.H+ih)*p.W+iw)*p.C], &t[(kh*p.KW+kw)*p.C]
				k++
			}
		}
	}
	return k
}
