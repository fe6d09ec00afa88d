// Command qgemm generates Keel's int8 GEMM kernels: the micro-kernels that
// compute exact int32 sums of uint8 activations times int8 weights, and the
// vectorised requantizing epilogue.
//
//   - AVX-512 VNNI: VPDPBUSD zmm, up to 12 rows x 32 columns, weights packed
//     4 k to a column (64 bytes = 16 columns a register);
//   - AVX-VNNI: VPDPBUSD ymm with the VEX encoding (CPUs with AVX-VNNI but no
//     AVX-512), up to 6 rows x 16 columns, same packing;
//   - AVX2: VPMADDUBSW would saturate at int16 for u8 x s8 pairs, so the
//     AVX2 kernel widens instead: weights packed as int16 pairs, activations
//     widened to uint16 by qWidenU8 (one pass over each block), VPMADDWD
//     into int32 (each pair sum fits, the accumulation is exact), up to 6
//     rows x 16 columns;
//   - AVX2 on weights whose pairs fit int16 (7-bit weights): VPMADDUBSW,
//     then VPMADDWD by ones into int32, exact there, up to 6 rows x 16
//     columns, packed as for VNNI.
//
// Avo v0.5.0 has no VNNI instructions. The EVEX VPDPBUSD is emitted as text,
// which Go's assembler encodes; the VEX form (which Go's assembler does not
// produce: it encodes VPDPBUSD on ymm as EVEX, needing AVX-512VL) is emitted
// as BYTE directives from encode.go, whose encodings encode_test.go checks
// against LLVM's assembler.
//
//	go run ./qgemm -out ../kernels/qgemm_amd64.s -stubs ../kernels/qgemm_amd64_stub.go -pkg kernels
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	for r := 1; r <= 12; r++ {
		dotKernel(fmt.Sprintf("qdotVNNI%dx32", r), r, vnni512)
	}
	for r := 1; r <= 6; r++ {
		dotKernel(fmt.Sprintf("qdotAVXVNNI%dx16", r), r, vnni256)
	}
	for r := 1; r <= 6; r++ {
		dotKernel(fmt.Sprintf("qdotAVX2%dx16", r), r, widen256)
	}
	ones16 = GLOBL("qOnes16", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(0x00010001))
	}
	for r := 1; r <= 6; r++ {
		dotKernel(fmt.Sprintf("qdotMaddubs%dx16", r), r, maddubs256)
	}
	widenU8()
	for r := 1; r <= 12; r++ {
		dotKernel(fmt.Sprintf("bf16dot%dx32", r), r, bf16x512)
	}
	cvtBF16()
	maxRows()
	quantize()
	depthwise("qdwRows512", 16)
	depthwise("qdwRows256", 8)
	requant("qRequant512", 16)
	requantRows("qRequantRows512", 16)
	requantRows("qRequantRows256", 8)
	requant("qRequant256", 8)
	Generate()
}

// isa is one family of dot-product kernels.
type isa struct {
	vecs   int // weight registers per k group: nr = vecs * lanes
	lanes  int // int32 lanes a register
	kg     int // k a group
	wbytes int // bytes a weight element
	vec    func(i int) reg.VecPhysical
	// product: the step needs a product register besides the broadcast
	// (the kernel then has one of each instead of two broadcasts).
	product bool
	// float: float32 accumulators, which with acc start from c (so that
	// k blocks sum in the order of one pass) instead of being added to it.
	float bool
	// step emits the k-group's products for one row: acc[v] += bcast x w[v].
	// bcast is a register to use, row the activations' address.
	step func(acc []reg.VecPhysical, w []reg.VecPhysical, bcast reg.VecPhysical, row Mem, tmp reg.VecPhysical)
}

var zmm = []reg.VecPhysical{reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7, reg.Z8, reg.Z9, reg.Z10, reg.Z11,
	reg.Z12, reg.Z13, reg.Z14, reg.Z15, reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23, reg.Z24,
	reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31}
var ymm = []reg.VecPhysical{reg.Y0, reg.Y1, reg.Y2, reg.Y3, reg.Y4, reg.Y5, reg.Y6, reg.Y7, reg.Y8, reg.Y9, reg.Y10, reg.Y11,
	reg.Y12, reg.Y13, reg.Y14, reg.Y15}
var xmm = []reg.VecPhysical{reg.X0, reg.X1, reg.X2, reg.X3, reg.X4, reg.X5, reg.X6, reg.X7, reg.X8, reg.X9, reg.X10, reg.X11,
	reg.X12, reg.X13, reg.X14, reg.X15}

var vnni512 = isa{vecs: 2, lanes: 16, kg: 4, wbytes: 1, vec: func(i int) reg.VecPhysical { return zmm[i] },
	step: func(acc, w []reg.VecPhysical, b reg.VecPhysical, row Mem, _ reg.VecPhysical) {
		VPBROADCASTD(row, b)
		for v := range w {
			raw("VPDPBUSD", w[v], b, acc[v]) // acc += u8(b) . s8(w), Go operand order
		}
	}}

var vnni256 = isa{vecs: 2, lanes: 8, kg: 4, wbytes: 1, vec: func(i int) reg.VecPhysical { return ymm[i] },
	step: func(acc, w []reg.VecPhysical, b reg.VecPhysical, row Mem, _ reg.VecPhysical) {
		VPBROADCASTD(row, b)
		for v := range w {
			enc, mn := vexDpbusd(ymmIndex(acc[v]), ymmIndex(b), ymmIndex(w[v]))
			emitBytes(enc, mn)
		}
	}}

