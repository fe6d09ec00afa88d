package kernels

import (
	"fmt"
	"math"
	"unsafe"
)

// QConv2D is Conv2D on uint8 activations (zero point xZero) and int8 weights
// packed by PackQWeights from the HWIO kernel flattened to (KH*KW*C) x OutC:
// y = the epilogue ep of the exact int32 convolution of x - xZero with w.
// Padded positions count as xZero (real 0). A 1x1 stride-1 unpadded layer is
// one QGemm over the pixels; others gather the windows (im2col) in bands of
// rows and run QGemm on each band. ep.Residual, if set, is NHWC like y (its
// ResStride 0 or OutC). y must not overlap x.
func QConv2D(p ConvParams, x []uint8, xZero int32, w *QWeights, ep *QEpilogue, y []uint8) {
	p.check("QConv2D")
	p = p.norm()
	k := p.KH * p.KW * p.C
	if w == nil || w.k != k || w.n != p.OutC {
		panic(fmt.Sprintf("kernels: QConv2D: weights are not %dx%d (KH*KW*C x OutC)", k, p.OutC))
	}
	oh, ow := p.OutH(), p.OutW()
	m := p.N * oh * ow
	checkBytes("QConv2D", "x", x, 1, p.N*p.H*p.W*p.C, p.N*p.H*p.W*p.C)
	checkBytes("QConv2D", "y", y, 1, m*p.OutC, m*p.OutC)
	ep.check("QConv2D", m, p.OutC)
	if ep.ResStride != 0 && ep.ResStride != p.OutC {
		panic(fmt.Sprintf("kernels: QConv2D: residual stride %d, want OutC %d", ep.ResStride, p.OutC))
	}
	qZeros("QConv2D", xZero)
	if m == 0 {
		return
	}
	if p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadTop+p.PadBottom+p.PadLeft+p.PadRight == 0 {
		QGemm(m, x, p.C, xZero, w, y, p.OutC, ep)
		return
	}
	// (Each tap is a k block of C; below 32 channels the kernel calls cost
	// more than gathering the windows.)
	if qk := w.qk; qk != nil && active != &genericTable && p.C >= 32 && p.C%qk.kstep() == 0 && w.kp == k {
		raceReadBytes(x, ep.Residual)
		raceWriteBytes(y)
		qconvImplicit(p, x, xZero, w, ep, y)
		return
	}
	// Bands of about 256 KiB of gathered windows, whole GEMM row blocks;
	// each row padded to k rounded up to 16 (the widest kernel k step) so
	// the kernels read it in place.
	ld := roundUp(k, 16)
	band := max(qMC, (1<<18)/ld/qMC*qMC)
	bp := qBytePool.Get().(*[]byte)
	defer qBytePool.Put(bp)
	buf := growBytes(*bp, min(band, m)*ld)
	*bp = buf
	bep := *ep
	for r0 := 0; r0 < m; r0 += band {
		rows := min(band, m-r0)
		qIm2col(p, x, uint8(xZero), buf, ld, r0, rows)
		if ep.Residual != nil {
			bep.Residual = ep.Residual[r0*p.OutC:]
			bep.ResStride = p.OutC
		}
		QGemm(rows, buf, ld, xZero, w, y[r0*p.OutC:], p.OutC, &bep)
	}
}

