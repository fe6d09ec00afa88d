package kernels

import (
	"sync"
	"unsafe"
)

// qgemmKernels is one table's int8 GEMM: a micro-kernel computing up to mr
// rows of raw dot products sum x*w (no zero point) against a panel of nr
// packed weight columns, and the vectorised requantizing epilogue.
//
// Packed weights: panels of nr columns, each kp (k rounded up to kg) rows
// deep; within a panel, groups of kg consecutive k for each column in turn
// (column c of group g at (g*nr + c)*kg elements), each element wbytes wide
// (1: int8, for the dot-product instructions; 2: int16, for the AVX2
// widening kernel). Padding is zero.
type qgemmKernels struct {
	name       string
	mr, nr     int
	kg, wbytes int
	// kpad, when above kg, is what k is padded to a multiple of (the
	// kernel's k step).
	kpad int
	// signedA says the kernel computes sum (x-128)*w (SDOT is signed by
	// signed): the engine's correction adds 128 times the column sums.
	signedA bool
	// dot sets (acc false) or adds to (acc true) c[r*ldc+j], r < rows, j < nr,
	// the sums over kc (a multiple of kg) of a[r*lda+p] * b(p, j), b the
	// panel rows at b.
	dot func(rows, kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool)
	// widen, when set, zero-extends n activations to uint16 (n a multiple
	// of 16); the kernel then reads each block of rows widened, 4 bytes a
	// k pair.
	widen func(n int, src *uint8, dst *uint16)
	// requant writes out[j] = the epilogue of acc[j]-corr[j], j < n (a
	// multiple of 8); flags: qHasBias, qHasRes. nil: the Go twin.
	requant func(n int, acc, corr *int32, scale, bias *float32, res *uint8, q *qParams, out *uint8, flags int)
	// requantRows, when set, is requant over rows at once (acc rows lda
	// apart, residual rows ldr and output rows ldo bytes apart), for any n
	// with rowsAnyN, else n a multiple of 8.
	rowsAnyN    bool
	requantRows func(rows, n int, acc *int32, lda int, corr *int32, scale, bias *float32, res *uint8, ldr int, q *qParams, out *uint8, ldo int, flags int)
}

const (
	qHasBias = 1 << iota
	qHasRes
)

// Block sizes of the int8 GEMM: a task is qMC rows by qNC columns; the k
// loop runs in blocks of qKC so that a weight panel (nr*qKC bytes) stays in
// L1 while the rows of the task sweep it.
const (
	qMC = 96
	qNC = 256
	qKC = 1024
)

func (qk *qgemmKernels) offset(kp, p, j int) int {
	panel, c := j/qk.nr, j%qk.nr
	g, e := p/qk.kg, p%qk.kg
	return ((panel*kp+g*qk.kg)*qk.nr + c*qk.kg + e) * qk.wbytes
}

// kstep is what the packed k is rounded up to.
func (qk *qgemmKernels) kstep() int { return max(qk.kg, qk.kpad) }

// pack lays w (k x n row-major) out for the kernel.
func (qk *qgemmKernels) pack(dst []byte, w []int8, k, n int) {
	kp := roundUp(k, qk.kstep())
	for p := 0; p < k; p++ {
		for j, v := range w[p*n : p*n+n] {
			o := qk.offset(kp, p, j)
			if qk.wbytes == 1 {
				dst[o] = byte(v)
			} else {
				u := uint16(int16(v))
				dst[o], dst[o+1] = byte(u), byte(u>>8)
			}
		}
	}
}

// at reads weight (p, j) back from a packed layout.
func (qk *qgemmKernels) at(packed []byte, kp, p, j int) int8 {
	return int8(packed[qk.offset(kp, p, j)]) // little-endian: the low byte of an int16 in -128..127
}

var (
	qInt32Pool  = sync.Pool{New: func() any { return new([]int32) }}
	qBytePool   = sync.Pool{New: func() any { return new([]byte) }}
	qUint16Pool = sync.Pool{New: func() any { return new([]uint16) }}
	qFloatPool  = sync.Pool{New: func() any { return new([]float32) }}
)

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func growBytes(s []byte, n int) []byte {
	if cap(s) < n {
		return make([]byte, n)
	}
	return s[:n]
}

