package kernels

import "sync"

// The depthwise fast path: 3x3, multiplier 1, channels a multiple of 8. Each
// task is one output row; its interior pixels (all three taps of every filter
// row inside the input width) run in the assembly row kernels, with a filter
// row that falls in the top or bottom padding read from a zero row; the few
// border pixels run in Go. The input gradient at stride 1 is the forward
// convolution of dy with the flipped filter; at other strides, and for other
// shapes, the generic loops run.

// depthwiseFast says whether p can take the active table's row kernels.
func depthwiseFast(p DepthwiseParams) bool {
	return active.depthwise != nil && p.Multiplier == 1 && p.KH == 3 && p.KW == 3 && p.C%8 == 0
}

// depthwiseTapsFast says whether p, not a 3x3 filter, can take the tap
// kernel pixel by pixel: multiplier 1, channels a multiple of 8, and at most
// 64 taps (ConvNeXt's 7x7 has 49).
func depthwiseTapsFast(p DepthwiseParams) bool {
	return active.depthwise != nil && p.Multiplier == 1 && p.C%8 == 0 && p.KH*p.KW <= 64
}

// depthwiseForwardTaps runs any filter size: with the table's kxk kernel
// where it has one, else with the tap kernel, each output pixel gathering
// its taps that fall inside the input and summing them over all channels.
func depthwiseForwardTaps(p DepthwiseParams, x, w, bias []float32, act Activation, f Nonlinear, y []float32) {
	if bias == nil {
		zbuf := floatPool.Get().(*[]float32)
		defer floatPool.Put(zbuf)
		*zbuf = grow(*zbuf, p.C)
		bias = *zbuf
		clear(bias)
	}
	if active.depthwise.kxk != nil {
		depthwiseForwardKxK(p, x, w, bias, act, f, y)
		return
	}
	oh, ow := p.OutH(), p.OutW()
	g := p.geom()
	flags := act.flags()
	parallel(p.N*oh, func(t int) {
		n, r := t/oh, t%oh
		out := y[(n*oh+r)*ow*p.C:][:ow*p.C]
		tb := getTapBuf()
		defer putTapBuf(tb)
		for c := 0; c < ow; c++ {
			dwTapsPixel(p, g, x, w, bias, flags, out, n, r, c, tb)
		}
		if f != 0 {
			row := y[(n*oh+r)*ow*p.C:][:ow*p.C]
			active.nonlinear.fwd(f, row, row)
		}
	})
}

// depthwiseForwardKxK runs the kxk kernel on the pixels of each output row
// whose taps lie inside the input width, over the filter rows inside the
// input height; the border pixels take the tap kernel.
func depthwiseForwardKxK(p DepthwiseParams, x, w, bias []float32, act Activation, f Nonlinear, y []float32) {
	oh, ow := p.OutH(), p.OutW()
	lo, hi := dwInterior(p)
	kern, flags := active.depthwise.kxk, act.flags()
	g := p.geom()
	parallel(p.N*oh, func(t int) {
		n, r := t/oh, t%oh
		out := y[(n*oh+r)*ow*p.C:][:ow*p.C]
		// filter rows [a0, a1) lie inside the input
		// filter row a reads input row a*DilationH - top
		top := p.PadTop - r*p.StrideH
		a0, a1 := max(0, (top+p.DilationH-1)/p.DilationH), 0
		if p.H-1+top >= 0 {
			a1 = min(p.KH, (p.H-1+top)/p.DilationH+1)
		}
		c0, c1 := lo, hi
		if a1 <= a0 {
			c0, c1 = 0, 0
		}
		tb := getTapBuf()
		defer putTapBuf(tb)
		for c := 0; c < c0; c++ {
			dwTapsPixel(p, g, x, w, bias, flags, out, n, r, c, tb)
		}
		if c1 > c0 {
			ih := r*p.StrideH + a0*p.DilationH - p.PadTop
			in := x[((n*p.H+ih)*p.W+c0*p.StrideW-p.PadLeft)*p.C:]
			kern(&in[0], p.DilationH*p.W*p.C, a1-a0, &w[a0*p.KW*p.C], p.KW, &bias[0], &out[c0*p.C], c1-c0, p.C,
				p.StrideW*p.C, p.DilationW*p.C, flags)
		}
		for c := max(c0, c1); c < ow; c++ {
			dwTapsPixel(p, g, x, w, bias, flags, out, n, r, c, tb)
		}
		if f != 0 {
			active.nonlinear.fwd(f, out, out)
		}
	})
}