// qconvImplicit runs the convolution as a GEMM without gathering the
// windows: on a copy of x padded with the zero point, the pixels of an
// output row are rows of a matrix with stride StrideW*C for each tap (whose
// C channels are contiguous), so the micro-kernel reads them in place, one
// tap (k block of C) after the other. For kernels reading activations as
// they are and C a multiple of their k step; for a kernel on widened
// activations (AVX2) the padded copy is widened once.
func qconvImplicit(p ConvParams, x []uint8, xZero int32, w *QWeights, ep *QEpilogue, y []uint8) {
	qk := w.qk
	oh, ow, c, n := p.OutH(), p.OutW(), p.C, p.OutC
	hp, wp := p.H+p.PadTop+p.PadBottom, p.W+p.PadLeft+p.PadRight
	pad := x
	if hp != p.H || wp != p.W {
		bp := qBytePool.Get().(*[]byte)
		defer qBytePool.Put(bp)
		pad = growBytes(*bp, p.N*hp*wp*c+wp*c)
		*bp = pad
		zrow := pad[p.N*hp*wp*c:]
		for i := range zrow {
			zrow[i] = uint8(xZero)
		}
		for b := 0; b < p.N; b++ {
			for r := 0; r < hp; r++ {
				row := pad[(b*hp+r)*wp*c : (b*hp+r+1)*wp*c]
				if r < p.PadTop || r >= p.PadTop+p.H {
					copy(row, zrow)
					continue
				}
				copy(row[:p.PadLeft*c], zrow)
				src := ((b*p.H + r - p.PadTop) * p.W) * c
				copy(row[p.PadLeft*c:], x[src:src+p.W*c])
				copy(row[(p.PadLeft+p.W)*c:], zrow)
			}
		}
	}
	// The kernels read activations at abase, esz bytes each.
	abase, esz := unsafe.Pointer(&pad[0]), 1
	if qk.widen != nil {
		wp16 := qUint16Pool.Get().(*[]uint16)
		defer qUint16Pool.Put(wp16)
		if cap(*wp16) < len(pad) {
			*wp16 = make([]uint16, len(pad))
		}
		wide := (*wp16)[:len(pad)]
		qWiden(qk, pad, wide)
		abase, esz = unsafe.Pointer(&wide[0]), 2
	}
	taps := p.KH * p.KW
	toff := make([]int, taps)
	for i := 0; i < p.KH; i++ {
		for j := 0; j < p.KW; j++ {
			toff[i*p.KW+j] = (i*p.DilationH*wp + j*p.DilationW) * c
		}
	}
	corrp := qInt32Pool.Get().(*[]int32)
	defer qInt32Pool.Put(corrp)
	corr := qk.corrections(*corrp, xZero, w)
	*corrp = corr
	o := qOutput{u8: y, ld: n, ep: ep, q: ep.params(), resLd: n}
	segs, colBlocks := ceilDiv(ow, qMC), ceilDiv(n, qNC)
	tasks := p.N * oh * segs * colBlocks
	panelBytes := qk.nr * w.kp * qk.wbytes
	lda := p.StrideW * c
	run := func(task int) {
		cblk, rest := task%colBlocks, task/colBlocks
		seg, r := rest%segs, rest/segs
		b, oy := r/oh, r%oh
		x0 := seg * qMC
		rows := min(qMC, ow-x0)
		j0 := cblk * qNC
		j1 := min(j0+qNC, n)
		cb := roundUp(j1-j0, qk.nr)
		accp := qInt32Pool.Get().(*[]int32)
		defer qInt32Pool.Put(accp)
		acc := growInt32(*accp, rows*cb)
		*accp = acc
		base := ((b*hp+oy*p.StrideH)*wp + x0*p.StrideW) * c
		for t := 0; t < taps; t++ {
			for pc := 0; pc < c; pc += qKC {
				kc := min(qKC, c-pc)
				a := base + toff[t] + pc
				for jr := j0; jr < j1; jr += qk.nr {
					wb := &w.packed[jr/qk.nr*panelBytes+(t*c+pc)*qk.nr*qk.wbytes]
					for ir := 0; ir < rows; ir += qk.mr {
						qk.dot(min(qk.mr, rows-ir), kc, (*uint8)(unsafe.Add(abase, (a+ir*lda)*esz)), lda*esz, wb, &acc[ir*cb+jr-j0], cb, t > 0 || pc > 0)
					}
				}
			}
		}
		qk.finishBlock(acc, rows, cb, r*ow+x0, j0, j1, corr, &o)
	}
	t := Threads()
	if m := p.N * oh * ow; m*n*taps*c < 1<<16 {
		t = 1
	}
	if t == 1 {
		for i := 0; i < tasks; i++ {
			run(i)
		}
		return
	}
	parallelN(tasks, t, run)
}

// qIm2col writes the windows of output pixels r0..r0+rows-1 to buf, one row
// of ld bytes each (KH*KW*C gathered values, padding positions as zero, then
// zeros), split over the threads.
func qIm2col(p ConvParams, x []uint8, zero uint8, buf []uint8, ld, r0, rows int) {
	oh, ow := p.OutH(), p.OutW()
	k := p.KH * p.KW * p.C
	t := Threads()
	if rows*k < 1<<16 {
		t = 1
	}
	parts := spanCount(rows, t, 1)
	run := func(part int) {
		s := spanOf(rows, parts, 1, part)
		// Runs of pixels within one output row.
		for r := s.lo; r < s.hi; {
			pix := r0 + r
			n, rem := pix/(oh*ow), pix%(oh*ow)
			oy, ox := rem/ow, rem%ow
			cnt := min(ow-ox, s.hi-r)
			qIm2colRun(&p, x, zero, buf[r*ld:(r+cnt)*ld], ld, k, n, oy, ox, cnt)
			r += cnt
		}
	}
	if parts == 1 {
		run(0)
		return
	}
	parallelN(parts, t, run)
}

