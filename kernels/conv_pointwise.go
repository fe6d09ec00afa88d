package kernels

import (
	"fmt"
	"unsafe"
)

// The pointwise path: a 1x1 convolution at stride 1 without padding is the
// GEMM Y (M x OutC) = X (M x C) * W (C x OutC) with X the NHWC input read in
// place, M = N*H*W pixels. Pixel m's operand is x[m*C:], so a strip of mr
// consecutive pixels is one pointer and a row stride of C floats: the strided
// conv micro-kernels run it with no pointer table (the indirect path builds
// one per pixel and reduction block). Bias, activation and a residual (a
// tensor added before the activation, prefilled into the output and
// accumulated into) are the micro-kernel's epilogue. Strips past the last
// full one and channel panels past OutC go through a small buffer.

// pwKernel is the micro-kernel of the pointwise path: an mr x nr tile of
// strided rows, one segment per call.
type pwKernel struct {
	mr, nr int
	fn     func(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32, rs int)
}

// pwForce, when set, overrides the kernel choice (tests).
var pwForce *pwKernel

// pwKernels returns the strided kernels the pointwise path may use for c
// input and oc output channels, tallest first: those of the active conv
// kernel, or for one without strided kernels a twin that expands a strip
// into row pointers. Output channels that fill no 32-wide tile but a 16-wide
// one (16, 48) take the 16-wide AVX2 kernel. Rows 2 KiB apart or a multiple
// of it (c a multiple of 512) fall in one or two L1 sets per line: 14 of
// them and the weight sliver (8 lines per set) would exceed its 12 ways, so
// the taller kernels are left out then (measured, best of 3 at 1 thread: 8
// rows beat 14 by 15% at 1024 and 2048 channels, tie at 512; 14 rows win
// elsewhere, and the path beats the indirect one and SgemmPacked plus a bias
// pass on every MobileNetV2 shape: BenchmarkPointwise).
func pwKernels(c, oc int) []pwKernel {
	if pwForce != nil {
		return []pwKernel{*pwForce}
	}
	uk := active.conv
	if n := active.conv16; n != nil && oc%32 != 0 && oc%16 == 0 && oc <= 48 && len(n.strided) > 0 {
		uk = *n
	}
	var ks []pwKernel
	for _, sk := range uk.strided {
		if sk.mr > 8 && c%512 == 0 {
			continue
		}
		ks = append(ks, pwKernel{sk.mr, uk.nr, sk.fn})
	}
	if len(ks) == 0 {
		ks = append(ks, pwRowsKernel(uk))
	}
	return ks
}

// pwRowsKernel runs uk's row-pointer kernel (or its Go twin) on a strip of
// strided rows, one segment.
func pwRowsKernel(uk convKernelSpec) pwKernel {
	mr, nr := uk.mr, uk.nr
	return pwKernel{mr, nr, func(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32, rs int) {
		if nseg != 1 {
			panic("kernels: pointwise twin takes one segment")
		}
		var tab [maxConvMR]*float32
		for i := 0; i < mr; i++ {
			tab[i] = (*float32)(unsafe.Add(unsafe.Pointer(*a), i*rs*4))
		}
		if uk.asm != nil {
			uk.asm(1, seglen, &tab[0], b, ldb, c, ldc, flags, bias)
			return
		}
		bs := unsafe.Slice(b, max(seglen-1, 0)*ldb+nr)
		cs := unsafe.Slice(c, (mr-1)*ldc+nr)
		convKernelGeneric(mr, nr, 1, seglen, tab[:mr], bs, ldb, cs, ldc, flags, bias)
	}}
}

// pointwiseOK says whether p is a 1x1 convolution at stride 1 without
// padding (dilation does not matter then).
func pointwiseOK(p ConvParams) bool {
	return p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 &&
		p.PadTop == 0 && p.PadBottom == 0 && p.PadLeft == 0 && p.PadRight == 0
}

