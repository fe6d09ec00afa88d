package kernels

import (
	"fmt"
	"math"
	"unsafe"
)

// bfloat16 GEMM: weights and activations rounded to bfloat16 (the top 16
// bits of a float32, rounded to nearest even), products accumulated in
// float32 pair by pair as AVX512_BF16's VDPBF16PS does. The Go twin computes
// the same float32 operations in the same order, so every path gives the
// same bits for inputs whose values, products and partial sums are normal
// numbers or zero (the instructions flush denormals to zero, and so does
// the twin).

// BF16Weights is a k x n weight matrix rounded to bfloat16 and packed for
// BF16Gemm: panels of 32 columns, each column's k in pairs.
type BF16Weights struct {
	k, n, kp int
	data     []uint16
}

const bf16NR = 32 // columns a packed panel

// bf16Offset is where weight (p, j) lies in the packed layout.
func bf16Offset(kp, p, j int) int {
	return (j/bf16NR*kp+p/2*2)*bf16NR + j%bf16NR*2 + p%2
}

// PackBF16Weights rounds w (k x n row-major, a flattened HWIO kernel) to
// bfloat16 and packs it for BF16Gemm.
func PackBF16Weights(w []float32, k, n int) *BF16Weights {
	if k < 0 || n < 0 || len(w) < k*n {
		panic(fmt.Sprintf("kernels: PackBF16Weights: %d weights, need k*n = %d*%d", len(w), k, n))
	}
	kp := roundUp(k, 2)
	bw := &BF16Weights{k: k, n: n, kp: kp, data: make([]uint16, roundUp(n, bf16NR)*kp+32)}
	// (+32: the packed data starts on a 64-byte boundary.)
	off := int(-uintptr(unsafe.Pointer(&bw.data[0]))&63) / 2
	bw.data = bw.data[off : off+roundUp(n, bf16NR)*kp]
	for p := 0; p < k; p++ {
		for j, v := range w[p*n : p*n+n] {
			bw.data[bf16Offset(kp, p, j)] = ToBF16(v)
		}
	}
	return bw
}

// Dims returns k and n.
func (w *BF16Weights) Dims() (k, n int) { return w.k, w.n }

// ToBF16 rounds f to bfloat16 as VCVTNE2PS2BF16 does: to nearest even, a
// NaN kept quiet, a denormal to a signed zero.
func ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	switch {
	case u&0x7fffffff > 0x7f800000: // NaN
		return uint16(u>>16) | 0x40
	case u&0x7f800000 == 0: // zero or denormal
		return uint16(u>>16) & 0x8000
	}
	return uint16((u + 0x7fff + (u>>16)&1) >> 16)
}