// qIm2colRun writes the windows of cnt output pixels of row oy of image n,
// from column ox0, to buf (rows of ld bytes: k values, then zeros): kernel
// row by kernel row, so that the inner loop moves one run of KW*C bytes a
// pixel.
func qIm2colRun(p *ConvParams, x []uint8, zero uint8, buf []uint8, ld, k, n, oy, ox0, cnt int) {
	for r := 0; r < cnt; r++ {
		tail := buf[r*ld+k : (r+1)*ld]
		if len(tail) <= 16 {
			for i := range tail { // a few bytes: cheaper than a call to memclr
				tail[i] = 0
			}
		} else {
			clear(tail)
		}
	}
	span := p.KW * p.C
	// A first layer's kernel row is a few bytes (3x3 of 3 channels: 9):
	// two overlapping 8-byte moves copy it without a call to memmove.
	short := span >= 8 && span <= 16
	iy0 := oy*p.StrideH - p.PadTop
	if short && p.DilationW == 1 && iy0 >= 0 && iy0+(p.KH-1)*p.DilationH < p.H {
		// Every kernel row inside the image: the pixels whose columns are
		// too go through the unchecked loop, the others the general one.
		lo, hi := ox0, ox0+cnt
		for lo < hi && lo*p.StrideW-p.PadLeft < 0 {
			lo++
		}
		for hi > lo && (hi-1)*p.StrideW-p.PadLeft+p.KW > p.W {
			hi--
		}
		if lo < hi {
			qIm2colShort(p, x, buf[(lo-ox0)*ld:(hi-ox0)*ld], ld, n, iy0, lo, hi-lo)
			qIm2colRows(p, x, zero, buf, ld, n, oy, ox0, lo-ox0, span)
			qIm2colRows(p, x, zero, buf[(hi-ox0)*ld:], ld, n, oy, hi, ox0+cnt-hi, span)
			return
		}
	}
	qIm2colRows(p, x, zero, buf, ld, n, oy, ox0, cnt, span)
}

// qIm2colShort copies the windows of cnt pixels from column ox0, inside the
// image, whose kernel rows are short runs (8 to 16 bytes), without bounds
// checks: the caller has checked that every byte read is in x and every
// byte written in buf.
func qIm2colShort(p *ConvParams, x []uint8, buf []uint8, ld, n, iy0, ox0, cnt int) {
	span := p.KW * p.C
	rowStride := p.DilationH * p.W * p.C
	src := unsafe.Pointer(&x[((n*p.H+iy0)*p.W+ox0*p.StrideW-p.PadLeft)*p.C])
	dst := unsafe.Pointer(&buf[0])
	step := p.StrideW * p.C
	for range cnt {
		s, d := src, dst
		for range p.KH {
			moveShort(d, s, span)
			s, d = unsafe.Add(s, rowStride), unsafe.Add(d, span)
		}
		src, dst = unsafe.Add(src, step), unsafe.Add(dst, ld)
	}
}

// moveShort copies n bytes, 8 <= n <= 16, from src to dst as two
// overlapping 8-byte moves (no call to memmove).
func moveShort(dst, src unsafe.Pointer, n int) {
	*(*uint64)(dst) = *(*uint64)(src)
	*(*uint64)(unsafe.Add(dst, n-8)) = *(*uint64)(unsafe.Add(src, n-8))
}

// qIm2colRows is qIm2colRun's general case, without the tails.
func qIm2colRows(p *ConvParams, x []uint8, zero uint8, buf []uint8, ld, n, oy, ox0, cnt, span int) {
	short := span >= 8 && span <= 16
	for i := 0; i < p.KH; i++ {
		iy := oy*p.StrideH - p.PadTop + i*p.DilationH
		o := i * span
		if iy < 0 || iy >= p.H {
			for r := 0; r < cnt; r++ {
				d := buf[r*ld+o : r*ld+o+span]
				for c := range d {
					d[c] = zero
				}
			}
			continue
		}
		row := x[(n*p.H+iy)*p.W*p.C : (n*p.H+iy+1)*p.W*p.C]
		for r := 0; r < cnt; r++ {
			ox := ox0 + r
			d := buf[r*ld+o : r*ld+o+span]
			ix0 := ox*p.StrideW - p.PadLeft
			if p.DilationW == 1 && ix0 >= 0 && ix0+p.KW <= p.W {
				// Inside the image, undilated: one run of KW*C bytes.
				src := row[ix0*p.C : ix0*p.C+span]
				if short {
					moveShort(unsafe.Pointer(&d[0]), unsafe.Pointer(&src[0]), span)
				} else {
					copy(d, src)
				}
				continue
			}
			for j := 0; j < p.KW; j++ {
				ix := ix0 + j*p.DilationW
				dst := d[j*p.C : (j+1)*p.C]
				if ix < 0 || ix >= p.W {
					for c := range dst {
						dst[c] = zero
					}
				} else {
					copy(dst, row[ix*p.C:])
				}
			}
		}
	}
}

// QDepthwiseWeights are int8 depthwise weights (KH, KW, C, Multiplier) as
// Keras stores depthwise_kernel, quantized per output channel.
type QDepthwiseWeights struct {
	kh, kw, c, mult int
	w               []int8  // (KH*KW) x (C*Multiplier), the Keras layout
	w32             []int32 // the same, widened, for the row kernels (amd64)
	w16             []int16 // and to int16 (arm64)
	sum             []int32 // per output channel, the sum over the taps
}