// Conv2DPackedAdd is Conv2DPacked with a residual: y = act(conv(x, w) + bias
// + res), res (N, OutH, OutW, OutC) or nil. y may be res itself (the same
// slice), but must not overlap x. A 1x1 convolution at stride 1 without
// padding adds res in the micro-kernel's epilogue; other convolutions add it
// in a second pass.
func Conv2DPackedAdd(p ConvParams, x []float32, pw *PackedConv, bias, res []float32, act Activation, y []float32) {
	raceRead(x, bias, res)
	raceWrite(y)
	if res == nil {
		Conv2DPacked(p, x, pw, bias, act, y)
		return
	}
	p = p.norm()
	p.check("Conv2DPackedAdd")
	pw.check("Conv2DPackedAdd", p)
	size := p.N * p.OutH() * p.OutW() * p.OutC
	checkLen("Conv2DPackedAdd", "res", res, size)
	checkLen("Conv2DPackedAdd", "y", y, size)
	act, f := act.split()
	if pointwiseOK(p) {
		checkLen("Conv2DPackedAdd", "x", x, p.N*p.H*p.W*p.C)
		if bias != nil {
			checkLen("Conv2DPackedAdd", "bias", bias, p.OutC)
		}
		conv2DPointwise(p, x, convWeights{raw: pw.w, packed: pw.panels, nr: pw.nr}, bias, res, act, f, y)
		return
	}
	defer applyAfter(f, y[:size])
	if size > 0 && &res[0] == &y[0] {
		// y holds the residual: the convolution goes through a buffer.
		buf := floatPool.Get().(*[]float32)
		defer floatPool.Put(buf)
		*buf = grow(*buf, size)
		Conv2DPacked(p, x, pw, bias, ActNone, *buf)
		AddAct(res[:size], (*buf)[:size], act, y[:size])
		return
	}
	Conv2DPacked(p, x, pw, bias, ActNone, y)
	AddAct(y[:size], res[:size], act, y[:size])
}

// Conv2DAdd is Conv2DPackedAdd with the weights as given (HWIO), for
// weights that change from call to call (a squeeze-and-excitation gate
// folded into them).
func Conv2DAdd(p ConvParams, x, w, bias, res []float32, act Activation, y []float32) {
	raceRead(x, w, bias, res)
	raceWrite(y)
	if res == nil {
		Conv2D(p, x, w, bias, act, y)
		return
	}
	p = p.norm()
	p.check("Conv2DAdd")
	checkLen("Conv2DAdd", "w", w, p.KH*p.KW*p.C*p.OutC)
	size := p.N * p.OutH() * p.OutW() * p.OutC
	checkLen("Conv2DAdd", "res", res, size)
	if pointwiseOK(p) && checkConvOperands(p, x, bias, y) {
		act, f := act.split()
		conv2DPointwise(p, x, convWeights{raw: w}, bias, res, act, f, y)
		return
	}
	Conv2DPackedAdd(p, x, PackConvWeights(p, w), bias, res, act, y)
}

// pwOperands are a pointwise convolution's kernels, weights (panels or in
// place), bias padded to whole panels and epilogue flags.
type pwOperands struct {
	ks               []pwKernel
	wb               []float32
	ldb, panelStride int
	bias             []float32
	flagsLast, kLen  int
	panels           int
	packBuf          *[]float32
	sc               scratch
}

func newPWOperands(c, oc int, w convWeights, bias []float32, act Activation) pwOperands {
	o := pwOperands{ks: pwKernels(c, oc)}
	nr := o.ks[0].nr
	ocp := roundUp(oc, nr)
	o.panels = ocp / nr
	// Weights: prepacked panels, in place when OutC is a multiple of nr, else
	// packed now.
	o.ldb = oc
	switch {
	case w.packed != nil && w.nr == nr:
		o.wb, o.ldb, o.panelStride = w.packed, nr, c*nr
	case oc%nr == 0:
		o.wb = w.raw
	default:
		o.packBuf = floatPool.Get().(*[]float32)
		*o.packBuf = packPanels(w.raw, c, oc, nr, *o.packBuf)
		o.wb, o.ldb, o.panelStride = *o.packBuf, nr, c*nr
	}
	if bias != nil {
		if oc%nr == 0 {
			o.bias = bias[:oc]
		} else {
			o.sc.init(ocp, 0)
			o.bias = o.sc.f32(ocp)
			copy(o.bias, bias[:oc])
		}
		o.flagsLast |= convBias
	}
	switch act {
	case ActReLU:
		o.flagsLast |= convReLU
	case ActReLU6:
		o.flagsLast |= convReLU6
	}
	o.kLen = pwReductionBlock(c, nr)
	return o
}

