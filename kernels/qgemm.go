package kernels

import (
	"fmt"
	"math"
	"sync"
	"unsafe"
)

// The int8 kernels (quantized inference). Weights are int8, symmetric, one
// scale per output channel; activations are uint8 with one zero point per
// tensor (real value = s * (q - zero)). Products accumulate in int32, exactly
// on every instruction set: the assembly computes the same integers as the Go
// twins, and the requantizing epilogue (QEpilogue) is written so that every
// path rounds the same float32 operations the same way. Results are
// therefore bit-identical on every table, generic included.

// QWeights is a k x n int8 weight matrix packed once for QGemm, with the
// per-column sums the activation zero point's correction needs.
type QWeights struct {
	k, n   int
	colSum []int32 // sum over k of w[:, j]
	table  *kernelTable
	qk     *qgemmKernels // the kernels packed for (nil: raw)
	// Exactly one of raw (row-major k x n, the generic path's layout) and
	// packed (the layout of table.qgemm) is set; raw is filled from packed
	// on first use if the generic twin must run on weights packed for
	// assembly (a test, or KEEL_KERNELS changed between packing and use).
	raw     []int8
	rawOnce sync.Once
	packed  []byte // 64-byte aligned
	kp      int    // k rounded up to the kernel's k group
}

// PackQWeights packs w, k x n row-major int8 (a Keras HWIO kernel flattened
// to (kh*kw*cin) x cout, quantized per output column), for QGemm on the
// active kernel table. w is copied; it may be reused.
func PackQWeights(w []int8, k, n int) *QWeights {
	return packQWeightsFor(active, w, k, n)
}

func packQWeightsFor(t *kernelTable, w []int8, k, n int) *QWeights {
	if k < 0 || n < 0 || len(w) < k*n {
		panic(fmt.Sprintf("kernels: PackQWeights: %d weights, need k*n = %d*%d", len(w), k, n))
	}
	if k > qMaxK {
		panic(fmt.Sprintf("kernels: PackQWeights: k=%d exceeds %d, where int32 sums could overflow", k, qMaxK))
	}
	qw := &QWeights{k: k, n: n, colSum: make([]int32, n), table: t}
	for p := 0; p < k; p++ {
		for j, v := range w[p*n : p*n+n] {
			qw.colSum[j] += int32(v)
		}
	}
	qk := t.qgemm
	if t.qgemmPairs != nil && qgemmPairsFit(w, k, n) {
		qk = t.qgemmPairs
	}
	qw.qk = qk
	if qk == nil {
		qw.raw = append([]int8(nil), w[:k*n]...)
		qw.kp = k
		return qw
	}
	qw.kp = roundUp(k, qk.kstep())
	np := roundUp(n, qk.nr)
	qw.packed = alignedBytes(np * qw.kp * qk.wbytes)
	qk.pack(qw.packed, w, k, n)
	return qw
}

// qgemmPairsFit says whether every pair of weights (k 2g and 2g+1) of
// every column has |w| + |w'| <= 128, so that their products with two
// activations (at most 255 each) sum within int16: then VPMADDUBSW's
// saturating sums are exact (k padded with zeros).
func qgemmPairsFit(w []int8, k, n int) bool {
	abs := func(v int8) int { return max(int(v), -int(v)) }
	for p := 0; p+1 < k; p += 2 {
		a, b := w[p*n:p*n+n], w[(p+1)*n:(p+1)*n+n]
		for j := range a {
			if abs(a[j])+abs(b[j]) > 128 {
				return false
			}
		}
	}
	return true // an odd k's last weight pairs with padding: |w| <= 128
}

// qMaxK bounds k so that sum (x-zero)*w stays inside int32: 255*128*k < 2^31.
const qMaxK = 1 << 16

// Dims returns k and n.
func (w *QWeights) Dims() (k, n int) { return w.k, w.n }

// ColSums returns the per-column sums of the weights (shared, do not modify).
func (w *QWeights) ColSums() []int32 { return w.colSum }