// PackQDepthwise copies depthwise weights w, (kh, kw, c, mult) in Keras'
// layout, for QDepthwise.
func PackQDepthwise(kh, kw, c, mult int, w []int8) *QDepthwiseWeights {
	mult = max(mult, 1)
	if kh < 1 || kw < 1 || c < 1 || len(w) < kh*kw*c*mult {
		panic(fmt.Sprintf("kernels: PackQDepthwise: %d weights for %dx%dx%dx%d", len(w), kh, kw, c, mult))
	}
	qw := &QDepthwiseWeights{kh: kh, kw: kw, c: c, mult: mult, w: append([]int8(nil), w[:kh*kw*c*mult]...),
		w32: make([]int32, kh*kw*c*mult), w16: make([]int16, kh*kw*c*mult), sum: make([]int32, c*mult)}
	for i, v := range qw.w {
		qw.w32[i], qw.w16[i] = int32(v), int16(v)
		qw.sum[i%(c*mult)] += int32(v)
	}
	return qw
}

// QDepthwise is DepthwiseConv2D on uint8 activations (zero point xZero,
// padding counting as xZero) and int8 weights: y = the epilogue ep (per
// output channel, C*Multiplier of them) of the exact int32 sums. Any kernel
// size, stride and dilation. ep.Residual, if set, is NHWC like y. y must not
// overlap x.
func QDepthwise(p DepthwiseParams, x []uint8, xZero int32, w *QDepthwiseWeights, ep *QEpilogue, y []uint8) {
	p = p.norm("QDepthwise")
	if w == nil || w.kh != p.KH || w.kw != p.KW || w.c != p.C || w.mult != p.Multiplier {
		panic(fmt.Sprintf("kernels: QDepthwise: weights do not match %dx%dx%dx%d", p.KH, p.KW, p.C, p.Multiplier))
	}
	if xZero < 0 || xZero > 255 {
		panic(fmt.Sprintf("kernels: QDepthwise: input zero point %d outside 0..255", xZero))
	}
	oh, ow, oc := p.OutH(), p.OutW(), p.OutC()
	m := p.N * oh * ow
	checkBytes("QDepthwise", "x", x, 1, p.N*p.H*p.W*p.C, p.N*p.H*p.W*p.C)
	checkBytes("QDepthwise", "y", y, 1, m*oc, m*oc)
	ep.check("QDepthwise", m, oc)
	if ep.ResStride != 0 && ep.ResStride != oc {
		panic(fmt.Sprintf("kernels: QDepthwise: residual stride %d, want %d", ep.ResStride, oc))
	}
	raceReadBytes(x, ep.Residual)
	raceWriteBytes(y)
	if m == 0 {
		return
	}
	o := qOutput{u8: y, ld: oc, ep: ep, q: ep.params(), resLd: oc}
	if k := active.qdepthwise; k != nil && p.Multiplier == 1 && p.C%k.lanes == 0 {
		k.run(p, x, xZero, w, &o)
		return
	}
	rows := p.N * oh
	t := Threads()
	if m*oc*p.KH*p.KW < 1<<16 {
		t = 1
	}
	parts := spanCount(rows, t, 1)
	run := func(part int) {
		s := spanOf(rows, parts, 1, part)
		accp := qInt32Pool.Get().(*[]int32)
		defer qInt32Pool.Put(accp)
		acc := growInt32(*accp, oc)
		*accp = acc
		for r := s.lo; r < s.hi; r++ {
			n, oy := r/oh, r%oh
			for ox := 0; ox < ow; ox++ {
				qDepthwisePixelGo(p, x, xZero, w, n, oy, ox, acc)
				o.finish(r*ow+ox, 0, acc)
			}
		}
	}
	if parts == 1 {
		run(0)
		return
	}
	parallelN(parts, t, run)
}

// qdwKernels is a table's int8 depthwise kernel. fused computes the
// pixels of an output row on a padded input and writes them requantized
// (the assembly's signature is in the generated stub: qdwRows512);
// without it, rows16 computes the exact sums of a row (on the int16
// weights) and requant the epilogue of each pixel.
type qdwKernels struct {
	lanes   int
	fused   func(count int, x *uint8, xstep int, offs *int, taps int, w *int32, c int, corr *int32, scale, bias *float32, res *uint8, q *float32, out *uint8, flags int)
	rows16  func(count int, x *uint8, xstep int, offs *int, taps int, w *int16, c int, acc *int32)
	requant func(n int, acc, corr *int32, scale, bias *float32, res *uint8, q *qParams, out *uint8, flags int)
}