// pwWholeReduction, when false, keeps the reduction in blocks of
// convKCTune channels whatever their number (tests and tuning).
var pwWholeReduction = true

// pwReductionBlock returns the input channels per reduction block. The whole
// reduction runs in one block when its weight sliver (c x nr floats) fills
// at most an eighth of L2 (2048 channels on 2 MiB, 512 on 512 KiB): each
// tile of the output is then written once, where blocks of convKCTune
// channels read and write it again per block, from L3 once the output
// outgrows L2 (Xception's 37x37x728 layers). The sliver then streams from
// L2 rather than L1, which the micro-kernel's loads absorb. Otherwise
// blocks of about convKCTune channels, as even as their count allows.
func pwReductionBlock(c, nr int) int {
	if pwWholeReduction && c*nr <= convL2Floats()/8 {
		return c
	}
	kb := (c + convKCTune - 1) / convKCTune
	return (c + kb - 1) / kb
}

func (o *pwOperands) free() {
	if o.packBuf != nil {
		floatPool.Put(o.packBuf)
	}
	o.sc.free()
}

// block computes pixels [m0, m1) x channel panels [q0, q1) of p.
func (o *pwOperands) block(p ConvParams, x, res []float32, sameRes bool, flagsLast int, y []float32, m0, m1, q0, q1 int) {
	pointwiseBlock(o.ks, p, x, o.wb, o.ldb, o.panelStride, o.bias, res, sameRes, flagsLast, o.kLen, y, m0, m1, q0, q1)
}

// Conv2DPackedPre is Conv2DPackedAdd for a 1x1 convolution at stride 1
// without padding whose input is pre(x): y = act(conv(pre(x), w) + bias +
// res) with pre(x)[r, c] = pre.Act(x[r*ldx+c]*pre.Scale[c] + pre.Shift[c])
// for the N*H*W pixels r, their rows ldx >= C values apart (the leading
// channels of a wider buffer: the shared buffer of a DenseNet block's
// concatenations). It computes an inference batch normalisation
// (BatchNormAffine) and the convolution that alone reads it without
// storing the normalised tensor: each task transforms just its block of
// pixels into a buffer in cache and convolves that, with the same bits as
// BatchNormInferenceStrided followed by Conv2DPackedAdd. bias and res may
// be nil; y may be res itself, but must not overlap x.
func Conv2DPackedPre(p ConvParams, x []float32, ldx int, pre PreAffine, pw *PackedConv, bias, res []float32, act Activation, y []float32) {
	raceRead(x, pre.Scale, pre.Shift, bias, res)
	raceWrite(y)
	p = p.norm()
	p.check("Conv2DPackedPre")
	pre.Act.flagsOnly("Conv2DPackedPre")
	if !pointwiseOK(p) {
		panic(fmt.Sprintf("kernels: Conv2DPackedPre: not a 1x1 convolution at stride 1 without padding: %+v", p))
	}
	pw.check("Conv2DPackedPre", p)
	if ldx < p.C {
		panic(fmt.Sprintf("kernels: Conv2DPackedPre: rows %d apart, fewer than %d channels", ldx, p.C))
	}
	checkLen("Conv2DPackedPre", "pre.Shift", pre.Shift, p.C)
	if pre.Scale != nil {
		checkLen("Conv2DPackedPre", "pre.Scale", pre.Scale, p.C)
	}
	m := p.N * p.H * p.W
	size := m * p.OutC
	checkLen("Conv2DPackedPre", "y", y, size)
	if res != nil {
		checkLen("Conv2DPackedPre", "res", res, size)
	}
	if bias != nil {
		checkLen("Conv2DPackedPre", "bias", bias, p.OutC)
	}
	if m == 0 {
		return
	}
	checkLen("Conv2DPackedPre", "x", x, (m-1)*ldx+p.C)
	act, f := act.split()
	conv2DPointwisePre(p, x, ldx, pre, convWeights{raw: pw.w, packed: pw.panels, nr: pw.nr}, bias, res, act, f, y)
}