var widen256 = isa{vecs: 2, lanes: 8, kg: 2, wbytes: 2, product: true, vec: func(i int) reg.VecPhysical { return ymm[i] },
	step: func(acc, w []reg.VecPhysical, b reg.VecPhysical, row Mem, tmp reg.VecPhysical) {
		// The activations come widened to uint16 (qWidenU8): the dword
		// broadcast is the pair x0 | x1<<16 that VPMADDWD multiplies with
		// the column's (w0, w1).
		VPBROADCASTD(row, b)
		for v := range w {
			VPMADDWD(w[v], b, tmp)
			VPADDD(tmp, acc[v], acc[v])
		}
	}}

// maddubs256 multiplies with VPMADDUBSW, whose int16 sums of two u8 x s8
// products saturate beyond 32767: exact only on weights where every pair
// (k 2g, 2g+1) of a column has |w| + |w'| <= 128, which the engine checks
// before it packs for this kernel (qgemmPairsFit). VPMADDWD by ones then
// sums the pairs into int32 exactly.
var maddubs256 = isa{vecs: 2, lanes: 8, kg: 4, wbytes: 1, product: true, vec: func(i int) reg.VecPhysical { return ymm[i] },
	step: func(acc, w []reg.VecPhysical, b reg.VecPhysical, row Mem, tmp reg.VecPhysical) {
		VPBROADCASTD(row, b)
		for v := range w {
			VPMADDUBSW(w[v], b, tmp) // u8(b) x s8(w), adjacent pairs summed to int16
			VPMADDWD(ones16, tmp, tmp)
			VPADDD(tmp, acc[v], acc[v])
		}
	}}

// ones16 is sixteen int16 ones, for VPMADDWD to sum int16 pairs.
var ones16 Mem

var bf16x512 = isa{vecs: 2, lanes: 16, kg: 2, wbytes: 2, float: true, vec: func(i int) reg.VecPhysical { return zmm[i] },
	step: func(acc, w []reg.VecPhysical, b reg.VecPhysical, row Mem, _ reg.VecPhysical) {
		VPBROADCASTD(row, b) // the row's bfloat16 pair
		for v := range w {
			enc, mn := vdpbf16ps(zmmIndex(acc[v]), zmmIndex(b), zmmIndex(w[v]))
			emitBytes(enc, mn)
		}
	}}

func zmmIndex(r reg.VecPhysical) int {
	for i, z := range zmm {
		if z == r {
			return i
		}
	}
	panic("not a zmm register")
}

func ymmIndex(r reg.VecPhysical) int {
	for i, y := range ymm {
		if y == r {
			return i
		}
	}
	panic("not a ymm register")
}

// vmov moves a whole vector: VMOVDQU32 for zmm (Avo's VMOVDQU is VEX only).
func vmov(src, dst Op) {
	for _, o := range []Op{src, dst} {
		if v, ok := o.(reg.VecPhysical); ok && v.Size() == 64 {
			VMOVDQU32(src, dst)
			return
		}
	}
	VMOVDQU(src, dst)
}

// raw emits an instruction Avo does not know, as text for Go's assembler.
func raw(op string, args ...Op) {
	Instruction(&ir.Instruction{Opcode: op, Operands: args})
}

// emitBytes emits an encoded instruction as BYTE directives.
func emitBytes(enc []byte, mnemonic string) {
	Comment(mnemonic)
	for _, b := range enc {
		Instruction(&ir.Instruction{Opcode: "BYTE", Operands: []Op{U8(b)}})
	}
}