// qdwRow is one output row's work for a qdwKernels: its sums, and where
// the epilogue's per-channel values are.
type qdwRow struct {
	k     *qdwKernels
	w     *QDepthwiseWeights
	c     int
	corr  []int32   // per channel (fused) or repeated per pixel of a row
	scale []float32 // likewise
	bias  *float32  // likewise (any valid pointer without qHasBias)
	q     *qParams
	flags int
}

// pixels computes count pixels (windows at x, xstep bytes apart; the taps
// at offs) into output pixel px0 of row out (residual row res, or nil):
// fused, at once; else their sums into acc, requantized with the row.
func (d *qdwRow) pixels(count int, x *uint8, xstep int, offs []int, px0 int, acc []int32, out, res []uint8) {
	if d.k.fused == nil {
		d.k.rows16(count, x, xstep, &offs[0], len(offs), &d.w.w16[0], d.c, &acc[px0*d.c])
		return
	}
	var r *uint8
	if res != nil {
		r = &res[px0*d.c]
	}
	d.k.fused(count, x, xstep, &offs[0], len(offs), &d.w.w32[0], d.c, &d.corr[0], &d.scale[0], d.bias, r,
		(*float32)(unsafe.Pointer(d.q)), &out[px0*d.c], d.flags)
}

// finish requantizes a row's sums, unless the kernel did.
func (d *qdwRow) finish(acc []int32, out, res []uint8) {
	if d.k.fused != nil {
		return
	}
	var r *uint8
	if res != nil {
		r = &res[0]
	}
	d.k.requant(len(out), &acc[0], &d.corr[0], &d.scale[0], d.bias, r, d.q, &out[0], d.flags)
}

// run reads the windows inside the image in place and copies those that
// overlap the padding into a small patch filled with the zero point, so that
// every tap is real and the correction is xZero times the full sum of the
// channel's taps; then the epilogue of each pixel. Output rows are split
// over the threads.
func (k *qdwKernels) run(p DepthwiseParams, x []uint8, xZero int32, w *QDepthwiseWeights, o *qOutput) {
	oh, ow, c := p.OutH(), p.OutW(), p.C
	taps := p.KH * p.KW
	offsIn := make([]int, taps)
	for i := 0; i < p.KH; i++ {
		for j := 0; j < p.KW; j++ {
			offsIn[i*p.KW+j] = (i*p.DilationH*p.W + j*p.DilationW) * c
		}
	}
	// The epilogue's per-channel values: once for the fused kernel, else
	// repeated for each pixel of a row (requant runs over whole rows).
	reps := ow
	if k.fused != nil {
		reps = 1
	}
	cp, fp := qInt32Pool.Get().(*[]int32), qFloatPool.Get().(*[]float32)
	defer qInt32Pool.Put(cp)
	defer qFloatPool.Put(fp)
	corr := growInt32(*cp, reps*c)
	*cp = corr
	rep := grow(*fp, 2*reps*c)
	*fp = rep
	d := qdwRow{k: k, w: w, c: c, corr: corr, scale: rep[:reps*c], q: &o.q}
	var bias []float32 // repeated as scale is
	if o.ep.Bias != nil {
		bias = rep[reps*c:]
		d.flags |= qHasBias
	}
	if o.ep.Residual != nil {
		d.flags |= qHasRes
	}
	for ch := range c {
		corr[ch] = xZero * w.sum[ch]
	}
	copy(d.scale, o.ep.Scale[:c])
	if bias != nil {
		copy(bias, o.ep.Bias[:c])
	}
	for px := 1; px < reps; px++ {
		copy(corr[px*c:(px+1)*c], corr[:c])
		copy(d.scale[px*c:(px+1)*c], d.scale[:c])
		if bias != nil {
			copy(bias[px*c:(px+1)*c], bias[:c])
		}
	}
	d.bias = &d.scale[0]
	if bias != nil {
		d.bias = &bias[0]
	}
	// Output pixels whose windows lie inside the image: [y0, y1) x [x0, x1).
	inside := func(pad, in, k, d, s, out int) (lo, hi int) {
		lo = min(ceilDiv(pad, s), out)
		last := in - 1 - (k-1)*d + pad // the window's origin, padded, at most this
		hi = 0
		if last >= 0 {
			hi = min(last/s+1, out)
		}
		return lo, max(hi, lo)
	}
	y0, y1 := inside(p.PadTop, p.H, p.KH, p.DilationH, p.StrideH, oh)
	x0, x1 := inside(p.PadLeft, p.W, p.KW, p.DilationW, p.StrideW, ow)
	ep := o.ep
	t := Threads()
	if oh*ow*c*taps < 1<<16 {
		t = 1
	}
	rows := p.N * oh
	parts := spanCount(rows, t, 1)
	run := func(part int) {
		s := spanOf(rows, parts, 1, part)
		accp := qInt32Pool.Get().(*[]int32) // the row's sums, unless fused
		defer qInt32Pool.Put(accp)
		acc := growInt32(*accp, ow*c)
		*accp = acc
		pp := qBytePool.Get().(*[]byte)
		defer qBytePool.Put(pp)
		zeros := growBytes(*pp, c) // c zero points: the padding taps read these
		*pp = zeros
		for q := range zeros {
			zeros[q] = uint8(xZero)
		}
		var offsB [64]int
		for r := s.lo; r < s.hi; r++ {
			n, oy := r/oh, r%oh
			img := x[n*p.H*p.W*c : (n+1)*p.H*p.W*c]
			out := o.u8[r*ow*c : (r+1)*ow*c]
			var res []uint8
			if ep.Residual != nil {
				res = ep.Residual[r*ow*c : (r+1)*ow*c]
			}
			lo, hi := x0, x1
			if oy < y0 || oy >= y1 {
				lo, hi = 0, 0
			}
			if lo < hi {
				origin := ((oy*p.StrideH-p.PadTop)*p.W + lo*p.StrideW - p.PadLeft) * c
				d.pixels(hi-lo, &img[origin], p.StrideW*c, offsIn, lo, acc, out, res)
			}
			// A window overlapping the padding: its taps' offsets from the
			// image, those in the padding pointing at the zero points
			// instead. (Both are live Go objects, and no call comes
			// between taking the addresses and the kernel reading them: a
			// heap object never moves, a stack only at a call.)
			for ox := 0; ox < ow; ox++ {
				if ox == lo && lo < hi {
					ox = hi - 1
					continue
				}
				if taps > len(offsB) {
					qDepthwisePixelGo(p, x, xZero, w, n, oy, ox, acc[ox*c:(ox+1)*c])
					if k.fused != nil {
						o.finish(r*ow+ox, 0, acc[ox*c:(ox+1)*c])
						continue
					}
					for ch := range c {
						acc[ox*c+ch] += xZero * w.sum[ch] // the kernels' sums leave the correction to the epilogue
					}
					continue
				}
				base := uintptr(unsafe.Pointer(&img[0]))
				zoff := int(uintptr(unsafe.Pointer(&zeros[0])) - base)
				for i := 0; i < p.KH; i++ {
					iy := oy*p.StrideH - p.PadTop + i*p.DilationH
					for j := 0; j < p.KW; j++ {
						ix := ox*p.StrideW - p.PadLeft + j*p.DilationW
						if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
							offsB[i*p.KW+j] = zoff
						} else {
							offsB[i*p.KW+j] = (iy*p.W + ix) * c
						}
					}
				}
				d.pixels(1, &img[0], 0, offsB[:taps], ox, acc, out, res)
			}
			d.finish(acc, out, res)
		}
	}
	if parts == 1 {
		run(0)
		return
	}
	parallelN(parts, t, run)
}