// conv2DPointwise computes y = f(act(x*w + bias + res)) for a pointwise p
// (res may be nil, or y itself; f 0 for none, else applied to each task's
// block as soon as it is written).
func conv2DPointwise(p ConvParams, x []float32, w convWeights, bias, res []float32, act Activation, f Nonlinear, y []float32) {
	conv2DPointwisePre(p, x, p.C, PreAffine{}, w, bias, res, act, f, y)
}

// conv2DPointwisePre is conv2DPointwise on pre(x), x's rows ldx apart (pre
// without Shift: x itself, ldx p.C). Each task transforms the rows of its pixel block
// into a pooled buffer and runs the block on it; the tasks that split one
// pixel block's channel panels between them (nParts > 1: few pixels) each
// transform the block, which costs a sliver of the block's multiply-adds
// and needs no synchronisation.
func conv2DPointwisePre(p ConvParams, x []float32, ldx int, pre PreAffine, w convWeights, bias, res []float32, act Activation, f Nonlinear, y []float32) {
	m, c, oc := p.N*p.H*p.W, p.C, p.OutC
	if m == 0 {
		return
	}
	if m == 1 {
		if gv := pwGemvKernel(w); gv != nil {
			xv := x
			if pre.Shift != nil {
				buf := floatPool.Get().(*[]float32)
				defer floatPool.Put(buf)
				*buf = grow(*buf, c)
				xv = (*buf)[:c]
				scaleShiftSpan(x, ldx, pre.Scale, pre.Shift, pre.Act, xv, c, 0, 1)
			}
			pointwiseGemv(gv, c, oc, xv, w, bias, res, act, y)
			if f != 0 {
				active.nonlinear.fwd(f, y[:oc], y[:oc])
			}
			return
		}
	}
	o := newPWOperands(c, oc, w, bias, act)
	defer o.free()
	// Pixel blocks as in the indirect path: a block's operands for one
	// reduction block fill at most half of L2; at least one per thread.
	t := Threads()
	mcMax := max(convMC, min(convMaxMC, convL2Floats()/2/o.kLen))
	o.ks = pwPick(o.ks, m, mcMax, t)
	uk := o.ks[0]
	mr, nr := uk.mr, uk.nr
	mc, mTasks := pwBlocks(m, mcMax, t, mr)
	panels := o.panels
	nParts := 1
	if mTasks < 2*t && panels >= 2*t {
		nParts = 2 * t
	}
	// Outputs larger than the last-level cache are written with
	// non-temporal stores, as in the indirect path (whole tiles in place).
	flagsLast := o.flagsLast
	vb := uintptr(nr * 2)
	// (Not when f reads the block back.)
	stream := f == 0 && uk.fn != nil && m*oc*4 > convStreamMin() && oc%nr == 0 && uintptr(unsafe.Pointer(&y[0]))%vb == 0
	if stream {
		flagsLast |= convStream
	}
	sameRes := res != nil && &res[0] == &y[0]
	parallel(mTasks*nParts, func(task int) {
		mt, nt := task/nParts, task%nParts
		q0, q1 := panels*nt/nParts, panels*(nt+1)/nParts
		m0 := mt * mc
		m1 := min(m, m0+mc)
		if pre.Shift == nil {
			o.block(p, x, res, sameRes, flagsLast, y, m0, m1, q0, q1)
		} else {
			// The block's rows, transformed and contiguous; y and res
			// shifted so that the block indexes them from 0.
			buf := floatPool.Get().(*[]float32)
			*buf = grow(*buf, (m1-m0)*c)
			xt := (*buf)[:(m1-m0)*c]
			scaleShiftSpan(x[m0*ldx:], ldx, pre.Scale, pre.Shift, pre.Act, xt, c, 0, m1-m0)
			var rt []float32
			if res != nil {
				rt = res[m0*oc:]
			}
			o.block(p, xt, rt, sameRes, flagsLast, y[m0*oc:], 0, m1-m0, q0, q1)
			floatPool.Put(buf)
		}
		if stream {
			storeFence()
		}
		if f != 0 {
			if j0, j1 := q0*nr, min(oc, q1*nr); j0 == 0 && j1 == oc {
				active.nonlinear.fwd(f, y[m0*oc:m1*oc], y[m0*oc:m1*oc])
			} else {
				for r := m0; r < m1; r++ {
					active.nonlinear.fwd(f, y[r*oc+j0:r*oc+j1], y[r*oc+j0:r*oc+j1])
				}
			}
		}
	})
}