// FromBF16 widens a bfloat16 to float32 (exact).
func FromBF16(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// bf16Dot is VDPBF16PS on one lane: acc + x1*w1, then + x0*w0, each sum
// rounded to float32 and flushed to zero if denormal (the products of two
// bfloat16 are exact in float32).
func bf16Dot(acc float32, x0, x1, w0, w1 uint16) float32 {
	acc = ftz(float32(acc + ftz(float32(daz(x1)*daz(w1)))))
	return ftz(float32(acc + ftz(float32(daz(x0)*daz(w0)))))
}

func daz(b uint16) float32 {
	if b&0x7f80 == 0 {
		return 0
	}
	return FromBF16(b)
}

func ftz(f float32) float32 {
	if math.Float32bits(f)&0x7f800000 == 0 {
		return math.Float32frombits(math.Float32bits(f) & 0x80000000)
	}
	return f
}

// bf16Kernels is a table's bfloat16 GEMM: micro-kernels of up to mr rows
// by 32 columns on bfloat16 pairs (dot), and the float32 to bfloat16
// conversion of 32 values a step (convert).
type bf16Kernels struct {
	mr      int
	dot     func(rows, kc int, a *uint16, lda int, b *uint16, c *float32, ldc int, acc bool)
	convert func(n int, src *float32, dst *uint16)
}

// BF16Available says whether the active kernel table computes BF16Gemm in
// hardware (AVX512_BF16); elsewhere the Go twin gives the same results,
// slowly.
func BF16Available() bool { return active.bf16 != nil }

// BF16Gemm sets out = act(x * w + bias) with x (m x k, row stride ldx) and
// w rounded to bfloat16 and the products summed in float32 (see ToBF16 and
// the package's bfloat16 notes); bias has n values or is nil. out is m x n
// with row stride ldo. Work is split over the kernels' threads.
func BF16Gemm(m int, x []float32, ldx int, w *BF16Weights, out []float32, ldo int, bias []float32, act Activation) {
	if w == nil || m < 0 {
		panic(fmt.Sprintf("kernels: BF16Gemm: m=%d, weights %v", m, w))
	}
	k, n := w.k, w.n
	if ldx < max(k, 1) || (m > 0 && k > 0 && len(x) < (m-1)*ldx+k) {
		panic(fmt.Sprintf("kernels: BF16Gemm: x has %d elements, needs %dx%d with stride %d", len(x), m, k, ldx))
	}
	if ldo < max(n, 1) || (m > 0 && n > 0 && len(out) < (m-1)*ldo+n) {
		panic(fmt.Sprintf("kernels: BF16Gemm: out has %d elements, needs %dx%d with stride %d", len(out), m, n, ldo))
	}
	if bias != nil && len(bias) < n {
		panic(fmt.Sprintf("kernels: BF16Gemm: %d biases, need %d", len(bias), n))
	}
	raceRead(x, bias)
	raceWrite(out)
	if m == 0 || n == 0 {
		return
	}
	t := Threads()
	if m*n*k < 1<<16 {
		t = 1
	}
	bk := active.bf16
	rowBlocks, colBlocks := ceilDiv(m, qMC), ceilDiv(n, qNC)
	run := func(task int) {
		i0, j0 := task/colBlocks*qMC, task%colBlocks*qNC
		bf16Block(bk, x, ldx, w, out, ldo, bias, act, i0, min(i0+qMC, m), j0, min(j0+qNC, n))
	}
	if tasks := rowBlocks * colBlocks; t == 1 {
		for i := 0; i < tasks; i++ {
			run(i)
		}
	} else {
		parallelN(tasks, t, run)
	}
}

// bf16Block computes rows i0..i1 by columns j0..j1 (j0 a multiple of 32):
// the rows converted to bfloat16 (k padded to even with zeros), then the
// micro-kernel (bk) or the twin (bk nil) over panels and k blocks.
func bf16Block(bk *bf16Kernels, x []float32, ldx int, w *BF16Weights, out []float32, ldo int, bias []float32, act Activation, i0, i1, j0, j1 int) {
	rows, cb, kp := i1-i0, roundUp(j1-j0, bf16NR), w.kp
	xp := qUint16Pool.Get().(*[]uint16)
	defer qUint16Pool.Put(xp)
	if cap(*xp) < rows*kp {
		*xp = make([]uint16, rows*kp)
	}
	xb := (*xp)[:rows*kp]
	for r := 0; r < rows; r++ {
		src, dst := x[(i0+r)*ldx:(i0+r)*ldx+w.k], xb[r*kp:(r+1)*kp]
		nv := 0
		if bk != nil {
			nv = w.k / 32 * 32
			if nv > 0 {
				bk.convert(nv, &src[0], &dst[0])
			}
		}
		for p := nv; p < w.k; p++ {
			dst[p] = ToBF16(src[p])
		}
		clear(dst[w.k:])
	}
	accp := qFloatPool.Get().(*[]float32)
	defer qFloatPool.Put(accp)
	acc := grow(*accp, rows*cb)
	*accp = acc
	panel := bf16NR * kp
	for pc := 0; pc < kp; pc += qKC {
		kc := min(qKC, kp-pc)
		for jr := j0; jr < j1; jr += bf16NR {
			b := w.data[jr/bf16NR*panel+pc*bf16NR:]
			if bk == nil {
				bf16PanelGo(rows, kc, xb[pc:], kp, b, acc[jr-j0:], cb, pc > 0)
				continue
			}
			for ir := 0; ir < rows; ir += bk.mr {
				bk.dot(min(bk.mr, rows-ir), kc, &xb[ir*kp+pc], 2*kp, &b[0], &acc[ir*cb+jr-j0], cb, pc > 0)
			}
		}
	}
	for r := 0; r < rows; r++ {
		dst := out[(i0+r)*ldo+j0 : (i0+r)*ldo+j1]
		for j, v := range acc[r*cb : r*cb+j1-j0] {
			if bias != nil {
				v = float32(v + bias[j0+j])
			}
			dst[j] = act.apply(v)
		}
	}
}

// bf16PanelGo is the Go twin of the micro-kernels: one panel of 32 columns.
func bf16PanelGo(rows, kc int, xb []uint16, ldx int, b []uint16, c []float32, ldc int, acc bool) {
	for r := 0; r < rows; r++ {
		xr := xb[r*ldx : r*ldx+kc]
		cr := c[r*ldc : r*ldc+bf16NR]
		if !acc {
			clear(cr)
		}
		for p := 0; p < kc; p += 2 {
			wg := b[p*bf16NR : p*bf16NR+2*bf16NR]
			x0, x1 := xr[p], xr[p+1]
			for j := range cr {
				cr[j] = bf16Dot(cr[j], x0, x1, wg[2*j], wg[2*j+1])
			}
		}
	}
}