// qDepthwisePixelGo sets acc to the exact sums of output pixel (n, oy, ox).
func qDepthwisePixelGo(p DepthwiseParams, x []uint8, xZero int32, w *QDepthwiseWeights, n, oy, ox int, acc []int32) {
	clear(acc)
	oc, mult := p.C*p.Multiplier, p.Multiplier
	for i := 0; i < p.KH; i++ {
		iy := oy*p.StrideH - p.PadTop + i*p.DilationH
		if iy < 0 || iy >= p.H {
			continue
		}
		for j := 0; j < p.KW; j++ {
			ix := ox*p.StrideW - p.PadLeft + j*p.DilationW
			if ix < 0 || ix >= p.W {
				continue
			}
			xs := x[((n*p.H+iy)*p.W+ix)*p.C:][:p.C]
			ws := w.w[(i*p.KW+j)*oc:][:oc]
			if mult == 1 {
				for c, v := range xs {
					acc[c] += (int32(v) - xZero) * int32(ws[c])
				}
				continue
			}
			for c, v := range xs {
				xv := int32(v) - xZero
				for q := 0; q < mult; q++ {
					acc[c*mult+q] += xv * int32(ws[c*mult+q])
				}
			}
		}
	}
}

// QMaxPool2D is MaxPool2D on uint8 values (the scale and zero point carry
// over): the maximum of each window's real elements, xZero (real 0) for a
// window that holds none.
func QMaxPool2D(p PoolParams, x []uint8, xZero int32, y []uint8) {
	p = p.qnorm("QMaxPool2D", x, y)
	raceReadBytes(x)
	raceWriteBytes(y)
	oh, ow := p.OutH(), p.OutW()
	vec := active.qmaxRows
	cv := 0
	if vec != nil {
		cv = p.C / 16 * 16
	}
	rows := p.N * oh
	t := Threads()
	if rows*ow*p.C*p.KH*p.KW < 1<<16 {
		t = 1
	}
	parts := spanCount(rows, t, 1)
	run := func(part int) {
		s := spanOf(rows, parts, 1, part)
		var ptrs [64]*uint8
		for rr := s.lo; rr < s.hi; rr++ {
			n, r := rr/oh, rr%oh
			for c := 0; c < ow; c++ {
				out := y[((n*oh+r)*ow+c)*p.C:][:p.C]
				h0, h1, w0, w1 := p.window(r, c)
				if h0 >= h1 || w0 >= w1 {
					for i := range out {
						out[i] = uint8(xZero)
					}
					continue
				}
				start := 0
				if cells := (h1 - h0) * (w1 - w0); cv > 0 && cells <= len(ptrs) {
					k := 0
					for ih := h0; ih < h1; ih++ {
						for iw := w0; iw < w1; iw++ {
							ptrs[k] = &x[((n*p.H+ih)*p.W+iw)*p.C]
							k++
						}
					}
					vec(&ptrs[0], k, cv, &out[0])
					start = cv
				}
				if start == p.C {
					continue
				}
				copy(out[start:], x[((n*p.H+h0)*p.W+w0)*p.C+start:][:p.C-start])
				for ih := h0; ih < h1; ih++ {
					for iw := w0; iw < w1; iw++ {
						for i, v := range x[((n*p.H+ih)*p.W+iw)*p.C+start:][:p.C-start] {
							out[start+i] = max(out[start+i], v)
						}
					}
				}
			}
		}
	}
	if parts == 1 {
		run(0)
		return
	}
	parallelN(parts, t, run)
}