// pwBlocks returns the pixels per block and the blocks for m pixels, strips
// of mr.
func pwBlocks(m, mcMax, t, mr int) (mc, mTasks int) {
	mTasks = roundUp(max(t, (m+mcMax-1)/mcMax), t)
	mc = roundUp((m+mTasks-1)/mTasks, mr)
	return mc, (m + mc - 1) / mc
}

// pwPick returns the kernels from the one of ks (tallest first) whose strips
// compute the fewest rows over m pixels (each block's last strip by the
// shortest kernel that covers it), a shorter kernel only where it saves a
// sixteenth of them (its strips use each weight load for fewer rows): 49
// pixels (a 7x7 layer) take 7 strips of 7 rather than 6 of 8 and a tail of
// 7 (10-13% faster at 512 and 2048 channels, BenchmarkConv7Rows); 196 keep
// 24 strips of 8 and a tail of 7.
func pwPick(ks []pwKernel, m, mcMax, t int) []pwKernel {
	best, bestRows := 0, 0
	for i, k := range ks {
		mc, _ := pwBlocks(m, mcMax, t, k.mr)
		rows := 0
		for m0 := 0; m0 < m; m0 += mc {
			n := min(mc, m-m0)
			rows += n / k.mr * k.mr
			if tail := n % k.mr; tail > 0 {
				tr := k.mr
				for _, s := range ks[i+1:] {
					if s.mr >= tail {
						tr = s.mr
					}
				}
				rows += tr
			}
		}
		if i == 0 || rows*16 < bestRows*15 {
			best, bestRows = i, rows
		}
	}
	return ks[best:]
}

// pointwiseBlock computes pixels [m0, m1) x channel panels [q0, q1).
func pointwiseBlock(ks []pwKernel, p ConvParams, x, wb []float32, ldb, panelStride int, bias, res []float32, sameRes bool, flagsLast, kLen int, y []float32, m0, m1, q0, q1 int) {
	c, oc := p.C, p.OutC
	uk := ks[0]
	mr, nr := uk.mr, uk.nr
	j0, j1 := q0*nr, min(q1*nr, oc)
	if res != nil && !sameRes {
		for i := m0; i < m1; i++ {
			copy(y[i*oc+j0:i*oc+j1], res[i*oc+j0:i*oc+j1])
		}
	}
	full := (m1 - m0) / mr // strips written in place (but for a partial last panel)
	tail := m1 - m0 - full*mr
	// The last strip: the shortest kernel that covers it.
	tk := uk
	for _, k := range ks[1:] {
		if k.mr >= tail {
			tk = k
		}
	}
	var sc scratch
	var xt, ct []float32
	if tail > 0 || oc%nr != 0 {
		sc.init(mr*c+mr*nr, 0)
		defer sc.free()
		xt, ct = sc.f32(mr*c), sc.f32(mr*nr)
		if tail > 0 {
			// The last strip's rows, zero-padded to mr.
			copy(xt, x[(m0+full*mr)*c:m1*c])
			clear(xt[tail*c:])
		}
	}
	var a [1]*float32
	var pf weightPrefetch
	parts := full
	if tail > 0 {
		parts++
	}
	for k0 := 0; k0 < c; k0 += kLen {
		kl := min(kLen, c-k0)
		flags := 0
		if k0 > 0 || res != nil {
			flags |= convAccumulate
		}
		if k0+kl == c {
			flags |= flagsLast
		}
		for q := q0; q < q1; q++ {
			j := q * nr
			bOff := k0*ldb + j
			if panelStride > 0 {
				bOff = q*panelStride + k0*nr
			}
			var bp *float32
			if flags&convBias != 0 {
				bp = &bias[j]
			}
			cols := min(nr, oc-j)
			_ = wb[bOff+(kl-1)*ldb+nr-1]
			if panelStride > 0 {
				// The next panel's block, or the first panel's of the next
				// reduction block.
				switch {
				case q+1 < q1:
					pf.set(wb, bOff+panelStride, kl*nr, parts)
				case k0+kl < c:
					pf.set(wb, q0*panelStride+(k0+kl)*nr, min(kLen, c-k0-kl)*nr, parts)
				default:
					pf.set(nil, 0, 0, 0)
				}
			}
			if cols == nr {
				if full > 0 {
					_ = y[(m0+full*mr-1)*oc+j+nr-1]
				}
				for s := 0; s < full; s++ {
					r := m0 + s*mr
					pf.step()
					a[0] = &x[r*c+k0]
					uk.fn(1, kl, &a[0], &wb[bOff], ldb, &y[r*oc+j], oc, flags, bp, c)
				}
			} else {
				// A partial panel: each strip through ct.
				for s := 0; s < full; s++ {
					r := m0 + s*mr
					pf.step()
					pwTile(uk, &x[r*c+k0], c, kl, wb[bOff:], ldb, ct, y, r, mr, oc, j, cols, flags&^convStream, bp)
				}
			}
			if tail > 0 {
				pf.step()
				pwTile(tk, &xt[k0], c, kl, wb[bOff:], ldb, ct, y, m0+full*mr, tail, oc, j, cols, flags&^convStream, bp)
			}
		}
	}
}