// qgemmRun runs the GEMM on the kernels the weights were packed for, or on
// the Go twin on the generic path.
func qgemmRun(m int, x []uint8, ldx int, xZero int32, w *QWeights, o qOutput) {
	t := Threads()
	if m*w.n*w.k < 1<<16 {
		t = 1
	}
	qk := w.qk
	if qk == nil || active == &genericTable {
		qgemmGo(t, m, x, ldx, xZero, w, &o)
		return
	}
	corrp := qInt32Pool.Get().(*[]int32)
	defer qInt32Pool.Put(corrp)
	corr := qk.corrections(*corrp, xZero, w)
	*corrp = corr
	rowBlocks, colBlocks := ceilDiv(m, qMC), ceilDiv(w.n, qNC)
	tasks := rowBlocks * colBlocks
	run := func(task int) {
		i0, j0 := task/colBlocks*qMC, task%colBlocks*qNC
		qk.block(x, ldx, w, corr, &o, i0, min(i0+qMC, m), j0, min(j0+qNC, w.n))
	}
	if t == 1 {
		for i := 0; i < tasks; i++ {
			run(i)
		}
		return
	}
	parallelN(tasks, t, run)
}

// corrections returns (in buf, grown) what the epilogue subtracts from the
// kernel's sums of column j: xZero (less 128 for a kernel on signed
// activations) times the column's weight sum.
func (qk *qgemmKernels) corrections(buf []int32, xZero int32, w *QWeights) []int32 {
	corr := growInt32(buf, w.n)
	z := xZero
	if qk.signedA {
		z -= 128
	}
	for j, s := range w.colSum {
		corr[j] = z * s
	}
	return corr
}

// block computes rows i0..i1 by columns j0..j1 (j0 a multiple of nr).
func (qk *qgemmKernels) block(x []uint8, ldx int, w *QWeights, corr []int32, o *qOutput, i0, i1, j0, j1 int) {
	rows, cb := i1-i0, roundUp(j1-j0, qk.nr)
	accp := qInt32Pool.Get().(*[]int32)
	defer qInt32Pool.Put(accp)
	acc := growInt32(*accp, rows*cb)
	*accp = acc
	// The kernel reads the activations in place, kg bytes at a time; when
	// k is not a multiple of kg the rows are copied, zero-padded.
	// (Reading past k is harmless where the padded weights are zero and
	// the bytes exist: a row stride of at least kp, as QConv2D's bands have.)
	a, lda := x[i0*ldx:], ldx
	if w.kp != w.k && (ldx < w.kp || (i1-1)*ldx+w.kp > len(x)) {
		bp := qBytePool.Get().(*[]byte)
		defer qBytePool.Put(bp)
		buf := growBytes(*bp, rows*w.kp)
		*bp = buf
		for r := 0; r < rows; r++ {
			d := buf[r*w.kp : (r+1)*w.kp]
			copy(d, x[(i0+r)*ldx:(i0+r)*ldx+w.k])
			clear(d[w.k:])
		}
		a, lda = buf, w.kp
	}
	var wide []uint16
	if qk.widen != nil {
		wp := qUint16Pool.Get().(*[]uint16)
		defer qUint16Pool.Put(wp)
		if cap(*wp) < rows*min(qKC, w.kp) {
			*wp = make([]uint16, rows*min(qKC, w.kp))
		}
		wide = *wp
	}
	panelBytes := qk.nr * w.kp * qk.wbytes
	for pc := 0; pc < w.kp; pc += qKC {
		kc := min(qKC, w.kp-pc)
		ablock, ld := unsafe.Pointer(&a[pc]), lda
		if wide != nil {
			for r := 0; r < rows; r++ {
				qWiden(qk, a[r*lda+pc:r*lda+pc+kc], wide[r*kc:(r+1)*kc])
			}
			ablock, ld = unsafe.Pointer(&wide[0]), 2*kc
		}
		for jr := j0; jr < j1; jr += qk.nr {
			b := &w.packed[jr/qk.nr*panelBytes+pc*qk.nr*qk.wbytes]
			for ir := 0; ir < rows; ir += qk.mr {
				qk.dot(min(qk.mr, rows-ir), kc, (*uint8)(unsafe.Add(ablock, ir*ld)), ld, b, &acc[ir*cb+jr-j0], cb, pc > 0)
			}
		}
	}
	qk.finishBlock(acc, rows, cb, i0, j0, j1, corr, o)
}