// QAvgPool2D is AvgPool2D on uint8 values: for each window, with sum the
// int32 sum of x - xZero over its real elements (Keras' `same` average
// pooling divides by their count, not by the window's size),
//
//	t := float32(sum) * float32(scale / float32(count))
//	y = RoundToEven(t) + yZero, clamped to 0..255 (yZero for an empty window)
//
// scale is s_x/s_y.
func QAvgPool2D(p PoolParams, x []uint8, xZero int32, scale float32, yZero int32, y []uint8) {
	p = p.qnorm("QAvgPool2D", x, y)
	qZeros("QAvgPool2D", xZero, yZero)
	raceReadBytes(x)
	raceWriteBytes(y)
	q := qParams{lo: float32(-yZero), hi: float32(255 - yZero), outZero: yZero}
	oh, ow := p.OutH(), p.OutW()
	acc := make([]int32, p.C)
	for n := 0; n < p.N; n++ {
		for r := 0; r < oh; r++ {
			for c := 0; c < ow; c++ {
				out := y[((n*oh+r)*ow+c)*p.C:][:p.C]
				h0, h1, w0, w1 := p.window(r, c)
				count := max(h1-h0, 0) * max(w1-w0, 0)
				if count == 0 {
					for i := range out {
						out[i] = uint8(yZero)
					}
					continue
				}
				clear(acc)
				for ih := h0; ih < h1; ih++ {
					for iw := w0; iw < w1; iw++ {
						for i, v := range x[((n*p.H+ih)*p.W+iw)*p.C:][:p.C] {
							acc[i] += int32(v)
						}
					}
				}
				f := float32(scale / float32(count))
				corr := int32(count) * xZero
				for i, a := range acc {
					out[i] = q.round(float32(float32(a-corr) * f))
				}
			}
		}
	}
}

// QGlobalAvgPool is GlobalAvgPool on uint8 values, x (n, hw, c) to y (n, c):
// t := float32(sum) * float32(scale / float32(hw)), sum the int32 sum of
// x - xZero over the hw pixels, y = RoundToEven(t) + yZero clamped to 0..255.
// scale is s_x/s_y.
func QGlobalAvgPool(n, hw, c int, x []uint8, xZero int32, scale float32, yZero int32, y []uint8) {
	qZeros("QGlobalAvgPool", xZero, yZero)
	checkBytes("QGlobalAvgPool", "x", x, n*hw, c, c)
	checkBytes("QGlobalAvgPool", "y", y, n, c, c)
	raceReadBytes(x)
	raceWriteBytes(y)
	q := qParams{lo: float32(-yZero), hi: float32(255 - yZero), outZero: yZero}
	qGlobalSums(n, hw, c, x, xZero, func(b int, acc []int32) {
		f := float32(scale / float32(hw))
		for i, a := range acc {
			y[b*c+i] = q.round(float32(float32(a) * f))
		}
	})
}

// QGlobalAvgPoolFloat is QGlobalAvgPool giving float32, for a float32
// classifier head: y = float32(sum) * float32(scale / float32(hw)), scale s_x.
func QGlobalAvgPoolFloat(n, hw, c int, x []uint8, xZero int32, scale float32, y []float32) {
	qZeros("QGlobalAvgPoolFloat", xZero, 0)
	checkBytes("QGlobalAvgPoolFloat", "x", x, n*hw, c, c)
	checkLen("QGlobalAvgPoolFloat", "y", y, n*c)
	raceReadBytes(x)
	raceWrite(y)
	qGlobalSums(n, hw, c, x, xZero, func(b int, acc []int32) {
		f := float32(scale / float32(hw))
		for i, a := range acc {
			y[b*c+i] = float32(float32(a) * f)
		}
	})
}