// rawWeights returns the row-major weights, unpacking them once if needed.
func (w *QWeights) rawWeights() []int8 {
	w.rawOnce.Do(func() {
		if w.raw == nil {
			w.raw = make([]int8, w.k*w.n)
			qk := w.qk
			for p := 0; p < w.k; p++ {
				for j := 0; j < w.n; j++ {
					w.raw[p*w.n+j] = qk.at(w.packed, w.kp, p, j)
				}
			}
		}
	})
	return w.raw
}

// alignedBytes returns n zero bytes starting on a 64-byte boundary.
func alignedBytes(n int) []byte {
	b := make([]byte, n+64)
	off := int(-uintptr(unsafe.Pointer(&b[0])) & 63)
	return b[off : off+n : off+n]
}

// QEpilogue is the requantizing epilogue of QGemm, QConv2D and QDepthwise.
// For output (i, j), with acc the exact int32 sum of (x - xZero) * w:
//
//	t := float32(acc) * Scale[j]                         (rounded to float32)
//	t = t + Bias[j]                                      (rounded; Bias nil: 0)
//	t = t + float32(int32(Residual[i,j]) - ResZero) * ResScale   (if Residual != nil;
//	                                                      the product rounded, then the sum)
//	q := RoundToEven(t) + OutZero, clamped to [Lo, Hi]
//
// Every step is a separate float32 operation (no fused multiply-add), and
// the rounding is half to even (the default rounding of VCVTPS2DQ and
// FCVTNS), so every kernel table gives the same bytes. The clamp is done on
// t first (to [Lo-OutZero, Hi-OutZero], NaN going to the lower bound), which
// for finite t gives the same result as clamping after rounding and keeps
// out-of-range values defined.
//
// Scale[j] is s_x*s_w[j]/s_y (input, weight and output scales); Bias is the
// float bias divided by s_y; ResScale is s_r/s_y for a residual tensor of
// scale s_r and zero point ResZero. ReLU is Lo = OutZero; ReLU6 adds Hi =
// min(255, OutZero + round(6/s_y)). Hi == 0 means 255: the zero clamp
// clamps nothing.
type QEpilogue struct {
	Scale   []float32 // per output column (n values)
	Bias    []float32 // per output column, in output units; nil: none
	OutZero int32     // output zero point, 0..255
	Lo, Hi  uint8     // output clamp (Hi 0: 255)

	Residual  []uint8 // optional residual, m x n with row stride ResStride
	ResStride int     // 0: n
	ResScale  float32
	ResZero   int32
}

// qParams are an epilogue's scalars as the requantizing kernels read them.
type qParams struct {
	lo, hi   float32 // the clamp on t, Lo-OutZero and Hi-OutZero
	outZero  int32
	resScale float32
	resZero  int32
}

func (ep *QEpilogue) params() qParams {
	hi := ep.hi()
	return qParams{lo: float32(int32(ep.Lo) - ep.OutZero), hi: float32(int32(hi) - ep.OutZero),
		outZero: ep.OutZero, resScale: ep.ResScale, resZero: ep.ResZero}
}

func (ep *QEpilogue) check(op string, m, n int) {
	if ep == nil {
		panic(fmt.Sprintf("kernels: %s: nil epilogue", op))
	}
	if len(ep.Scale) < n {
		panic(fmt.Sprintf("kernels: %s: epilogue has %d scales, needs %d", op, len(ep.Scale), n))
	}
	if ep.Bias != nil && len(ep.Bias) < n {
		panic(fmt.Sprintf("kernels: %s: epilogue has %d biases, needs %d", op, len(ep.Bias), n))
	}
	if ep.OutZero < 0 || ep.OutZero > 255 {
		panic(fmt.Sprintf("kernels: %s: output zero point %d outside 0..255", op, ep.OutZero))
	}
	hi := ep.hi()
	if ep.Lo > hi {
		panic(fmt.Sprintf("kernels: %s: clamp [%d, %d] is empty", op, ep.Lo, hi))
	}
	if ep.Residual != nil {
		if ep.ResZero < 0 || ep.ResZero > 255 {
			panic(fmt.Sprintf("kernels: %s: residual zero point %d outside 0..255", op, ep.ResZero))
		}
		ld := ep.resStride(n)
		if ld < n || (m > 0 && len(ep.Residual) < (m-1)*ld+n) {
			panic(fmt.Sprintf("kernels: %s: residual has %d values, needs %dx%d with stride %d", op, len(ep.Residual), m, n, ld))
		}
	}
}