// finishBlock writes rows i0..i0+rows-1, columns j0..j1 of the output from
// the raw sums acc (row stride cb): the vectorised epilogue on whole
// vectors, the Go twin on the rest.
func (qk *qgemmKernels) finishBlock(acc []int32, rows, cb, i0, j0, j1 int, corr []int32, o *qOutput) {
	n := j1 - j0
	if nr := n / 8 * 8; qk.requantRows != nil && o.f32 == nil && (qk.rowsAnyN || nr > 0) {
		if qk.rowsAnyN {
			nr = n
		}
		ep := o.ep
		flags := 0
		bias := &ep.Scale[j0]
		if ep.Bias != nil {
			flags |= qHasBias
			bias = &ep.Bias[j0]
		}
		var res *uint8
		ldr := 0
		if ep.Residual != nil {
			flags |= qHasRes
			res, ldr = &ep.Residual[i0*o.resLd+j0], o.resLd
		}
		qk.requantRows(rows, nr, &acc[0], cb, &corr[j0], &ep.Scale[j0], bias, res, ldr, &o.q, &o.u8[i0*o.ld+j0], o.ld, flags)
		if nr == n {
			return
		}
		for r := 0; r < rows; r++ {
			row := acc[r*cb+nr : r*cb+n]
			for j := range row {
				row[j] -= corr[j0+nr+j]
			}
			o.finish(i0+r, j0+nr, row)
		}
		return
	}
	nv := n / 8 * 8 // requant takes multiples of 8
	for r := 0; r < rows; r++ {
		i := i0 + r
		row := acc[r*cb : r*cb+n]
		start := 0
		if o.f32 == nil && nv > 0 && qk.requant != nil {
			start = nv
			ep := o.ep
			flags := 0
			bias := &ep.Scale[j0] // any valid pointer when there is no bias
			if ep.Bias != nil {
				flags |= qHasBias
				bias = &ep.Bias[j0]
			}
			var res *uint8
			if ep.Residual != nil {
				flags |= qHasRes
				res = &ep.Residual[i*o.resLd+j0]
			}
			qk.requant(nv, &row[0], &corr[j0], &ep.Scale[j0], bias, res, &o.q, &o.u8[i*o.ld+j0], flags)
		}
		for j := start; j < n; j++ {
			row[j] -= corr[j0+j]
		}
		o.finish(i, j0+start, row[start:])
	}
}

// qWiden sets dst = src, zero-extended, in assembly 16 at a time.
func qWiden(qk *qgemmKernels, src []uint8, dst []uint16) {
	n := len(src) / 16 * 16
	if n > 0 {
		qk.widen(n, &src[0], &dst[0])
	}
	for i := n; i < len(src); i++ {
		dst[i] = uint16(src[i])
	}
}

// qgemmGo is the Go twin: plain int32 arithmetic on the row-major weights,
// rows split over t threads.
func qgemmGo(t, m int, x []uint8, ldx int, xZero int32, w *QWeights, o *qOutput) {
	raw := w.rawWeights()
	k, n := w.k, w.n
	parts := spanCount(m, t, 1)
	run := func(part int) {
		s := spanOf(m, parts, 1, part)
		accp := qInt32Pool.Get().(*[]int32)
		defer qInt32Pool.Put(accp)
		acc := growInt32(*accp, n)
		*accp = acc
		for i := s.lo; i < s.hi; i++ {
			clear(acc)
			for p, xv := range x[i*ldx : i*ldx+k] {
				v := int32(xv) - xZero
				if v == 0 {
					continue
				}
				for j, wv := range raw[p*n : p*n+n] {
					acc[j] += v * int32(wv)
				}
			}
			o.finish(i, 0, acc)
		}
	}
	if parts == 1 {
		run(0)
		return
	}
	parallelN(parts, t, run)
}