// dotKernel emits a micro-kernel of rows rows: for p < kc (a multiple of kg),
// c[r*ldc+j] (= or +=) sum of a[r*lda+p] * w(p, j), j < nr, w the packed
// panel at b (per k group, nr columns of kg elements).
func dotKernel(name string, rows int, is isa) {
	nr := is.vecs * is.lanes
	if is.float {
		TEXT(name, NOSPLIT, "func(kc int, a *uint16, lda int, b *uint16, c *float32, ldc int, acc bool)")
		Doc(fmt.Sprintf("%s sets c[r*ldc+j], r < %d, j < %d, to (acc ? c[r*ldc+j] : 0) plus, pair by pair (p, p+1)", name, rows, nr),
			"over p < kc, VDPBF16PS's sums of the bfloat16 a[r][p+1]*w(p+1, j), then a[r][p]*w(p, j) (a rows lda bytes apart).")
	} else {
		TEXT(name, NOSPLIT, "func(kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool)")
		Doc(fmt.Sprintf("%s sets (or, with acc, adds to) c[r*ldc+j], r < %d, j < %d, the sums over p < kc of", name, rows, nr),
			fmt.Sprintf("a[r*lda+p] times the weight (p, j) of the packed panel b (%d k a group, %d-byte elements).", is.kg, is.wbytes))
	}
	Pragma("noescape")
	kc := Load(Param("kc"), GP64())
	a := Load(Param("a"), GP64())
	lda := Load(Param("lda"), GP64())
	b := Load(Param("b"), GP64())
	// Rows at bases[r/3] + (r%3)*lda.
	bases := []reg.Register{a}
	for len(bases)*3 < rows {
		nb := GP64()
		LEAQ(Mem{Base: bases[len(bases)-1], Index: lda, Scale: 2}, nb)
		ADDQ(lda, nb)
		bases = append(bases, nb)
	}
	rowMem := func(r int) Mem {
		m := Mem{Base: bases[r/3]}
		if r%3 > 0 {
			m.Index, m.Scale = lda, uint8(r%3)
		}
		return m
	}
	accs := make([][]reg.VecPhysical, rows)
	n := 0
	for r := range accs {
		for v := 0; v < is.vecs; v++ {
			accs[r] = append(accs[r], is.vec(n))
			n++
		}
	}
	w := []reg.VecPhysical{}
	for v := 0; v < is.vecs; v++ {
		w = append(w, is.vec(n))
		n++
	}
	// Two broadcast (and, for the widening kernel, two product) registers,
	// alternating between rows.
	// (The widening kernel's product register is the second one: the
	// renamer, not the register file, separates the rows.)
	spare := []reg.VecPhysical{is.vec(n), is.vec(n + 1)}
	tmp := spare
	if is.product {
		spare = []reg.VecPhysical{is.vec(n), is.vec(n)}
		tmp = []reg.VecPhysical{is.vec(n + 1), is.vec(n + 1)}
	}
	need := n + 2
	if need > map[int]int{8: 16, 16: 32}[is.lanes] {
		panic(name + ": too many registers")
	}
	zero := func() {
		for _, r := range accs {
			for _, v := range r {
				if is.lanes == 16 {
					VPXORD(v, v, v)
				} else {
					VPXOR(v, v, v)
				}
			}
		}
	}
	var c, ldc reg.Register
	if is.float {
		c = Load(Param("c"), GP64())
		ldc = Load(Param("ldc"), GP64())
		SHLQ(U8(2), ldc)
		accumulate := Load(Param("acc"), GP8())
		TESTB(accumulate, accumulate)
		JNZ(LabelRef(name + "_load"))
		zero()
		JMP(LabelRef(name + "_start"))
		Label(name + "_load")
		cp := GP64()
		MOVQ(c, cp)
		for r := 0; r < rows; r++ {
			for v := 0; v < is.vecs; v++ {
				VMOVUPS(Mem{Base: cp, Disp: v * is.lanes * 4}, accs[r][v])
			}
			if r < rows-1 {
				ADDQ(ldc, cp)
			}
		}
		Label(name + "_start")
	} else {
		zero()
	}
	SHRQ(U8(map[int]uint8{2: 1, 4: 2}[is.kg]), kc)
	JZ(LabelRef(name + "_store"))
	Label(name + "_loop")
	for v := range w {
		vmov(Mem{Base: b, Disp: v * is.lanes * 4}, w[v])
	}
	for r := 0; r < rows; r++ {
		is.step(accs[r], w, spare[r%2], rowMem(r), tmp[r%2])
	}
	for _, base := range bases {
		ADDQ(U32(4), base) // 4 uint8 or 2 uint16 activations a group
	}
	ADDQ(U32(nr*is.kg*is.wbytes), b)
	DECQ(kc)
	JNZ(LabelRef(name + "_loop"))

	Label(name + "_store")
	if is.float {
		for r := 0; r < rows; r++ {
			for v := 0; v < is.vecs; v++ {
				VMOVUPS(accs[r][v], Mem{Base: c, Disp: v * is.lanes * 4})
			}
			if r < rows-1 {
				ADDQ(ldc, c)
			}
		}
		VZEROUPPER()
		RET()
		return
	}
	c = Load(Param("c"), GP64())
	ldc = Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	accumulate := Load(Param("acc"), GP8())
	TESTB(accumulate, accumulate)
	JZ(LabelRef(name + "_write"))
	cp := GP64()
	MOVQ(c, cp)
	for r := 0; r < rows; r++ {
		for v := 0; v < is.vecs; v++ {
			VPADDD(Mem{Base: cp, Disp: v * is.lanes * 4}, accs[r][v], accs[r][v])
		}
		if r < rows-1 {
			ADDQ(ldc, cp)
		}
	}
	Label(name + "_write")
	for r := 0; r < rows; r++ {
		for v := 0; v < is.vecs; v++ {
			vmov(accs[r][v], Mem{Base: c, Disp: v * is.lanes * 4})
		}
		if r < rows-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// widenU8 emits qWidenU8, the zero extension of n bytes (a multiple of 16)
// to uint16 for the AVX2 kernel.
func widenU8() {
	TEXT("qWidenU8", NOSPLIT, "func(n int, src *uint8, dst *uint16)")
	Doc("qWidenU8 sets dst[i] = src[i], i < n (a multiple of 16).")
	Pragma("noescape")
	n := Load(Param("n"), GP64())
	src := Load(Param("src"), GP64())
	dst := Load(Param("dst"), GP64())
	SHRQ(U8(4), n)
	JZ(LabelRef("widen_done"))
	Label("widen_loop")
	VPMOVZXBW(Mem{Base: src}, reg.Y0)
	VMOVDQU(reg.Y0, Mem{Base: dst})
	ADDQ(U32(16), src)
	ADDQ(U32(32), dst)
	DECQ(n)
	JNZ(LabelRef("widen_loop"))
	Label("widen_done")
	VZEROUPPER()
	RET()
}

// cvtBF16 emits bf16Convert: float32 to bfloat16, rounded to nearest even
// (VCVTNE2PS2BF16), 32 values a step.
func cvtBF16() {
	TEXT("bf16Convert", NOSPLIT, "func(n int, src *float32, dst *uint16)")
	Doc("bf16Convert sets dst[i] = bfloat16(src[i]), i < n (a multiple of 32), as VCVTNE2PS2BF16 rounds.")
	Pragma("noescape")
	n := Load(Param("n"), GP64())
	src := Load(Param("src"), GP64())
	dst := Load(Param("dst"), GP64())
	SHRQ(U8(5), n)
	JZ(LabelRef("cvt_done"))
	Label("cvt_loop")
	VMOVUPS(Mem{Base: src}, reg.Z0)
	VMOVUPS(Mem{Base: src, Disp: 64}, reg.Z1)
	enc, mn := vcvtne2ps2bf16(2, 1, 0) // low half from Z0, high from Z1
	emitBytes(enc, mn)
	VMOVDQU32(reg.Z2, Mem{Base: dst})
	ADDQ(U32(128), src)
	ADDQ(U32(64), dst)
	DECQ(n)
	JNZ(LabelRef("cvt_loop"))
	Label("cvt_done")
	VZEROUPPER()
	RET()
}

// maxRows emits qMaxRows: out[ch] = the largest of rows[i][ch], i < n (at
// least 1), ch < c (a multiple of 16): VPMAXUB on 32 bytes, then 16.
func maxRows() {
	TEXT("qMaxRows", NOSPLIT, "func(rows **uint8, n, c int, out *uint8)")
	Doc("qMaxRows sets out[ch] = max over i < n of rows[i][ch], ch < c (a multiple of 16), n >= 1.")
	Pragma("noescape")
	rows := Load(Param("rows"), GP64())
	n := Load(Param("n"), GP64())
	c := Load(Param("c"), GP64())
	out := Load(Param("out"), GP64())
	ch := GP64()
	XORQ(ch, ch)
	for _, w := range []int{32, 16} {
		lbl := fmt.Sprintf("max%d", w)
		v := ymm[0]
		if w == 16 {
			v = xmm[0]
		}
		Label(lbl)
		left := GP64()
		MOVQ(c, left)
		SUBQ(ch, left)
		CMPQ(left, U32(w))
		JL(LabelRef(lbl + "_end"))
		p := GP64()
		MOVQ(Mem{Base: rows}, p)
		VMOVDQU(Mem{Base: p, Index: ch, Scale: 1}, v)
		i := GP64()
		MOVQ(U64(1), i)
		Label(lbl + "_row")
		CMPQ(i, n)
		JGE(LabelRef(lbl + "_store"))
		MOVQ(Mem{Base: rows, Index: i, Scale: 8}, p)
		VPMAXUB(Mem{Base: p, Index: ch, Scale: 1}, v, v)
		INCQ(i)
		JMP(LabelRef(lbl + "_row"))
		Label(lbl + "_store")
		VMOVDQU(v, Mem{Base: out, Index: ch, Scale: 1})
		ADDQ(U32(w), ch)
		JMP(LabelRef(lbl))
		Label(lbl + "_end")
	}
	VZEROUPPER()
	RET()
}

// requantRows emits the requantizing epilogue over rows of a block at once
// (acc rows lda int32 apart, residual rows ldr and output rows ldo bytes
// apart). With 16 lanes (AVX-512) any n: the last n%16 columns go through
// the mask K1, so nothing past n is read or written; with 8 (AVX2), n a
// multiple of 8.
func requantRows(name string, lanes int) {
	TEXT(name, NOSPLIT, "func(rows, n int, acc *int32, lda int, corr *int32, scale, bias *float32, res *uint8, ldr int, q *float32, out *uint8, ldo int, flags int)")
	if lanes == 16 {
		Doc(name+" writes out[r*ldo+j] = the requantizing epilogue of acc[r*lda+j]-corr[j], r < rows, j < n, reading the residual",
			"res[r*ldr+j] with qHasRes and bias[j] with qHasBias; q points at the qParams.")
	} else {
		Doc(name + " is qRequantRows512 on ymm, n a multiple of 8.")
	}
	Pragma("noescape")
	vec := func(i int) reg.VecPhysical { return zmm[i] }
	if lanes == 8 {
		vec = func(i int) reg.VecPhysical { return ymm[i] }
	}
	q := Load(Param("q"), GP64())
	lo, hi, oz, rs, rz := vec(10), vec(11), vec(12), vec(13), vec(14)
	loadQParams(q, lo, hi, oz, rs, rz)
	n := Load(Param("n"), GP64())
	tail := GP32()
	if lanes == 16 {
		ones, mask := GP32(), GP32()
		MOVL(n.(reg.GPVirtual).As32(), tail)
		ANDL(U32(15), tail)
		MOVL(U32(0xffff), ones)
		BZHIL(tail, ones, mask)
		KMOVW(mask, reg.K1)
	} else {
		XORL(tail, tail)
	}
	nv := GP64()
	MOVQ(n, nv)
	ANDQ(I32(-int32(lanes)), nv)
	rows := Load(Param("rows"), GP64())
	accRow := Load(Param("acc"), GP64())
	resRow := Load(Param("res"), GP64())
	outRow := Load(Param("out"), GP64())
	corr := Load(Param("corr"), GP64())
	scale := Load(Param("scale"), GP64())
	bias := Load(Param("bias"), GP64())
	flags := Load(Param("flags"), GP64())
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	Label(name + "_row")
	j := GP64()
	XORQ(j, j)
	t, r := vec(0), vec(1)
	k := reg.K1
	for _, masked := range []bool{false, true} {
		if masked && lanes == 8 {
			Label(name + "_tailcheck")
			break
		}
		lbl := name + "_vec"
		if masked {
			lbl = name + "_tail"
			Label(name + "_tailcheck")
			TESTL(tail, tail)
			JZ(LabelRef(name + "_next"))
		} else {
			Label(lbl)
			CMPQ(j, nv)
			JGE(LabelRef(name + "_tailcheck"))
		}
		if masked {
			VMOVDQU32_Z(Mem{Base: accRow, Index: j, Scale: 4}, k, t)
			VPSUBD_Z(Mem{Base: corr, Index: j, Scale: 4}, t, k, t)
		} else {
			vmov(Mem{Base: accRow, Index: j, Scale: 4}, t)
			VPSUBD(Mem{Base: corr, Index: j, Scale: 4}, t, t)
		}
		VCVTDQ2PS(t, t)
		if masked {
			VMULPS_Z(Mem{Base: scale, Index: j, Scale: 4}, t, k, t)
		} else {
			VMULPS(Mem{Base: scale, Index: j, Scale: 4}, t, t)
		}
		TESTQ(U32(1), flags)
		JZ(LabelRef(lbl + "_nobias"))
		if masked {
			VADDPS_Z(Mem{Base: bias, Index: j, Scale: 4}, t, k, t)
		} else {
			VADDPS(Mem{Base: bias, Index: j, Scale: 4}, t, t)
		}
		Label(lbl + "_nobias")
		TESTQ(U32(2), flags)
		JZ(LabelRef(lbl + "_nores"))
		if masked {
			VPMOVZXBD_Z(Mem{Base: resRow, Index: j, Scale: 1}, k, r)
		} else {
			VPMOVZXBD(Mem{Base: resRow, Index: j, Scale: 1}, r)
		}
		VPSUBD(rz, r, r)
		VCVTDQ2PS(r, r)
		VMULPS(rs, r, r)
		VADDPS(r, t, t)
		Label(lbl + "_nores")
		VMAXPS(lo, t, t)
		VMINPS(hi, t, t)
		VCVTPS2DQ(t, t)
		VPADDD(oz, t, t)
		switch {
		case masked:
			VPMOVDB(t, k, Mem{Base: outRow, Index: j, Scale: 1})
		case lanes == 16:
			VPMOVDB(t, Mem{Base: outRow, Index: j, Scale: 1})
		default:
			x, x1 := xmm[0], xmm[1]
			VEXTRACTI128(U8(1), t, x1)
			VPACKUSDW(x1, x, x)
			VPACKUSWB(x, x, x)
			MOVQ(x, Mem{Base: outRow, Index: j, Scale: 1})
		}
		if !masked {
			ADDQ(U32(lanes), j)
			JMP(LabelRef(lbl))
		}
	}
	Label(name + "_next")
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda)
	ADDQ(lda, accRow)
	ldr := Load(Param("ldr"), GP64())
	ADDQ(ldr, resRow)
	ldo := Load(Param("ldo"), GP64())
	ADDQ(ldo, outRow)
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// quantize emits qQuantize512: y[i] = RoundToEven(x[i] / scale) + zero,
// clamped (VMAXPS then VMINPS on the quotient, NaN giving the lower bound)
// to 0..255, 16 values a step; the Go twin is QuantizeU8's loop.
func quantize() {
	TEXT("qQuantize512", NOSPLIT, "func(n int, x *float32, q *float32, scale float32, y *uint8)")
	Doc("qQuantize512 sets y[i] = RoundToEven(x[i]/scale) + zero clamped to 0..255, i < n (a multiple of 16); q points at",
		"the qParams whose lo, hi and outZero give the clamp and the zero point.")
	Pragma("noescape")
	n := Load(Param("n"), GP64())
	x := Load(Param("x"), GP64())
	q := Load(Param("q"), GP64())
	y := Load(Param("y"), GP64())
	sc, lo, hi, oz, t := zmm[1], zmm[2], zmm[3], zmm[4], zmm[0]
	VBROADCASTSS(NewParamAddr("scale", 24), sc)
	VBROADCASTSS(Mem{Base: q, Disp: 0}, lo)
	VBROADCASTSS(Mem{Base: q, Disp: 4}, hi)
	VPBROADCASTD(Mem{Base: q, Disp: 8}, oz)
	SHRQ(U8(4), n)
	JZ(LabelRef("quant_done"))
	Label("quant_loop")
	VMOVUPS(Mem{Base: x}, t)
	VDIVPS(sc, t, t)
	VMAXPS(lo, t, t)
	VMINPS(hi, t, t)
	VCVTPS2DQ(t, t)
	VPADDD(oz, t, t)
	VPMOVDB(t, Mem{Base: y})
	ADDQ(U32(64), x)
	ADDQ(U32(16), y)
	DECQ(n)
	JNZ(LabelRef("quant_loop"))
	Label("quant_done")
	VZEROUPPER()
	RET()
}

// requant emits the requantizing epilogue over n values (a multiple of
// lanes): out[j] = the QEpilogue of acc[j] - corr[j] (kernels/qgemm.go). The
// operation order is the Go twin's: convert, multiply by the scale, add the
// bias, add the rescaled residual, clamp (VMAXPS then VMINPS, NaN giving
// the lower bound, as the twin's comparisons do), convert with the default
// rounding (half to even), add the zero point, narrow to bytes.
func requant(name string, lanes int) {
	TEXT(name, NOSPLIT, "func(n int, acc, corr *int32, scale, bias *float32, res *uint8, q *float32, out *uint8, flags int)")
	Doc(fmt.Sprintf("%s writes out[j] = the requantizing epilogue of acc[j]-corr[j], j < n (a multiple of %d);", name, lanes),
		"q points at the qParams; flags: qHasBias (bias read), qHasRes (the residual bytes res read).")
	Pragma("noescape")
	vec := func(i int) reg.VecPhysical { return ymm[i] }
	if lanes == 16 {
		vec = func(i int) reg.VecPhysical { return zmm[i] }
	}
	n := Load(Param("n"), GP64())
	acc := Load(Param("acc"), GP64())
	corr := Load(Param("corr"), GP64())
	scale := Load(Param("scale"), GP64())
	bias := Load(Param("bias"), GP64())
	res := Load(Param("res"), GP64())
	q := Load(Param("q"), GP64())
	out := Load(Param("out"), GP64())
	flags := Load(Param("flags"), GP64())
	lo, hi, oz, rs, rz := vec(10), vec(11), vec(12), vec(13), vec(14)
	loadQParams(q, lo, hi, oz, rs, rz)
	SHRQ(U8(map[int]uint8{8: 3, 16: 4}[lanes]), n)
	JZ(LabelRef(name + "_done"))
	t, r := vec(0), vec(1)
	Label(name + "_loop")
	vmov(Mem{Base: acc}, t)
	VPSUBD(Mem{Base: corr}, t, t)
	VCVTDQ2PS(t, t)
	VMULPS(Mem{Base: scale}, t, t)
	TESTQ(U32(1), flags) // qHasBias
	JZ(LabelRef(name + "_nobias"))
	VADDPS(Mem{Base: bias}, t, t)
	Label(name + "_nobias")
	TESTQ(U32(2), flags) // qHasRes
	JZ(LabelRef(name + "_nores"))
	VPMOVZXBD(Mem{Base: res}, r)
	VPSUBD(rz, r, r)
	VCVTDQ2PS(r, r)
	VMULPS(rs, r, r)
	VADDPS(r, t, t)
	ADDQ(U32(lanes), res)
	Label(name + "_nores")
	VMAXPS(lo, t, t) // t > lo ? t : lo
	VMINPS(hi, t, t) // t < hi ? t : hi
	VCVTPS2DQ(t, t)
	VPADDD(oz, t, t)
	if lanes == 16 {
		VPMOVDB(t, Mem{Base: out}) // 0..255 after the clamp: truncation is exact
	} else {
		x, x1 := xmm[0], xmm[1]
		VEXTRACTI128(U8(1), t, x1)
		VPACKUSDW(x1, x, x)
		VPACKUSWB(x, x, x)
		MOVQ(x, Mem{Base: out})
	}
	ADDQ(U32(4*lanes), acc)
	ADDQ(U32(4*lanes), corr)
	ADDQ(U32(4*lanes), scale)
	ADDQ(U32(4*lanes), bias)
	ADDQ(U32(lanes), out)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// depthwise emits the int8 depthwise kernel over count output pixels of a
// row: for each pixel (its window's origin at x + i*xstep) and channel
// ch < c (a multiple of lanes), the sum over the taps t of
// x[origin + offs[t] + ch] * w[t*c+ch], the input padded beforehand (with
// the zero point) so that every tap is real; then, while the sums are in
// registers, the requantizing epilogue (as requant computes it, corr, scale
// and bias per channel) writes out[i*c+ch]. The weights are int32 (sign-
// extended int8) and the activations zero-extended to int32, so VPMADDWD
// (or VPDPWSSD on AVX-512 VNNI) multiplies each with a zero high half: the
// products and sums are exact.
func depthwise(name string, lanes int) {
	TEXT(name, NOSPLIT, "func(count int, x *uint8, xstep int, offs *int, taps int, w *int32, c int, corr *int32, scale, bias *float32, res *uint8, q *float32, out *uint8, flags int)")
	Doc(fmt.Sprintf("%s sets out[i*c+ch] = the requantizing epilogue of sum over t < taps of x[i*xstep+offs[t]+ch] * w[t*c+ch] - corr[ch],", name),
		fmt.Sprintf("i < count, ch < c (a multiple of %d); the residual, with qHasRes, is res[i*c+ch].", lanes))
	Pragma("noescape")
	vec := func(i int) reg.VecPhysical { return ymm[i] }
	if lanes == 16 {
		vec = func(i int) reg.VecPhysical { return zmm[i] }
	}
	count := Load(Param("count"), GP64())
	x := Load(Param("x"), GP64())
	c := Load(Param("c"), GP64())
	out := Load(Param("out"), GP64())
	xstep := Load(Param("xstep"), GP64())
	// Groups of qdwPixels pixels first: each tap's weights are loaded once
	// for the group, and the group's pixels are independent chains of sums
	// (one pixel alone would wait on VPDPWSSD's latency at every tap when
	// its channels are few).
	x3, c3 := GP64(), GP64()
	LEAQ(Mem{Base: xstep, Index: xstep, Scale: 2}, x3)
	LEAQ(Mem{Base: c, Index: c, Scale: 2}, c3)
	Label(name + "_group")
	CMPQ(count, U8(qdwPixels))
	JL(LabelRef(name + "_single"))
	depthwiseChunks(name+"_g", lanes, vec, qdwPixels, x, c, out, xstep, x3, c3)
	LEAQ(Mem{Base: x, Index: xstep, Scale: 4}, x)
	LEAQ(Mem{Base: out, Index: c, Scale: 4}, out)
	depthwiseAdvanceRes(4)
	SUBQ(U8(qdwPixels), count)
	JMP(LabelRef(name + "_group"))
	Label(name + "_single")
	TESTQ(count, count)
	JZ(LabelRef(name + "_done"))
	Label(name + "_pixel")
	depthwiseChunks(name+"_s", lanes, vec, 1, x, c, out, xstep, x3, c3)
	ADDQ(xstep, x)
	ADDQ(c, out)
	depthwiseAdvanceRes(1)
	DECQ(count)
	JNZ(LabelRef(name + "_pixel"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// depthwiseAdvanceRes moves the residual pointer (kept in its argument
// slot: the kernel is short of registers) on by px pixels of c bytes.
func depthwiseAdvanceRes(px int) {
	r, c := Load(Param("res"), GP64()), Load(Param("c"), GP64())
	if px == 1 {
		ADDQ(c, r)
	} else {
		LEAQ(Mem{Base: r, Index: c, Scale: byte(px)}, r)
	}
	Store(r, Param("res"))
}

// loadQParams broadcasts the qParams at q (lo, hi float32; outZero int32;
// resScale float32; resZero int32) to five registers.
func loadQParams(q reg.Register, lo, hi, oz, rs, rz reg.VecPhysical) {
	VBROADCASTSS(Mem{Base: q, Disp: 0}, lo)
	VBROADCASTSS(Mem{Base: q, Disp: 4}, hi)
	VPBROADCASTD(Mem{Base: q, Disp: 8}, oz)
	VBROADCASTSS(Mem{Base: q, Disp: 12}, rs)
	VPBROADCASTD(Mem{Base: q, Disp: 16}, rz)
}

// qdwPixels is how many pixels the depthwise kernel computes together.
const qdwPixels = 4

// depthwiseChunks emits px pixels (px 1 or qdwPixels, at x, x+xstep, ...;
// their outputs at out, out+c, ...) over all c channels, in chunks of
// channel vectors, widest first.
func depthwiseChunks(name string, lanes int, vec func(int) reg.VecPhysical, px int, x, c, out, xstep, x3, c3 reg.Register) {
	// The address of pixel p from that of pixel 0 (base).
	at := func(base reg.Register, step, step3 reg.Register, p, disp int) Mem {
		switch p {
		case 0:
			return Mem{Base: base, Disp: disp}
		case 1:
			return Mem{Base: base, Index: step, Scale: 1, Disp: disp}
		case 2:
			return Mem{Base: base, Index: step, Scale: 2, Disp: disp}
		}
		return Mem{Base: base, Index: step3, Scale: 1, Disp: disp}
	}
	regs := len(ymm)
	if lanes == 16 {
		regs = len(zmm)
	}
	chp := GP64() // channel offset in bytes of x
	XORQ(chp, chp)
	for _, block := range blocksFor(lanes, px) {
		lbl := fmt.Sprintf("%s_chunk%d", name, block)
		Label(lbl)
		// Enough channels left for this block?
		left := GP64()
		MOVQ(c, left)
		SUBQ(chp, left)
		CMPQ(left, U32(block*lanes))
		JL(LabelRef(lbl + "_end"))
		acc := func(p, j int) reg.VecPhysical { return vec(p*block + j) }
		nacc := px * block
		for i := 0; i < nacc; i++ {
			if lanes == 16 {
				VPXORD(vec(i), vec(i), vec(i))
			} else {
				VPXOR(vec(i), vec(i), vec(i))
			}
		}
		// Registers after the sums: the weights (when a group shares them),
		// then one widened input per sum, as many as there are.
		wreg := func(j int) reg.VecPhysical { return vec(nacc + j) }
		tmp := func(i int) reg.VecPhysical { return vec(nacc + block + i%(regs-nacc-block)) }
		offs := Load(Param("offs"), GP64())
		taps := Load(Param("taps"), GP64())
		wt := Load(Param("w"), GP64())
		LEAQ(Mem{Base: wt, Index: chp, Scale: 4}, wt)
		cb := GP64() // c*4: bytes between the taps' weights
		MOVQ(c, cb)
		SHLQ(U8(2), cb)
		Label(lbl + "_tap")
		b := GP64()
		MOVQ(Mem{Base: offs}, b)
		ADDQ(x, b)
		ADDQ(chp, b)
		var wm []Op
		for j := 0; j < block; j++ {
			m := Mem{Base: wt, Disp: j * lanes * 4}
			if px == 1 {
				wm = append(wm, m)
				continue
			}
			vmov(m, wreg(j))
			wm = append(wm, wreg(j))
		}
		for p := 0; p < px; p++ {
			for j := 0; j < block; j++ {
				t := tmp(p*block + j)
				VPMOVZXBD(at(b, xstep, x3, p, j*lanes), t)
				if lanes == 16 {
					raw("VPDPWSSD", wm[j], t, acc(p, j)) // acc += x*w + 0*(sign)
				} else {
					VPMADDWD(wm[j], t, t)
					VPADDD(t, acc(p, j), acc(p, j))
				}
			}
		}
		ADDQ(U32(8), offs)
		ADDQ(cb, wt)
		DECQ(taps)
		JNZ(LabelRef(lbl + "_tap"))
		depthwiseEpilogue(lbl, lanes, vec, nacc, regs, px, block, acc, at, chp, c, c3, out)
		ADDQ(U32(block*lanes), chp)
		JMP(LabelRef(lbl))
		Label(lbl + "_end")
	}
}

// depthwiseEpilogue requantizes the sums acc(p, j) of a chunk (channels
// from chp) in place, as requant does, and stores them at out: the
// registers after the sums are free once the taps are done.
func depthwiseEpilogue(lbl string, lanes int, vec func(int) reg.VecPhysical, nacc, regs, px, block int,
	acc func(p, j int) reg.VecPhysical, at func(base, step, step3 reg.Register, p, disp int) Mem,
	chp, c, c3, out reg.Register) {
	lo, hi, oz, rs, rz, r := vec(nacc), vec(nacc+1), vec(nacc+2), vec(nacc+3), vec(nacc+4), vec(nacc+5)
	if nacc+6 > regs {
		panic("depthwise: no registers left for the epilogue")
	}
	q := Load(Param("q"), GP64())
	loadQParams(q, lo, hi, oz, rs, rz)
	corr := Load(Param("corr"), GP64())
	scale := Load(Param("scale"), GP64())
	LEAQ(Mem{Base: corr, Index: chp, Scale: 4}, corr)
	LEAQ(Mem{Base: scale, Index: chp, Scale: 4}, scale)
	for j := 0; j < block; j++ {
		for p := 0; p < px; p++ {
			t := acc(p, j)
			VPSUBD(Mem{Base: corr, Disp: j * lanes * 4}, t, t)
			VCVTDQ2PS(t, t)
			VMULPS(Mem{Base: scale, Disp: j * lanes * 4}, t, t)
		}
	}
	flags := Load(Param("flags"), GP64())
	TESTQ(U32(1), flags) // qHasBias
	JZ(LabelRef(lbl + "_nobias"))
	bias := Load(Param("bias"), GP64())
	LEAQ(Mem{Base: bias, Index: chp, Scale: 4}, bias)
	for j := 0; j < block; j++ {
		for p := 0; p < px; p++ {
			VADDPS(Mem{Base: bias, Disp: j * lanes * 4}, acc(p, j), acc(p, j))
		}
	}
	Label(lbl + "_nobias")
	TESTQ(U32(2), flags) // qHasRes
	JZ(LabelRef(lbl + "_nores"))
	res := Load(Param("res"), GP64())
	ADDQ(chp, res)
	for j := 0; j < block; j++ {
		for p := 0; p < px; p++ {
			VPMOVZXBD(at(res, c, c3, p, j*lanes), r)
			VPSUBD(rz, r, r)
			VCVTDQ2PS(r, r)
			VMULPS(rs, r, r)
			VADDPS(r, acc(p, j), acc(p, j))
		}
	}
	Label(lbl + "_nores")
	dst := GP64()
	LEAQ(Mem{Base: out, Index: chp, Scale: 1}, dst)
	for j := 0; j < block; j++ {
		for p := 0; p < px; p++ {
			t := acc(p, j)
			VMAXPS(lo, t, t) // t > lo ? t : lo
			VMINPS(hi, t, t) // t < hi ? t : hi
			VCVTPS2DQ(t, t)
			VPADDD(oz, t, t)
			m := at(dst, c, c3, p, j*lanes)
			if lanes == 16 {
				VPMOVDB(t, m) // 0..255 after the clamp: truncation is exact
			} else {
				xl, tx := xmm[ymmIndex(r)], xmm[ymmIndex(t)]
				VEXTRACTI128(U8(1), t, xl)
				VPACKUSDW(xl, tx, tx)
				VPACKUSWB(tx, tx, tx)
				MOVQ(tx, m)
			}
		}
	}
}

// blocksFor lists the depthwise kernel's channel blocks, in vectors, widest
// first, for px pixels at once: eight or four chains of sums hide
// VPDPWSSD's latency, within the registers (AVX2 has 16 ymm: the sums, the
// weights and a widened input for each).
func blocksFor(lanes, px int) []int {
	switch {
	case lanes == 16 && px == 1:
		return []int{8, 4, 1}
	case lanes == 16:
		return []int{4, 2, 1} // 16 sums, 4 weights, the inputs from Z16
	case px == 1:
		return []int{4, 1}
	}
	return []int{2, 1} // 8 sums, 2 weights, 6 inputs
}