// pwTile runs one strip through the buffer ct (mr x nr): rows [r, r+rows)
// and columns [j, j+cols) of y are read into it when accumulating and
// written back.
func pwTile(uk pwKernel, a0 *float32, rs, kl int, wb []float32, ldb int, ct, y []float32, r, rows, oc, j, cols, flags int, bp *float32) {
	nr := uk.nr
	if flags&convAccumulate != 0 {
		for i := 0; i < rows; i++ {
			copy(ct[i*nr:i*nr+cols], y[(r+i)*oc+j:(r+i)*oc+j+cols])
		}
	}
	a := [1]*float32{a0}
	uk.fn(1, kl, &a[0], &wb[0], ldb, &ct[0], nr, flags, bp, rs)
	for i := 0; i < rows; i++ {
		copy(y[(r+i)*oc+j:(r+i)*oc+j+cols], ct[i*nr:i*nr+cols])
	}
}

// pwGemvKernel returns the one-row GEMV kernel for w's packed panels, or nil:
// that of a table this CPU runs whose GEMM panels are as wide (the conv
// panels of the NEON table, 16 wide, have none).
func pwGemvKernel(w convWeights) gemvPanelKernel {
	if w.packed == nil {
		return nil
	}
	for _, t := range asmTables {
		if t.runs() && t.sgemm.nr == w.nr {
			return gemvKernelFor(t, w.nr)
		}
	}
	return nil
}

// pointwiseGemv computes one pixel (a classifier's 1x1 convolution on a 1x1
// input, MobileNet's conv_preds): each weight is used once, so the panels
// stream through the one-row kernel rather than an mr-row tile that would
// compute mr-1 rows of padding.
func pointwiseGemv(gv gemvPanelKernel, c, oc int, x []float32, w convWeights, bias, res []float32, act Activation, y []float32) {
	nr := w.nr
	panels := (oc + nr - 1) / nr
	const perTask = 8
	_ = x[c-1]
	_ = w.packed[panels*c*nr-1]
	parallel((panels+perTask-1)/perTask, func(task int) {
		var tail [32]float32
		for q := task * perTask; q < min(panels, (task+1)*perTask); q++ {
			j0, j1 := q*nr, min(oc, (q+1)*nr)
			out := tail[:nr]
			gv(c, &x[0], &w.packed[q*c*nr], &out[0], false)
			for j := j0; j < j1; j++ {
				v := out[j-j0]
				if bias != nil {
					v += bias[j]
				}
				if res != nil {
					v = res[j] + v
				}
				y[j] = act.apply(v)
			}
		}
	})
}