// hi is the upper clamp: Hi, 0 meaning 255 (a clamp to [Lo, 0] would be
// empty or constant).
func (ep *QEpilogue) hi() uint8 {
	if ep.Hi == 0 {
		return 255
	}
	return ep.Hi
}

func (ep *QEpilogue) resStride(n int) int {
	if ep.ResStride == 0 {
		return n
	}
	return ep.ResStride
}

// requant is the epilogue of one value: acc the exact int32 sum, scale and
// bias column j's, r the residual byte (used when res).
func (q *qParams) requant(acc int32, scale, bias float32, res bool, r uint8) uint8 {
	t := float32(float32(acc) * scale)
	t = float32(t + bias)
	if res {
		rv := float32(float32(int32(r)-q.resZero) * q.resScale)
		t = float32(t + rv)
	}
	return q.round(t)
}

// round clamps t to [lo, hi] (as VMAXPS then VMINPS do, NaN giving lo),
// rounds half to even and adds the zero point.
func (q *qParams) round(t float32) uint8 {
	if !(t > q.lo) {
		t = q.lo
	}
	if !(t < q.hi) {
		t = q.hi
	}
	return uint8(int32(math.RoundToEven(float64(t))) + q.outZero)
}

// QGemm computes out = requant(sum_k (x[i,k] - xZero) * w[k,j]) for the m x k
// uint8 activations x (row stride ldx) and the packed k x n weights, writing
// m x n bytes to out (row stride ldo); the epilogue ep (QEpilogue) gives the
// scales, bias, residual and clamp. xZero is the activations' zero point,
// 0..255. Work is split over the kernels' threads. Bad arguments panic.
func QGemm(m int, x []uint8, ldx int, xZero int32, w *QWeights, out []uint8, ldo int, ep *QEpilogue) {
	qgemmCheck("QGemm", m, x, ldx, xZero, w)
	ep.check("QGemm", m, w.n)
	checkBytes("QGemm", "out", out, m, w.n, ldo)
	raceReadBytes(x, ep.Residual)
	raceWriteBytes(out)
	if m == 0 || w.n == 0 {
		return
	}
	qgemmRun(m, x, ldx, xZero, w, qOutput{u8: out, ld: ldo, ep: ep, q: ep.params(), resLd: ep.resStride(w.n)})
}

// QGemmFloat is QGemm writing float32: out[i,j] = float32(acc)*scale[j] +
// bias[j] (the product rounded to float32 before the sum; bias nil: 0), the
// dequantized output for a layer that stays float32 after it (a classifier).
// scale[j] is s_x*s_w[j].
func QGemmFloat(m int, x []uint8, ldx int, xZero int32, w *QWeights, out []float32, ldo int, scale, bias []float32) {
	qgemmCheck("QGemmFloat", m, x, ldx, xZero, w)
	n := w.n
	if len(scale) < n || (bias != nil && len(bias) < n) {
		panic(fmt.Sprintf("kernels: QGemmFloat: %d scales and %d biases, need %d", len(scale), len(bias), n))
	}
	if ldo < max(n, 1) || (m > 0 && n > 0 && len(out) < (m-1)*ldo+n) {
		panic(fmt.Sprintf("kernels: QGemmFloat: out has %d elements, needs %dx%d with stride %d", len(out), m, n, ldo))
	}
	raceReadBytes(x)
	raceWrite(out)
	if m == 0 || n == 0 {
		return
	}
	qgemmRun(m, x, ldx, xZero, w, qOutput{f32: out, ld: ldo, scale: scale, bias: bias})
}