// tapBuf holds a pixel's tap pointers: input pixels and filter taps. Tasks
// take one from tapBufs, since arrays handed to a kernel through the table
// escape to the heap (the compiler cannot see the assembly keeps nothing).
type tapBuf [2][64]*float32

var tapBufs = sync.Pool{New: func() any { return new(tapBuf) }}

// getTapBuf and putTapBuf take and return a tapBuf, cleared so that the
// pool holds no pointer into a tensor.
func getTapBuf() *tapBuf { return tapBufs.Get().(*tapBuf) }
func putTapBuf(tb *tapBuf) {
	*tb = tapBuf{}
	tapBufs.Put(tb)
}

// dwTapsPixel computes output pixel c of row r of image n into out (that
// row) with the tap kernel: the taps inside the input, then their sum over
// every channel (multiplier 1, at most 64 taps).
func dwTapsPixel(p DepthwiseParams, g windowGeom, x, w, bias []float32, flags int, out []float32, n, r, c int, tb *tapBuf) {
	k := dwTaps(p, g, x, w, n, r, c, tb[0][:], tb[1][:])
	active.depthwise.tapsAct(&tb[0][0], &tb[1][0], k, p.C, &bias[0], &out[c*p.C], flags)
}

// packDepthwise3x3 lays out 3x3 weights (9 x c) and bias (c, nil for 0) for
// depthwise3x3Packed (ymm): per block of 32 channels, then per block of 8, the
// nine taps' values of the block and then its bias.
func packDepthwise3x3(w, bias []float32, c int, dst []float32) []float32 {
	return packDepthwise3x3Lanes(w, bias, c, 8, dst)
}

// packDepthwise3x3Lanes is packDepthwise3x3 for vectors of lanes floats
// (16 for the zmm kernels): blocks of 4*lanes channels, then of lanes.
func packDepthwise3x3Lanes(w, bias []float32, c, lanes int, dst []float32) []float32 {
	dst = grow(dst, 10*c)
	o := 0
	for c0 := 0; c0 < c; {
		bw := lanes
		if c-c0 >= 4*lanes {
			bw = 4 * lanes
		}
		for t := 0; t < 9; t++ {
			copy(dst[o:o+bw], w[t*c+c0:t*c+c0+bw])
			o += bw
		}
		if bias != nil {
			copy(dst[o:o+bw], bias[c0:c0+bw])
		} else {
			clear(dst[o : o+bw])
		}
		o += bw
		c0 += bw
	}
	return dst
}

// dwInterior returns the output columns [lo, hi) whose KW taps lie inside
// the input width.
func dwInterior(p DepthwiseParams) (lo, hi int) {
	ow := p.OutW()
	lo = (p.PadLeft + p.StrideW - 1) / p.StrideW
	last := p.W - 1 - (p.KW-1)*p.DilationW + p.PadLeft // largest ow*StrideW
	if last < 0 {
		return 0, 0
	}
	hi = min(ow, last/p.StrideW+1)
	return min(lo, hi), hi
}

// dwRows sets rows to the three filter rows of output row r of image n at
// output column lo, or zrow where a filter row is in the padding.
func dwRows(p DepthwiseParams, x []float32, zrow []float32, n, r, lo int, rows *[3]*float32) {
	for kh := 0; kh < 3; kh++ {
		ih := r*p.StrideH + kh*p.DilationH - p.PadTop
		if ih < 0 || ih >= p.H {
			rows[kh] = &zrow[0]
			continue
		}
		rows[kh] = &x[((n*p.H+ih)*p.W+lo*p.StrideW-p.PadLeft)*p.C]
	}
}