// qGlobalSums calls fn with the sums of x - xZero over each image's pixels.
func qGlobalSums(n, hw, c int, x []uint8, xZero int32, fn func(b int, acc []int32)) {
	acc := make([]int32, c)
	for b := 0; b < n; b++ {
		clear(acc)
		for p := 0; p < hw; p++ {
			for i, v := range x[(b*hw+p)*c:][:c] {
				acc[i] += int32(v)
			}
		}
		corr := int32(hw) * xZero
		for i := range acc {
			acc[i] -= corr
		}
		fn(b, acc)
	}
}

func qZeros(op string, zs ...int32) {
	for _, z := range zs {
		if z < 0 || z > 255 {
			panic(fmt.Sprintf("kernels: %s: zero point %d outside 0..255", op, z))
		}
	}
}

func (p PoolParams) qnorm(op string, x, y []uint8) PoolParams {
	p.StrideH, p.StrideW = max(p.StrideH, 1), max(p.StrideW, 1)
	if p.N < 0 || p.H < 0 || p.W < 0 || p.C < 1 || p.KH < 1 || p.KW < 1 ||
		p.PadTop < 0 || p.PadBottom < 0 || p.PadLeft < 0 || p.PadRight < 0 {
		panic(fmt.Sprintf("kernels: %s: bad parameters %+v", op, p))
	}
	in, out := p.N*p.H*p.W*p.C, p.N*p.OutH()*p.OutW()*p.C
	checkBytes(op, "input", x, 1, in, in)
	checkBytes(op, "output", y, 1, out, out)
	return p
}

// QuantizeU8 sets y = RoundToEven(x / scale) + zero, clamped to 0..255 (NaN
// giving 0): float32 activations to uint8 of the given scale and zero point.
func QuantizeU8(x []float32, scale float32, zero int32, y []uint8) {
	qZeros("QuantizeU8", zero)
	if len(y) < len(x) {
		panic(fmt.Sprintf("kernels: QuantizeU8: y has %d elements, needs %d", len(y), len(x)))
	}
	q := qParams{lo: float32(-zero), hi: float32(255 - zero), outZero: zero}
	raceRead(x)
	raceWriteBytes(y)
	nv := 0
	if k := active.qquantize; k != nil {
		if nv = len(x) / 16 * 16; nv > 0 {
			k(nv, &x[0], (*float32)(unsafe.Pointer(&q)), scale, &y[0])
		}
	}
	for i, v := range x[nv:] {
		y[nv+i] = q.round(float32(v / scale))
	}
}

// DequantizeU8 sets y = float32(x - zero) * scale.
func DequantizeU8(x []uint8, scale float32, zero int32, y []float32) {
	checkLen("DequantizeU8", "y", y, len(x))
	for i, v := range x {
		y[i] = float32(float32(int32(v)-zero) * scale)
	}
}

// QuantizeWeights quantizes w (k x n row-major float32, a flattened HWIO
// kernel) symmetrically per column: scale[j] = max |w[:, j]| / 127 (1 for an
// all-zero column), q = RoundToEven(w / scale[j]) in -127..127.
func QuantizeWeights(w []float32, k, n int) (q []int8, scale []float32) {
	return QuantizeWeightsTo(w, k, n, 127)
}

// QuantizeWeightsTo is QuantizeWeights onto -qmax..qmax (1 to 127): 63 is
// ONNX Runtime's reduce_range, seven bits, whose products pair without
// saturating VPMADDUBSW's int16 sums, so that CPUs without dot-product
// instructions (AVX2) run the faster int8 kernel exactly (QWeights).
func QuantizeWeightsTo(w []float32, k, n, qmax int) (q []int8, scale []float32) {
	checkLen("QuantizeWeights", "w", w, k*n)
	if qmax < 1 || qmax > 127 {
		panic(fmt.Sprintf("kernels: QuantizeWeights: range %d outside 1..127", qmax))
	}
	scale = make([]float32, n)
	for p := 0; p < k; p++ {
		for j, v := range w[p*n : p*n+n] {
			scale[j] = max(scale[j], float32(math.Abs(float64(v))))
		}
	}
	for j := range scale {
		if scale[j] == 0 {
			scale[j] = 1
		} else {
			scale[j] /= float32(qmax)
		}
	}
	q = make([]int8, k*n)
	lim := float64(qmax)
	for p := 0; p < k; p++ {
		for j, v := range w[p*n : p*n+n] {
			r := math.RoundToEven(float64(v / scale[j]))
			q[p*n+j] = int8(min(max(r, -lim), lim))
		}
	}
	return q, scale
}