func qgemmCheck(op string, m int, x []uint8, ldx int, xZero int32, w *QWeights) {
	if w == nil {
		panic(fmt.Sprintf("kernels: %s: nil weights", op))
	}
	if m < 0 {
		panic(fmt.Sprintf("kernels: %s: m=%d", op, m))
	}
	if xZero < 0 || xZero > 255 {
		panic(fmt.Sprintf("kernels: %s: input zero point %d outside 0..255", op, xZero))
	}
	checkBytes(op, "x", x, m, w.k, ldx)
}

func checkBytes(op, name string, s []uint8, rows, cols, ld int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("kernels: %s: stride of %s %d < %d columns", op, name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernels: %s: %s has %d elements, needs %d (%dx%d, stride %d)", op, name, len(s), (rows-1)*ld+cols, rows, cols, ld))
	}
}

// qOutput is where a QGemm writes: requantized bytes (u8, with ep and q) or
// dequantized floats (f32, with scale and bias).
type qOutput struct {
	u8    []uint8
	f32   []float32
	ld    int
	ep    *QEpilogue
	resLd int
	q     qParams
	scale []float32
	bias  []float32
}

// finish writes the outputs of row i, columns j0..j0+len(acc)-1, from the
// exact sums acc; the Go twin of the requantizing kernels.
func (o *qOutput) finish(i, j0 int, acc []int32) {
	if o.f32 != nil {
		dst := o.f32[i*o.ld+j0:][:len(acc)]
		for j, a := range acc {
			t := float32(float32(a) * o.scale[j0+j])
			if o.bias != nil {
				t = float32(t + o.bias[j0+j])
			}
			dst[j] = t
		}
		return
	}
	ep := o.ep
	dst := o.u8[i*o.ld+j0:][:len(acc)]
	var res []uint8
	if ep.Residual != nil {
		res = ep.Residual[i*o.resLd+j0:]
	}
	o.finishRow(dst, acc, ep.Scale[j0:], ep.Bias, j0, res)
}

func (o *qOutput) finishRow(dst []uint8, acc []int32, scale, bias []float32, j0 int, res []uint8) {
	for j, a := range acc {
		var b float32
		if bias != nil {
			b = bias[j0+j]
		}
		var r uint8
		if res != nil {
			r = res[j]
		}
		dst[j] = o.q.requant(a, scale[j], b, res != nil, r)
	}
}

// Int8Kernels names the int8 kernels of the active table, as `keel env`
// reports them: the GEMM micro-kernel and its tile, and the depthwise
// kernel's width ("Go" for the twins).
func Int8Kernels() string {
	g, d := "Go", "Go"
	if k := active.qgemm; k != nil {
		g = fmt.Sprintf("%s %dx%d", k.name, k.mr, k.nr)
	}
	if p := Int8PairsKernel(); p != "" {
		g += " (" + p + " on 7-bit weights)"
	}
	if k := active.qdepthwise; k != nil {
		d = fmt.Sprintf("x%d", k.lanes)
	}
	return "gemm " + g + ", depthwise " + d
}

// Int8PairsKernel names the active table's int8 GEMM for weights whose
// pairs fit int16 sums (7-bit weights: QuantizeWeightsTo 63), faster than
// its GEMM on any weights; "" if it has none.
func Int8PairsKernel() string {
	if k := active.qgemmPairs; k != nil {
		return fmt.Sprintf("%s %dx%d", k.name, k.mr, k.nr)
	}
	return ""
}

// BF16Kernels names the bfloat16 GEMM kernel of the active table ("Go"
// for the twin: tables other than avx512 on a CPU with AVX512_BF16).
func BF16Kernels() string {
	if k := active.bf16; k != nil {
		return fmt.Sprintf("avx512_bf16 %dx%d", k.mr, bf16NR)
	}
	return fmt.Sprintf("Go (no AVX512_BF16 kernel in the %s table)", active.path)
}