// dwZeroRow returns a pooled zero buffer long enough for a run of a whole
// output row (return it to floatPool).
func dwZeroRow(p DepthwiseParams) *[]float32 {
	buf := floatPool.Get().(*[]float32)
	*buf = grow(*buf, (p.OutW()*p.StrideW+2*p.DilationW+1)*p.C)
	clear(*buf)
	return buf
}

// depthwiseForward computes y = f(act(depthwise(x, w) + bias)), f 0 for
// none, else applied to each output row as soon as it is written.
func depthwiseForward(p DepthwiseParams, x, w, bias []float32, act Activation, f Nonlinear, y []float32) {
	if !depthwiseFast(p) {
		if depthwiseTapsFast(p) {
			depthwiseForwardTaps(p, x, w, bias, act, f, y)
			return
		}
		depthwiseForwardGeneric(p, x, w, bias, act, y)
		applyAfter(f, y)
		return
	}
	oh, ow := p.OutH(), p.OutW()
	lo, hi := dwInterior(p)
	zbuf := dwZeroRow(p)
	defer floatPool.Put(zbuf)
	zrow := *zbuf
	b := bias
	if b == nil {
		b = zrow[:p.C]
	}
	kern, lanes := active.depthwise.rowKernel(act, p.C)
	wbuf := floatPool.Get().(*[]float32)
	defer floatPool.Put(wbuf)
	*wbuf = packDepthwise3x3Lanes(w, bias, p.C, lanes, *wbuf)
	wp := *wbuf
	flags := 0
	switch act {
	case ActReLU:
		flags = convReLU
	case ActReLU6:
		flags = convReLU6
	}
	parallel(p.N*oh, func(t int) {
		n, r := t/oh, t%oh
		dwBorderFwd(p, x, w, b, flags, y, n, r, 0, lo)
		if hi > lo {
			var rows [3]*float32
			dwRows(p, x, zrow, n, r, lo, &rows)
			out := y[((n*oh+r)*ow+lo)*p.C:][:(hi-lo)*p.C]
			kern(&rows[0], &wp[0], &out[0], hi-lo, p.C, p.StrideW*p.C, p.DilationW*p.C)
		}
		dwBorderFwd(p, x, w, b, flags, y, n, r, max(lo, hi), ow)
		if f != 0 {
			row := y[(n*oh+r)*ow*p.C:][:ow*p.C]
			active.nonlinear.fwd(f, row, row)
		}
	})
}

// dwBorderFwd computes output pixels [c0, c1) of row r of image n with the
// tap kernel (3x3, multiplier 1).
func dwBorderFwd(p DepthwiseParams, x, w, bias []float32, flags int, y []float32, n, r, c0, c1 int) {
	row := (n*p.OutH() + r) * p.OutW() * p.C
	dwBorderRow(p, x, w, bias, flags, y[row:row+p.OutW()*p.C], n, r, c0, c1)
}

// dwBorderGrad adds the weight gradient of output pixels [c0, c1) of row r of
// image n into acc with the tap kernel (3x3, multiplier 1).
func dwBorderGrad(p DepthwiseParams, x, dy, acc []float32, n, r, c0, c1 int) {
	oh, ow := p.OutH(), p.OutW()
	if c1 <= c0 {
		return
	}
	g := p.geom()
	tb := getTapBuf()
	defer putTapBuf(tb)
	for c := c0; c < c1; c++ {
		if k := dwTaps(p, g, x, acc, n, r, c, tb[0][:], tb[1][:]); k > 0 {
			active.depthwise.tapsGrad(&tb[0][0], &tb[1][0], k, p.C, &dy[((n*oh+r)*ow+c)*p.C])
		}
	}
}

func depthwiseBackwardInput(p DepthwiseParams, dy, w, dx []float32) {
	ph, pw := 2*p.DilationH, 2*p.DilationW
	if !depthwiseFast(p) || p.StrideH != 1 || p.StrideW != 1 ||
		p.PadTop > ph || p.PadBottom > ph || p.PadLeft > pw || p.PadRight > pw {
		if active.depthwise != nil && p.Multiplier == 1 && p.C%8 == 0 && p.KH*p.KW <= 64 {
			depthwiseBackwardInputTaps(p, dy, w, dx)
			return
		}
		depthwiseBackwardInputGeneric(p, dy, w, dx)
		return
	}
	// dx = depthwise(dy, flipped w) with the complementary padding.
	q := p
	q.H, q.W = p.OutH(), p.OutW()
	q.PadTop, q.PadBottom = ph-p.PadTop, ph-p.PadBottom
	q.PadLeft, q.PadRight = pw-p.PadLeft, pw-p.PadRight
	if q.OutH() != p.H || q.OutW() != p.W {
		depthwiseBackwardInputGeneric(p, dy, w, dx)
		return
	}
	buf := floatPool.Get().(*[]float32)
	defer floatPool.Put(buf)
	*buf = grow(*buf, 9*p.C)
	wf := *buf
	for t := 0; t < 9; t++ {
		copy(wf[t*p.C:(t+1)*p.C], w[(8-t)*p.C:(9-t)*p.C])
	}
	depthwiseForward(q, dy, wf, nil, ActNone, 0, dx)
}

func depthwiseBackwardWeights(p DepthwiseParams, x, dy, dw []float32) {
	if !depthwiseFast(p) {
		depthwiseBackwardWeightsGeneric(p, x, dy, dw)
		return
	}
	oh, ow := p.OutH(), p.OutW()
	lo, hi := dwInterior(p)
	zbuf := dwZeroRow(p)
	defer floatPool.Put(zbuf)
	zrow := *zbuf
	grad := active.depthwise.rowsFor(p.C).grad
	depthwiseWeightsByRows(p, dw, func(acc []float32, n, r int) {
		dwBorderGrad(p, x, dy, acc, n, r, 0, lo)
		if hi > lo {
			var rows [3]*float32
			dwRows(p, x, zrow, n, r, lo, &rows)
			g := dy[((n*oh+r)*ow+lo)*p.C:][:(hi-lo)*p.C]
			grad(&rows[0], &g[0], &acc[0], hi-lo, p.C, p.StrideW*p.C, p.DilationW*p.C)
		}
		dwBorderGrad(p, x, dy, acc, n, r, max(lo, hi), ow)
	})
}

// depthwiseBackwardInputTaps gathers, for each input pixel, the (dy pixel,
// filter tap) pairs whose windows cover it and sums their products with the
// depthwiseTapsAct kernel (multiplier 1, any filter, stride and dilation).
func depthwiseBackwardInputTaps(p DepthwiseParams, dy, w, dx []float32) {
	tapsAct := active.depthwise.tapsAct
	oh, ow := p.OutH(), p.OutW()
	g := p.geom()
	zbuf := floatPool.Get().(*[]float32)
	defer floatPool.Put(zbuf)
	*zbuf = grow(*zbuf, p.C)
	zero := *zbuf
	clear(zero)
	parallel(p.N*p.H, func(t int) {
		n, ih := t/p.H, t%p.H
		var xs, ws [64]*float32
		for iw := 0; iw < p.W; iw++ {
			k := 0
			for kh := 0; kh < p.KH; kh++ {
				for kw := 0; kw < p.KW; kw++ {
					if r, c, ok := g.out(ih, iw, kh, kw); ok {
						xs[k], ws[k] = &dy[((n*oh+r)*ow+c)*p.C], &w[(kh*p.KW+kw)*p.C]
						k++
					}
				}
			}
			out := dx[((n*p.H+ih)*p.W+iw)*p.C:][:p.C]
			if k == 0 {
				clear(out)
				continue
			}
			tapsAct(&xs[0], &ws[0], k, p.C, &zero[0], &out[0], 0)
		}
	})
}
