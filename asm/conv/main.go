// Command conv generates Keel's convolution kernels: the indirect convolution
// micro-kernels (a tile of output pixels x output channels that reads the input
// through a table of row pointers instead of a packed copy), AVX2+FMA 6x16 and
// AVX-512 8x32, and the depthwise kernels.
//
//	go run ./conv -out ../kernels/conv_amd64.s -stubs ../kernels/conv_amd64_stub.go -pkg kernels
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

const unroll = 4 // k steps per loop iteration

// Epilogue flags, shared with kernels/conv_engine.go.
const (
	flagAccumulate = 1  // add the tile already in c
	flagBias       = 2  // add bias[j]
	flagReLU       = 4  // max(., 0)
	flagReLU6      = 8  // min(max(., 0), 6)
	flagStream     = 16 // store with non-temporal hints (c and ldc aligned to the vector size)
)

// six is the float32 constant 6 (the ReLU6 cap); zero and six8 are eight
// float32 zeros and sixes (a ymm operand); inf is +Inf.
var six, zero, six8, inf, zero16, six16 Mem

// shiftOf returns log2 of the power of two n.
func shiftOf(n int) int {
	s := 0
	for n > 1 {
		n >>= 1
		s++
	}
	return s
}

func main() {
	ConstraintExpr("amd64,!purego")
	six = ConstData("six", U32(0x40c00000)) // float32 6 (avo writes F32(6) as the integer 6)
	convKernel("convKernel6x16", 6, 8, YMM, false)
	convKernel("convKernel8x32", 8, 16, ZMM, false)
	convKernel("convKernel6x16Strided", 6, 8, YMM, true)
	convKernel("convKernel8x32Strided", 8, 16, ZMM, true)
	convKernel("convKernel14x32Strided", 14, 16, ZMM, true)
	convKernel("convKernel7x32", 7, 16, ZMM, false)
	convKernel("convKernel7x32Strided", 7, 16, ZMM, true)
	storeFence()
	prefetchLines("prefetchL2", PREFETCHT1)
	zero = GLOBL("zero8x32", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(0))
	}
	inf = ConstData("inf", U32(0x7f800000))
	six8 = GLOBL("six8x32", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(0x40c00000))
	}
	zero16 = GLOBL("zero16x32", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(0))
	}
	six16 = GLOBL("six16x32", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(0x40c00000))
	}
	depthwiseForward("depthwise3x3Packed", "none", 8, YMM)
	depthwiseForward("depthwise3x3PackedReLU", "relu", 8, YMM)
	depthwiseForward("depthwise3x3PackedReLU6", "relu6", 8, YMM)
	depthwiseForward("depthwise3x3Packed512", "none", 16, ZMM)
	depthwiseForward("depthwise3x3Packed512ReLU", "relu", 16, ZMM)
	depthwiseForward("depthwise3x3Packed512ReLU6", "relu6", 16, ZMM)
	depthwiseWeightGrad("depthwise3x3RowGrad", 8, YMM)
	depthwiseWeightGrad("depthwise3x3RowGrad512", 16, ZMM)
	depthwiseTaps()
	depthwiseTapsGrad()
	depthwiseKxK("depthwiseKxK", 8)
	depthwiseKxK("depthwiseKxK512", 16)
	elementwise()
	transpose()
	columnSums()
	columnSums64()
	layerNormRows()
	flushDenormals()
	poolRows("poolMaxRows", true)
	poolMaxGrad()
	poolRows("poolSumRows", false)
	Generate()
}

// convKernel emits the indirect convolution micro-kernel name, computing an
// mr x (2*lanes) tile. The tile's reduction runs over nseg segments of seglen
// k steps; segment s reads row i of A from the pointer a[s*mr+i] (seglen
// contiguous floats) and B from b, ldb floats per k step, continuing from
// segment to segment. The mr row pointers live in general registers and move
// forward with k. AVX2 6x16: 12 ymm accumulators, two for B, one broadcast (15
// of 16 registers); AVX-512 8x32: 16 zmm accumulators. The strided form with
// more than 8 rows (AVX-512 14x32: 28 zmm accumulators, for the first layer of
// a network, whose short reduction needs the tall tile to reuse each B load)
// keeps one base pointer per 3 rows and reaches the other two through
// base + rs and base + 2*rs, so that its pointers fit the general registers.
func convKernel(name string, mr, lanes int, vec func() reg.VecVirtual, strided bool) {
	nr := 2 * lanes
	vb := lanes * 4 // bytes per vector
	doc := []string{
		fmt.Sprintf("%s computes the %dx%d tile at c (row stride ldc floats):", name, mr, nr),
		fmt.Sprintf("t[i][j] = sum over segments s < nseg and p < seglen of a[s*%d+i][p] * b[(s*seglen+p)*ldb+j],", mr),
		"then c[i][j] = act((flags&1 ? c[i][j] : 0) + t[i][j] + (flags&2 ? bias[j] : 0)),",
		"act = max(.,0) if flags&4, min(max(.,0),6) if flags&8; flags&16 stores with non-temporal hints",
		"(each row of c aligned to the vector size; the caller runs storeFence before the output is read).",
	}
	if strided {
		// One pointer per segment: row i of A is row 0 plus i*rs floats
		// (the pixels of a strip side by side in one row of the input).
		TEXT(name, NOSPLIT, "func(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32, rs int)")
		doc[1] = "t[i][j] = sum over segments s < nseg and p < seglen of (a[s] + i*rs)[p] * b[(s*seglen+p)*ldb+j],"
	} else {
		TEXT(name, NOSPLIT, "func(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32)")
	}
	Doc(doc...)
	Pragma("noescape")
	nseg := Load(Param("nseg"), GP64())
	seglen := Load(Param("seglen"), GP64())
	tab := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)

	acc := make([]reg.VecVirtual, 2*mr)
	for i := range acc {
		acc[i] = vec()
		VXORPS(acc[i], acc[i], acc[i])
	}
	b0, b1, bc := vec(), vec(), vec()
	// based: strided rows through one base pointer per 3 rows.
	based := strided && mr > 8
	np := mr
	if based {
		np = (mr + 2) / 3
	}
	p := make([]reg.GPVirtual, np)
	for i := range p {
		p[i] = GP64()
	}
	cnt := GP64()
	var rs reg.GPVirtual
	if strided {
		rs = GP64()
		Load(Param("rs"), rs)
		SHLQ(U8(2), rs)
	}
	// rowMem addresses k step u of row i.
	rowMem := func(i, u int) Mem {
		if !based {
			return Mem{Base: p[i], Disp: u * 4}
		}
		m := Mem{Base: p[i/3], Disp: u * 4}
		if i%3 > 0 {
			m.Index, m.Scale = rs, uint8(i%3)
		}
		return m
	}

	step := func(u int) {
		// B 8 steps and 8 KiB ahead: a layer's weights come from memory
		// once per call (they do not stay in the caches between layers), a
		// packed sliver spans several pages, and memory latency is ~50 k
		// steps of this loop. 8 KiB measured best for cold 1x1 layers
		// (ResNet50 conv5 7-10% faster), neutral for warm ones.
		for off := 0; off < 2*vb; off += 64 {
			PREFETCHT0(Mem{Base: b, Index: ldb, Scale: 8, Disp: 8192 + off})
		}
		VMOVUPS(Mem{Base: b}, b0)
		VMOVUPS(Mem{Base: b, Disp: vb}, b1)
		ADDQ(ldb, b)
		for i := 0; i < mr; i++ {
			VBROADCASTSS(rowMem(i, u), bc)
			VFMADD231PS(b0, bc, acc[2*i])
			VFMADD231PS(b1, bc, acc[2*i+1])
		}
	}

	Label("seg")
	TESTQ(nseg, nseg)
	JE(LabelRef("epilogue"))
	if based {
		MOVQ(Mem{Base: tab}, p[0])
		for i := 1; i < np; i++ {
			LEAQ(Mem{Base: p[i-1], Index: rs, Scale: 2}, p[i])
			ADDQ(rs, p[i])
		}
		ADDQ(U8(8), tab)
	} else if strided {
		MOVQ(Mem{Base: tab}, p[0])
		for i := 1; i < mr; i++ {
			MOVQ(p[i-1], p[i])
			ADDQ(rs, p[i])
		}
		ADDQ(U8(8), tab)
	} else {
		for i := 0; i < mr; i++ {
			MOVQ(Mem{Base: tab, Disp: 8 * i}, p[i])
		}
		ADDQ(U8(8*mr), tab)
	}
	MOVQ(seglen, cnt)
	SHRQ(U8(2), cnt)
	JE(LabelRef("tail"))

	Label("k4")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	for i := range p {
		ADDQ(U8(4*unroll), p[i])
	}
	DECQ(cnt)
	JNE(LabelRef("k4"))

	Label("tail")
	MOVQ(seglen, cnt)
	ANDQ(U8(unroll-1), cnt)
	JE(LabelRef("segend"))
	Label("k1")
	step(0)
	for i := range p {
		ADDQ(U8(4), p[i])
	}
	DECQ(cnt)
	JNE(LabelRef("k1"))

	Label("segend")
	DECQ(nseg)
	JMP(LabelRef("seg"))

	Label("epilogue")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	flags := Load(Param("flags"), GP64())

	Comment("Accumulate into c.")
	TESTQ(U32(flagAccumulate), flags)
	JE(LabelRef("bias"))
	row := GP64()
	MOVQ(c, row)
	for i := 0; i < mr; i++ {
		VADDPS(Mem{Base: row}, acc[2*i], acc[2*i])
		VADDPS(Mem{Base: row, Disp: vb}, acc[2*i+1], acc[2*i+1])
		if i < mr-1 {
			ADDQ(ldc, row)
		}
	}

	Label("bias")
	TESTQ(U32(flagBias), flags)
	JE(LabelRef("relu"))
	bias := Load(Param("bias"), GP64())
	VMOVUPS(Mem{Base: bias}, b0)
	VMOVUPS(Mem{Base: bias, Disp: vb}, b1)
	for i := 0; i < mr; i++ {
		VADDPS(b0, acc[2*i], acc[2*i])
		VADDPS(b1, acc[2*i+1], acc[2*i+1])
	}

	Label("relu")
	TESTQ(U32(flagReLU|flagReLU6), flags)
	JE(LabelRef("store"))
	VXORPS(b0, b0, b0)
	for i := range acc {
		VMAXPS(b0, acc[i], acc[i])
	}
	TESTQ(U32(flagReLU6), flags)
	JE(LabelRef("store"))
	VBROADCASTSS(six, bc)
	for i := range acc {
		VMINPS(bc, acc[i], acc[i])
	}

	Label("store")
	TESTQ(U32(flagStream), flags)
	JNE(LabelRef("stream"))
	for i := 0; i < mr; i++ {
		VMOVUPS(acc[2*i], Mem{Base: c})
		VMOVUPS(acc[2*i+1], Mem{Base: c, Disp: vb})
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()

	Comment("Non-temporal stores: the output bypasses the caches (the caller fences).")
	Label("stream")
	for i := 0; i < mr; i++ {
		VMOVNTPS(acc[2*i], Mem{Base: c})
		VMOVNTPS(acc[2*i+1], Mem{Base: c, Disp: vb})
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// storeFence emits storeFence, an SFENCE that orders the non-temporal stores
// of the conv kernels before the stores that follow.
func storeFence() {
	TEXT("storeFence", NOSPLIT, "func()")
	Doc("storeFence orders earlier non-temporal stores before later stores (SFENCE).")
	SFENCE()
	RET()
}

// prefetchLines emits name(p, lines): the prefetch op on the lines cache
// lines from p on (p need not be aligned; nothing is read architecturally,
// so p may point past mapped memory). The conv engine calls it between the
// strips of one weight block to bring in the next block, whose first use
// would otherwise stall on memory (the micro-kernels prefetch only within
// their own stream).
func prefetchLines(name string, op func(Op)) {
	TEXT(name, NOSPLIT, "func(p *float32, lines int)")
	Doc(name + " prefetches lines cache lines from p on.")
	Pragma("noescape")
	ptr := Load(Param("p"), GP64())
	n := Load(Param("lines"), GP64())
	TESTQ(n, n)
	JLE(LabelRef("done"))
	Label("loop")
	op(Mem{Base: ptr})
	ADDQ(U8(64), ptr)
	DECQ(n)
	JNE(LabelRef("loop"))
	Label("done")
	RET()
}

// depthwiseForward emits a 3x3 depthwise convolution over a run of output
// pixels of one output row, multiplier 1. rows holds three pointers (filter
// rows kh = 0, 1, 2) to the input of the run's first pixel at its first tap;
// tap (kh, kw) of pixel i is at rows[kh] + i*xs + kw*xd floats. The weights
// come packed by channel block (packDepthwise3x3): per block of 32 channels,
// then per block of 8, the nine taps and the bias, so that the loop runs pixel
// by pixel (the input streams once) with every weight at a fixed offset.
func depthwiseForward(name, act string, lanes int, vec func() reg.VecVirtual) {
	vb1 := 4 * lanes // bytes per vector
	zeroV, sixV := zero, six8
	if lanes == 16 {
		zeroV, sixV = zero16, six16
	}
	TEXT(name, NOSPLIT, "func(rows **float32, wp, out *float32, count, c, xs, xd int)")
	Doc(
		fmt.Sprintf("%s computes, for i < count and channels j < c (a multiple of %d):", name, lanes),
		"out[i*c+j] = act(bias[j] + sum over kh, kw < 3 of rows[kh][i*xs+kw*xd+j] * w[kh][kw][j]),",
		fmt.Sprintf("with w and bias packed by packDepthwise3x3 into wp; act: %s.", act),
	)
	Pragma("noescape")
	rowsp := Load(Param("rows"), GP64())
	q := []reg.GPVirtual{GP64(), GP64(), GP64()}
	for k := range q {
		MOVQ(Mem{Base: rowsp, Disp: 8 * k}, q[k])
	}
	cbytes := Load(Param("c"), GP64())
	SHLQ(U8(2), cbytes)
	adv := Load(Param("xs"), GP64()) // bytes from one pixel's end of channels to the next pixel
	SHLQ(U8(2), adv)
	SUBQ(cbytes, adv)
	xd := Load(Param("xd"), GP64())
	SHLQ(U8(2), xd)
	o := Load(Param("out"), GP64())
	count := Load(Param("count"), GP64())
	n32 := GP64()
	MOVQ(cbytes, n32)
	big := 4 * vb1              // bytes per big block: four vectors
	SHRQ(U8(shiftOf(big)), n32) // big blocks of 4*lanes channels
	n8 := GP64()
	MOVQ(cbytes, n8)
	ANDQ(U32(big-1), n8)
	SHRQ(U8(shiftOf(vb1)), n8) // then single vectors
	wb, cnt := GP64(), GP64()
	acc := []reg.VecVirtual{vec(), vec(), vec(), vec()}
	xv := []reg.VecVirtual{vec(), vec(), vec(), vec()}

	block := func(w int) {
		vb := vb1 * w // bytes per tap in this block
		for v := 0; v < w; v++ {
			VMOVUPS(Mem{Base: wb, Disp: 9*vb + vb1*v}, acc[v])
		}
		for k := 0; k < 3; k++ {
			for kw := 0; kw < 3; kw++ {
				for v := 0; v < w; v++ {
					m := Mem{Base: q[k], Disp: vb1 * v}
					if kw > 0 {
						m = Mem{Base: q[k], Index: xd, Scale: uint8(kw), Disp: vb1 * v}
					}
					VMOVUPS(m, xv[v])
					VFMADD231PS(Mem{Base: wb, Disp: (3*k+kw)*vb + vb1*v}, xv[v], acc[v])
				}
			}
		}
		for v := 0; v < w; v++ {
			switch act {
			case "relu":
				VMAXPS(zeroV, acc[v], acc[v])
			case "relu6":
				VMAXPS(zeroV, acc[v], acc[v])
				VMINPS(sixV, acc[v], acc[v])
			}
			VMOVUPS(acc[v], Mem{Base: o, Disp: vb1 * v})
		}
		for k := range q {
			ADDQ(U32(vb), q[k])
		}
		ADDQ(U32(10*vb), wb)
		ADDQ(U32(vb), o)
	}

	Label("pixel")
	Load(Param("wp"), wb)
	MOVQ(n32, cnt)
	TESTQ(cnt, cnt)
	JE(LabelRef("tail"))
	Label("b32")
	block(4)
	DECQ(cnt)
	JNE(LabelRef("b32"))
	Label("tail")
	MOVQ(n8, cnt)
	TESTQ(cnt, cnt)
	JE(LabelRef("next"))
	Label("b8")
	block(1)
	DECQ(cnt)
	JNE(LabelRef("b8"))
	Label("next")
	for k := range q {
		ADDQ(adv, q[k])
	}
	DECQ(count)
	JNE(LabelRef("pixel"))
	VZEROUPPER()
	RET()
}

// depthwiseWeightGrad emits the 3x3 depthwise weight gradient over a run of
// output pixels (same rows layout as depthwiseForward): the nine accumulators
// of a channel block stay in registers over the run and are added into dw.
func depthwiseWeightGrad(name string, lanes int, vec func() reg.VecVirtual) {
	TEXT(name, NOSPLIT, "func(rows **float32, dy, dw *float32, count, c, xs, xd int)")
	Doc(
		fmt.Sprintf("%s adds, for taps kh, kw < 3 and channels j < c (a multiple of %d):", name, lanes),
		"dw[(kh*3+kw)*c+j] += sum over i < count of rows[kh][i*xs+kw*xd+j] * dy[i*c+j].",
	)
	Pragma("noescape")
	rowsp := Load(Param("rows"), GP64())
	dy := Load(Param("dy"), GP64())
	dw := Load(Param("dw"), GP64())
	cb := GP64()
	cbytes := Load(Param("c"), GP64())
	SHLQ(U8(2), cbytes)
	xs := Load(Param("xs"), GP64())
	SHLQ(U8(2), xs)
	xd := Load(Param("xd"), GP64())
	SHLQ(U8(2), xd)
	XORQ(cb, cb)
	acc := make([]reg.VecVirtual, 9)
	for t := range acc {
		acc[t] = vec()
	}
	g := vec()
	r := []reg.GPVirtual{GP64(), GP64(), GP64()}
	o, i := GP64(), GP64()

	Label("block")
	CMPQ(cb, cbytes)
	JAE(LabelRef("done"))
	for t := range acc {
		VXORPS(acc[t], acc[t], acc[t])
	}
	for k := 0; k < 3; k++ {
		MOVQ(Mem{Base: rowsp, Disp: 8 * k}, r[k])
		ADDQ(cb, r[k])
	}
	MOVQ(dy, o)
	ADDQ(cb, o)
	Load(Param("count"), i)

	Label("pixel")
	VMOVUPS(Mem{Base: o}, g)
	for k := 0; k < 3; k++ {
		VFMADD231PS(Mem{Base: r[k]}, g, acc[3*k])
		VFMADD231PS(Mem{Base: r[k], Index: xd, Scale: 1}, g, acc[3*k+1])
		VFMADD231PS(Mem{Base: r[k], Index: xd, Scale: 2}, g, acc[3*k+2])
		ADDQ(xs, r[k])
	}
	ADDQ(cbytes, o)
	DECQ(i)
	JNE(LabelRef("pixel"))

	MOVQ(dw, o)
	ADDQ(cb, o)
	for t := 0; t < 9; t++ {
		VADDPS(Mem{Base: o}, acc[t], acc[t])
		VMOVUPS(acc[t], Mem{Base: o})
		if t < 8 {
			ADDQ(cbytes, o)
		}
	}
	ADDQ(U8(4*lanes), cb)
	JMP(LabelRef("block"))

	Label("done")
	VZEROUPPER()
	RET()
}

// poolRows emits a pooling kernel over n rows given by pointers: out[j] =
// max over i < n of rows[i][j] (max), or scale * sum (average), for j < c, c a
// multiple of 8; 32 channels per step, then 8.
func poolRows(name string, isMax bool) {
	if isMax {
		TEXT(name, NOSPLIT, "func(rows **float32, n, c int, out *float32)")
		Doc(name + " sets out[j] = max over i < n (n >= 1) of rows[i][j], for j < c (a multiple of 8).")
	} else {
		TEXT(name, NOSPLIT, "func(rows **float32, n, c int, scale float32, out *float32)")
		Doc(name + " sets out[j] = scale * sum over i < n (n >= 1) of rows[i][j], for j < c (a multiple of 8).")
	}
	Pragma("noescape")
	rows := Load(Param("rows"), GP64())
	n := Load(Param("n"), GP64())
	cbytes := Load(Param("c"), GP64())
	SHLQ(U8(2), cbytes)
	out := Load(Param("out"), GP64())
	sc := YMM()
	if !isMax {
		s, _ := Param("scale").Resolve()
		VBROADCASTSS(s.Addr, sc)
	}
	cb := GP64()
	XORQ(cb, cb)
	acc := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	ptr, i, tab := GP64(), GP64(), GP64()
	op := func(m Mem, a reg.VecVirtual) {
		if isMax {
			VMAXPS(m, a, a)
		} else {
			VADDPS(m, a, a)
		}
	}
	for _, w := range []int{4, 1} {
		lbl := fmt.Sprintf("w%d", w)
		Label(lbl)
		tmp := GP64()
		MOVQ(cb, tmp)
		ADDQ(U8(32*w), tmp)
		CMPQ(tmp, cbytes)
		if w == 4 {
			JA(LabelRef("w1"))
		} else {
			JA(LabelRef("done"))
		}
		MOVQ(Mem{Base: rows}, ptr)
		for v := 0; v < w; v++ {
			VMOVUPS(Mem{Base: ptr, Index: cb, Scale: 1, Disp: 32 * v}, acc[v])
		}
		MOVQ(rows, tab)
		MOVQ(n, i)
		DECQ(i)
		JE(LabelRef(lbl + "store"))
		Label(lbl + "row")
		ADDQ(U8(8), tab)
		MOVQ(Mem{Base: tab}, ptr)
		for v := 0; v < w; v++ {
			op(Mem{Base: ptr, Index: cb, Scale: 1, Disp: 32 * v}, acc[v])
		}
		DECQ(i)
		JNE(LabelRef(lbl + "row"))
		Label(lbl + "store")
		for v := 0; v < w; v++ {
			if !isMax {
				VMULPS(sc, acc[v], acc[v])
			}
			VMOVUPS(acc[v], Mem{Base: out, Index: cb, Scale: 1, Disp: 32 * v})
		}
		ADDQ(U8(32*w), cb)
		JMP(LabelRef(lbl))
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// depthwiseTaps emits depthwiseTapsAct, the general depthwise pixel kernel: a
// sum of n elementwise products of rows given by two pointer tables (input
// pixels and the matching filter taps), plus a bias, then the activation. Any filter,
// stride and dilation, the border pixels of the row kernels, and the input
// gradient come down to it.
func depthwiseTaps() {
	TEXT("depthwiseTapsAct", NOSPLIT, "func(xs, ws **float32, n, c int, bias, out *float32, flags int)")
	Doc(
		"depthwiseTapsAct sets out[j] = act(bias[j] + sum over i < n of xs[i][j] * ws[i][j]), for j < c (a multiple of 8);",
		"act = max(.,0) if flags&4, min(max(.,0),6) if flags&8.",
	)
	Pragma("noescape")
	xs := Load(Param("xs"), GP64())
	ws := Load(Param("ws"), GP64())
	n := Load(Param("n"), GP64())
	cbytes := Load(Param("c"), GP64())
	SHLQ(U8(2), cbytes)
	bias := Load(Param("bias"), GP64())
	out := Load(Param("out"), GP64())
	flags := Load(Param("flags"), GP64())
	cb := GP64()
	XORQ(cb, cb)
	acc := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	tmp := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	xp, wp, i := GP64(), GP64(), GP64()
	for _, w := range []int{4, 1} {
		lbl := fmt.Sprintf("w%d", w)
		Label(lbl)
		end := GP64()
		MOVQ(cb, end)
		ADDQ(U8(32*w), end)
		CMPQ(end, cbytes)
		if w == 4 {
			JA(LabelRef("w1"))
		} else {
			JA(LabelRef("done"))
		}
		for v := 0; v < w; v++ {
			VMOVUPS(Mem{Base: bias, Index: cb, Scale: 1, Disp: 32 * v}, acc[v])
		}
		XORQ(i, i)
		Label(lbl + "tap")
		CMPQ(i, n)
		JAE(LabelRef(lbl + "act"))
		MOVQ(Mem{Base: xs, Index: i, Scale: 8}, xp)
		MOVQ(Mem{Base: ws, Index: i, Scale: 8}, wp)
		for v := 0; v < w; v++ {
			VMOVUPS(Mem{Base: wp, Index: cb, Scale: 1, Disp: 32 * v}, tmp[v])
			VFMADD231PS(Mem{Base: xp, Index: cb, Scale: 1, Disp: 32 * v}, tmp[v], acc[v])
		}
		INCQ(i)
		JMP(LabelRef(lbl + "tap"))
		Label(lbl + "act")
		TESTQ(U32(flagReLU|flagReLU6), flags)
		JE(LabelRef(lbl + "store"))
		for v := 0; v < w; v++ {
			VMAXPS(zero, acc[v], acc[v])
		}
		TESTQ(U32(flagReLU6), flags)
		JE(LabelRef(lbl + "store"))
		for v := 0; v < w; v++ {
			VMINPS(six8, acc[v], acc[v])
		}
		Label(lbl + "store")
		for v := 0; v < w; v++ {
			VMOVUPS(acc[v], Mem{Base: out, Index: cb, Scale: 1, Disp: 32 * v})
		}
		ADDQ(U8(32*w), cb)
		JMP(LabelRef(lbl))
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// depthwiseTapsGrad emits the weight-gradient twin of depthwiseTapsAct: for n
// (input pixel, gradient row) pairs, acc rows += input * dy.
func depthwiseTapsGrad() {
	TEXT("depthwiseTapsGrad", NOSPLIT, "func(xs, accs **float32, n, c int, dy *float32)")
	Doc("depthwiseTapsGrad adds xs[i][j] * dy[j] to accs[i][j] for i < n and j < c (a multiple of 8).")
	Pragma("noescape")
	xs := Load(Param("xs"), GP64())
	as := Load(Param("accs"), GP64())
	n := Load(Param("n"), GP64())
	cbytes := Load(Param("c"), GP64())
	SHLQ(U8(2), cbytes)
	dy := Load(Param("dy"), GP64())
	cb := GP64()
	XORQ(cb, cb)
	g := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	tmp := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	xp, ap, i := GP64(), GP64(), GP64()
	for _, w := range []int{4, 1} {
		lbl := fmt.Sprintf("w%d", w)
		Label(lbl)
		end := GP64()
		MOVQ(cb, end)
		ADDQ(U8(32*w), end)
		CMPQ(end, cbytes)
		if w == 4 {
			JA(LabelRef("w1"))
		} else {
			JA(LabelRef("done"))
		}
		for v := 0; v < w; v++ {
			VMOVUPS(Mem{Base: dy, Index: cb, Scale: 1, Disp: 32 * v}, g[v])
		}
		XORQ(i, i)
		Label(lbl + "tap")
		CMPQ(i, n)
		JAE(LabelRef(lbl + "next"))
		MOVQ(Mem{Base: xs, Index: i, Scale: 8}, xp)
		MOVQ(Mem{Base: as, Index: i, Scale: 8}, ap)
		for v := 0; v < w; v++ {
			VMOVUPS(Mem{Base: ap, Index: cb, Scale: 1, Disp: 32 * v}, tmp[v])
			VFMADD231PS(Mem{Base: xp, Index: cb, Scale: 1, Disp: 32 * v}, g[v], tmp[v])
			VMOVUPS(tmp[v], Mem{Base: ap, Index: cb, Scale: 1, Disp: 32 * v})
		}
		INCQ(i)
		JMP(LabelRef(lbl + "tap"))
		Label(lbl + "next")
		ADDQ(U8(32*w), cb)
		JMP(LabelRef(lbl))
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// elementwise emits the vector loops of the elementwise kernels: 32 floats per
// step, then 8; the caller does the last n%8 in Go.
func elementwise() {
	// act applies the activation selected by flags (in a register) to v.
	act := func(flags reg.Register, v []reg.VecVirtual, lbl string) {
		TESTQ(U32(flagReLU|flagReLU6), flags)
		JE(LabelRef(lbl))
		for _, x := range v {
			VMAXPS(zero, x, x)
		}
		TESTQ(U32(flagReLU6), flags)
		JE(LabelRef(lbl))
		for _, x := range v {
			VMINPS(six8, x, x)
		}
		Label(lbl)
	}
	// loop emits the 32- then 8-float loops over i (bytes) < n*4: body(w,
	// disp, vectors) for w vectors.
	loop := func(n, i reg.Register, body func(w int, v []reg.VecVirtual)) {
		v := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
		end := GP64()
		XORQ(i, i)
		for _, w := range []int{4, 1} {
			lbl := fmt.Sprintf("w%d", w)
			Label(lbl)
			MOVQ(i, end)
			ADDQ(U8(32*w), end)
			CMPQ(end, n)
			if w == 4 {
				JA(LabelRef("w1"))
			} else {
				JA(LabelRef("done"))
			}
			body(w, v[:w])
			ADDQ(U8(32*w), i)
			JMP(LabelRef(lbl))
		}
		Label("done")
		VZEROUPPER()
		RET()
	}
	at := func(base, i reg.Register, k int) Mem { return Mem{Base: base, Index: i, Scale: 1, Disp: 32 * k} }

	TEXT("vecAddAct", NOSPLIT, "func(a, b, y *float32, n, flags int)")
	Doc("vecAddAct sets y[i] = act(a[i] + b[i]) for i < n rounded down to a multiple of 8 (act by flags as in the conv kernels).")
	Pragma("noescape")
	{
		a, b, y := Load(Param("a"), GP64()), Load(Param("b"), GP64()), Load(Param("y"), GP64())
		n := Load(Param("n"), GP64())
		SHLQ(U8(2), n)
		flags := Load(Param("flags"), GP64())
		i := GP64()
		loop(n, i, func(w int, v []reg.VecVirtual) {
			for k := range v {
				VMOVUPS(at(a, i, k), v[k])
				VADDPS(at(b, i, k), v[k], v[k])
			}
			act(flags, v, fmt.Sprintf("st%d", w))
			for k := range v {
				VMOVUPS(v[k], at(y, i, k))
			}
		})
	}

	TEXT("vecAct", NOSPLIT, "func(x, y *float32, n, flags int)")
	Doc("vecAct sets y[i] = act(x[i]) for i < n rounded down to a multiple of 8.")
	Pragma("noescape")
	{
		x, y := Load(Param("x"), GP64()), Load(Param("y"), GP64())
		n := Load(Param("n"), GP64())
		SHLQ(U8(2), n)
		flags := Load(Param("flags"), GP64())
		i := GP64()
		loop(n, i, func(w int, v []reg.VecVirtual) {
			for k := range v {
				VMOVUPS(at(x, i, k), v[k])
			}
			act(flags, v, fmt.Sprintf("st%d", w))
			for k := range v {
				VMOVUPS(v[k], at(y, i, k))
			}
		})
	}

	TEXT("vecActGrad", NOSPLIT, "func(x, dy, dx *float32, n, flags int)")
	Doc(
		"vecActGrad sets dx[i] = dy[i] where x[i] > 0 (and x[i] < 6 with flags&8), else 0,",
		"for i < n rounded down to a multiple of 8.",
	)
	Pragma("noescape")
	{
		x, dy, dx := Load(Param("x"), GP64()), Load(Param("dy"), GP64()), Load(Param("dx"), GP64())
		n := Load(Param("n"), GP64())
		SHLQ(U8(2), n)
		flags := Load(Param("flags"), GP64())
		six := YMM()
		VMOVUPS(six8, six)
		TESTQ(U32(flagReLU6), flags)
		JNE(LabelRef("capped"))
		VBROADCASTSS(inf, six) // no cap: compare with +Inf
		Label("capped")
		i := GP64()
		m := YMM()
		loop(n, i, func(w int, v []reg.VecVirtual) {
			for k := range v {
				VMOVUPS(at(x, i, k), v[k])
				VCMPPS(U8(14), zero, v[k], m)  // x > 0 (GT_OS)
				VCMPPS(U8(1), six, v[k], v[k]) // x < cap (LT_OS)
				VANDPS(m, v[k], v[k])
				VANDPS(at(dy, i, k), v[k], v[k])
				VMOVUPS(v[k], at(dx, i, k))
			}
		})
	}

	TEXT("vecBiasAct", NOSPLIT, "func(x, scale, shift, y *float32, rows, c, flags int)")
	Doc(
		"vecBiasAct sets y[r*c+j] = act(x[r*c+j]*scale[j] + shift[j]) (scale nil: 1) for r < rows and j < c,",
		"c a multiple of 8.",
	)
	Pragma("noescape")
	{
		x, y := Load(Param("x"), GP64()), Load(Param("y"), GP64())
		scale, shift := Load(Param("scale"), GP64()), Load(Param("shift"), GP64())
		rows := Load(Param("rows"), GP64())
		c := Load(Param("c"), GP64())
		SHLQ(U8(2), c)
		flags := Load(Param("flags"), GP64())
		j, end := GP64(), GP64()
		v := YMM()
		Label("row")
		TESTQ(rows, rows)
		JE(LabelRef("done"))
		XORQ(j, j)
		Label("col")
		MOVQ(j, end)
		ADDQ(U8(32), end)
		CMPQ(end, c)
		JA(LabelRef("next"))
		VMOVUPS(at(x, j, 0), v)
		TESTQ(scale, scale)
		JE(LabelRef("noscale"))
		VMULPS(at(scale, j, 0), v, v)
		Label("noscale")
		VADDPS(at(shift, j, 0), v, v)
		act(flags, []reg.VecVirtual{v}, "st")
		VMOVUPS(v, at(y, j, 0))
		ADDQ(U8(32), j)
		JMP(LabelRef("col"))
		Label("next")
		ADDQ(c, x)
		ADDQ(c, y)
		DECQ(rows)
		JMP(LabelRef("row"))
		Label("done")
		VZEROUPPER()
		RET()
	}

	TEXT("vecAxpy", NOSPLIT, "func(alpha float32, x, y *float32, n int)")
	Doc("vecAxpy sets y[i] += alpha * x[i] for i < n rounded down to a multiple of 8.")
	Pragma("noescape")
	{
		x, y := Load(Param("x"), GP64()), Load(Param("y"), GP64())
		n := Load(Param("n"), GP64())
		SHLQ(U8(2), n)
		al, _ := Param("alpha").Resolve()
		av := YMM()
		VBROADCASTSS(al.Addr, av)
		i := GP64()
		loop(n, i, func(w int, v []reg.VecVirtual) {
			for k := range v {
				VMOVUPS(at(y, i, k), v[k])
				VFMADD231PS(at(x, i, k), av, v[k])
				VMOVUPS(v[k], at(y, i, k))
			}
		})
	}
}

// transpose emits transpose8x8Tiles: dst = src transposed over a region of
// whole 8 x 8 tiles, each tile through unpack/shuffle/permute in registers.
func transpose() {
	TEXT("transpose8x8Tiles", NOSPLIT, "func(src *float32, lds int, dst *float32, ldd int, rows, cols int)")
	Doc(
		"transpose8x8Tiles sets dst[j*ldd+i] = src[i*lds+j] for i < rows and j < cols,",
		"rows and cols multiples of 8.",
	)
	Pragma("noescape")
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	SHLQ(U8(2), lds)
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	rows := Load(Param("rows"), GP64())
	SHRQ(U8(3), rows)
	cols := Load(Param("cols"), GP64())
	SHRQ(U8(3), cols)
	r := make([]reg.VecVirtual, 8)
	t := make([]reg.VecVirtual, 8)
	for i := range r {
		r[i], t[i] = YMM(), YMM()
	}
	bj, sp, dp := GP64(), GP64(), GP64()
	Label("rowtile")
	TESTQ(rows, rows)
	JE(LabelRef("done"))
	MOVQ(cols, bj)
	MOVQ(src, sp)
	MOVQ(dst, dp)
	Label("coltile")
	ptr := GP64()
	MOVQ(sp, ptr)
	for i := 0; i < 8; i++ {
		VMOVUPS(Mem{Base: ptr}, r[i])
		if i < 7 {
			ADDQ(lds, ptr)
		}
	}
	for k := 0; k < 4; k++ {
		VUNPCKLPS(r[2*k+1], r[2*k], t[2*k])
		VUNPCKHPS(r[2*k+1], r[2*k], t[2*k+1])
	}
	for k := 0; k < 2; k++ {
		a, b := t[4*k], t[4*k+2]   // unpacklo of rows 4k,4k+1 and 4k+2,4k+3
		c, d := t[4*k+1], t[4*k+3] // unpackhi
		VSHUFPS(U8(0x44), b, a, r[4*k])
		VSHUFPS(U8(0xEE), b, a, r[4*k+1])
		VSHUFPS(U8(0x44), d, c, r[4*k+2])
		VSHUFPS(U8(0xEE), d, c, r[4*k+3])
	}
	for k := 0; k < 4; k++ {
		VPERM2F128(U8(0x20), r[4+k], r[k], t[k])
		VPERM2F128(U8(0x31), r[4+k], r[k], t[4+k])
	}
	MOVQ(dp, ptr)
	for i := 0; i < 8; i++ {
		VMOVUPS(t[i], Mem{Base: ptr})
		if i < 7 {
			ADDQ(ldd, ptr)
		}
	}
	ADDQ(U8(32), sp)
	// Next column tile: dst moves down 8 rows.
	MOVQ(ldd, ptr)
	SHLQ(U8(3), ptr)
	ADDQ(ptr, dp)
	DECQ(bj)
	JNE(LabelRef("coltile"))
	// Next row tile: src down 8 rows, dst right 8 columns.
	MOVQ(lds, ptr)
	SHLQ(U8(3), ptr)
	ADDQ(ptr, src)
	ADDQ(U8(32), dst)
	DECQ(rows)
	JMP(LabelRef("rowtile"))
	Label("done")
	VZEROUPPER()
	RET()
}

// columnSums emits the per-channel reductions and the two-input affine map of
// batch normalisation's training mode over rows of c channels (c a multiple of
// 8): sums in float32 over the rows given, which the caller keeps short and
// adds up in float64.
func columnSums() {
	// colLoop runs body(j) for the byte offsets j < c*4 of one row, 8 floats
	// at a time, then steps the row pointers; for rows rows.
	colLoop := func(rows, c reg.Register, ptrs []reg.Register, body func(j reg.Register)) {
		j, end := GP64(), GP64()
		Label("row")
		TESTQ(rows, rows)
		JE(LabelRef("done"))
		XORQ(j, j)
		Label("col")
		MOVQ(j, end)
		ADDQ(U8(32), end)
		CMPQ(end, c)
		JA(LabelRef("next"))
		body(j)
		ADDQ(U8(32), j)
		JMP(LabelRef("col"))
		Label("next")
		for _, p := range ptrs {
			ADDQ(c, p)
		}
		DECQ(rows)
		JMP(LabelRef("row"))
		Label("done")
		VZEROUPPER()
		RET()
	}
	at := func(base, i reg.Register) Mem { return Mem{Base: base, Index: i, Scale: 1} }

	TEXT("vecColSumSq", NOSPLIT, "func(x, mean, sum, sumsq *float32, rows, c int)")
	Doc(
		"vecColSumSq adds, per channel j < c (a multiple of 8), the sum over r < rows of x[r*c+j] to sum[j]",
		"and, when mean is not nil, of (x[r*c+j]-mean[j])^2 to sumsq[j] (sum is then unused).",
	)
	Pragma("noescape")
	{
		x, mean := Load(Param("x"), GP64()), Load(Param("mean"), GP64())
		sum, sumsq := Load(Param("sum"), GP64()), Load(Param("sumsq"), GP64())
		rows, c := Load(Param("rows"), GP64()), Load(Param("c"), GP64())
		SHLQ(U8(2), c)
		v, a := YMM(), YMM()
		colLoop(rows, c, []reg.Register{x}, func(j reg.Register) {
			VMOVUPS(at(x, j), v)
			TESTQ(mean, mean)
			JE(LabelRef("plain"))
			VSUBPS(at(mean, j), v, v)
			VMOVUPS(at(sumsq, j), a)
			VFMADD231PS(v, v, a)
			VMOVUPS(a, at(sumsq, j))
			JMP(LabelRef("step"))
			Label("plain")
			VADDPS(at(sum, j), v, v)
			VMOVUPS(v, at(sum, j))
			Label("step")
		})
	}

	TEXT("vecColDot", NOSPLIT, "func(x, dy, mean, sdy, sdyx *float32, rows, c int)")
	Doc("vecColDot adds, per channel j < c (a multiple of 8), the sums over r < rows of dy and of dy*(x-mean[j]) to sdy[j] and sdyx[j].")
	Pragma("noescape")
	{
		x, dy, mean := Load(Param("x"), GP64()), Load(Param("dy"), GP64()), Load(Param("mean"), GP64())
		sdy, sdyx := Load(Param("sdy"), GP64()), Load(Param("sdyx"), GP64())
		rows, c := Load(Param("rows"), GP64()), Load(Param("c"), GP64())
		SHLQ(U8(2), c)
		v, g, a := YMM(), YMM(), YMM()
		colLoop(rows, c, []reg.Register{x, dy}, func(j reg.Register) {
			VMOVUPS(at(dy, j), g)
			VMOVUPS(at(x, j), v)
			VSUBPS(at(mean, j), v, v)
			VMOVUPS(at(sdyx, j), a)
			VFMADD231PS(v, g, a)
			VMOVUPS(a, at(sdyx, j))
			VADDPS(at(sdy, j), g, g)
			VMOVUPS(g, at(sdy, j))
		})
	}

	TEXT("vecColAffine2", NOSPLIT, "func(a, b, sa, sb, shift, y *float32, rows, c int)")
	Doc("vecColAffine2 sets y[r*c+j] = a[r*c+j]*sa[j] + b[r*c+j]*sb[j] + shift[j] for r < rows, j < c (a multiple of 8).")
	Pragma("noescape")
	{
		a, b := Load(Param("a"), GP64()), Load(Param("b"), GP64())
		sa, sb, shift := Load(Param("sa"), GP64()), Load(Param("sb"), GP64()), Load(Param("shift"), GP64())
		y := Load(Param("y"), GP64())
		rows, c := Load(Param("rows"), GP64()), Load(Param("c"), GP64())
		SHLQ(U8(2), c)
		v, u := YMM(), YMM()
		colLoop(rows, c, []reg.Register{a, b, y}, func(j reg.Register) {
			VMOVUPS(at(shift, j), v)
			VMOVUPS(at(a, j), u)
			VFMADD231PS(at(sa, j), u, v)
			VMOVUPS(at(b, j), u)
			VFMADD231PS(at(sb, j), u, v)
			VMOVUPS(v, at(y, j))
		})
	}
}

// poolMaxGrad emits poolMaxGradRows, the max-pooling gradient of one window:
// per channel, dy goes to the first of the n input rows that holds the
// window's maximum (row order as given).
func poolMaxGrad() {
	TEXT("poolMaxGradRows", NOSPLIT, "func(xs, dxs **float32, n, c int, dy *float32)")
	Doc(
		"poolMaxGradRows adds dy[j] to dxs[i][j] for the first i < n (n >= 1) with xs[i][j] equal to",
		"the maximum over i of xs[i][j], for j < c (a multiple of 8).",
	)
	Pragma("noescape")
	xs := Load(Param("xs"), GP64())
	dxs := Load(Param("dxs"), GP64())
	n := Load(Param("n"), GP64())
	cbytes := Load(Param("c"), GP64())
	SHLQ(U8(2), cbytes)
	dy := Load(Param("dy"), GP64())
	cb, i, ptr := GP64(), GP64(), GP64()
	m, g, taken, eq, t := YMM(), YMM(), YMM(), YMM(), YMM()
	XORQ(cb, cb)
	Label("block")
	CMPQ(cb, cbytes)
	JAE(LabelRef("done"))
	MOVQ(Mem{Base: xs}, ptr)
	VMOVUPS(Mem{Base: ptr, Index: cb, Scale: 1}, m)
	MOVQ(U32(1), i)
	Label("max")
	CMPQ(i, n)
	JAE(LabelRef("grad"))
	MOVQ(Mem{Base: xs, Index: i, Scale: 8}, ptr)
	VMAXPS(Mem{Base: ptr, Index: cb, Scale: 1}, m, m)
	INCQ(i)
	JMP(LabelRef("max"))
	Label("grad")
	VMOVUPS(Mem{Base: dy, Index: cb, Scale: 1}, g)
	VXORPS(taken, taken, taken)
	XORQ(i, i)
	Label("row")
	CMPQ(i, n)
	JAE(LabelRef("next"))
	MOVQ(Mem{Base: xs, Index: i, Scale: 8}, ptr)
	VCMPPS(U8(0), Mem{Base: ptr, Index: cb, Scale: 1}, m, eq) // x == max
	VANDNPS(eq, taken, eq)                                    // and not yet routed
	VORPS(eq, taken, taken)
	VANDPS(g, eq, t)
	MOVQ(Mem{Base: dxs, Index: i, Scale: 8}, ptr)
	VADDPS(Mem{Base: ptr, Index: cb, Scale: 1}, t, t)
	VMOVUPS(t, Mem{Base: ptr, Index: cb, Scale: 1})
	INCQ(i)
	JMP(LabelRef("row"))
	Label("next")
	ADDQ(U8(32), cb)
	JMP(LabelRef("block"))
	Label("done")
	VZEROUPPER()
	RET()
}

// depthwiseKxK emits the depthwise convolution for any filter size over a
// run of output pixels of one output row, multiplier 1, every tap of the run
// inside the input (the caller keeps border pixels and filter rows in the
// padding out). Tap (a, b) of pixel i of channel j is at x[a*xr + i*xs +
// b*xd + j], its weight at w[(a*kw+b)*c + j] (Keras' layout, from the run's
// first filter row). Channel blocks (wide lanes, then a block of 8 for the
// rest) run outermost, so that a block's input rows stay in L1 while the run
// goes by; each weight vector, loaded once per group of eight pixels, serves
// eight FMAs whose input operands come straight from memory: one load per
// FMA where the 3x3 row kernel needs two.
func depthwiseKxK(name string, wide int) {
	TEXT(name, NOSPLIT, "func(x *float32, xr, kh int, w *float32, kw int, bias, out *float32, count, c, xs, xd, flags int)")
	Doc(
		fmt.Sprintf("%s sets, for i < count and channels j < c (a multiple of 8),", name),
		"out[i*c+j] = act(bias[j] + sum over a < kh, b < kw of x[a*xr+i*xs+b*xd+j] * w[(a*kw+b)*c+j]);",
		"act = max(.,0) if flags&4, min(max(.,0),6) if flags&8.",
	)
	Pragma("noescape")
	// Byte strides and counters, kept in the frame where the inner loops do
	// not need them.
	locals := AllocLocal(4 * 8)
	lCB, lBlocks, lGroups, lXR := locals.Offset(0), locals.Offset(8), locals.Offset(16), locals.Offset(24)
	t := GP64()
	Load(Param("xr"), t)
	SHLQ(U8(2), t)
	MOVQ(t, lXR)
	xs, xs3, xd, c4 := GP64(), GP64(), GP64(), GP64()
	Load(Param("xs"), xs)
	SHLQ(U8(2), xs)
	LEAQ(Mem{Base: xs, Index: xs, Scale: 2}, xs3)
	Load(Param("xd"), xd)
	SHLQ(U8(2), xd)
	Load(Param("c"), c4)
	SHLQ(U8(2), c4)
	XORQ(t, t)
	MOVQ(t, lCB)

	// blocks emits the loop over nblk channel blocks of lanes channels,
	// from byte offset lCB on.
	blocks := func(lanes int, nblk reg.GPVirtual, vec func() reg.VecVirtual, zeroV, sixV Mem, lbl string) {
		vb := 4 * lanes
		MOVQ(nblk, lBlocks)
		TESTQ(nblk, nblk)
		JE(LabelRef(lbl + "end"))
		Label(lbl + "block")
		for _, p := range []int{8, 1} {
			plbl := fmt.Sprintf("%sp%d", lbl, p)
			// groups of p pixels: count/8, then count%8
			g := GP64()
			Load(Param("count"), g)
			if p == 8 {
				SHRQ(U8(3), g)
			} else {
				ANDQ(U8(7), g)
			}
			MOVQ(g, lGroups)
			TESTQ(g, g)
			JE(LabelRef(plbl + "end"))
			// Pixel 0 of the group: xp (input) and op (output), moved
			// forward group by group; the block's offset first.
			xp, op := GP64(), GP64()
			Load(Param("x"), xp)
			ADDQ(lCB, xp)
			Load(Param("out"), op)
			ADDQ(lCB, op)
			if p == 1 {
				// past the groups of eight
				g8 := GP64()
				Load(Param("count"), g8)
				ANDQ(I32(-8), g8)
				t2 := GP64()
				MOVQ(g8, t2)
				IMULQ(xs, t2)
				ADDQ(t2, xp)
				IMULQ(c4, g8)
				ADDQ(g8, op)
			}
			Label(plbl + "group")
			acc := make([]reg.VecVirtual, p)
			bp := GP64()
			Load(Param("bias"), bp)
			ADDQ(lCB, bp)
			for i := range acc {
				acc[i] = vec()
				VMOVUPS(Mem{Base: bp}, acc[i])
			}
			rp, wq, a := GP64(), GP64(), GP64()
			MOVQ(xp, rp)
			Load(Param("w"), wq)
			ADDQ(lCB, wq)
			Load(Param("kh"), a)
			Label(plbl + "row")
			r, rq, b := GP64(), GP64(), GP64()
			MOVQ(rp, r)
			if p == 8 {
				LEAQ(Mem{Base: rp, Index: xs, Scale: 4}, rq)
			}
			Load(Param("kw"), b)
			Label(plbl + "tap")
			wv := vec()
			VMOVUPS(Mem{Base: wq}, wv)
			if p == 8 {
				ms := []Mem{
					{Base: r}, {Base: r, Index: xs, Scale: 1}, {Base: r, Index: xs, Scale: 2}, {Base: r, Index: xs3, Scale: 1},
					{Base: rq}, {Base: rq, Index: xs, Scale: 1}, {Base: rq, Index: xs, Scale: 2}, {Base: rq, Index: xs3, Scale: 1},
				}
				for i := range acc {
					VFMADD231PS(ms[i], wv, acc[i])
				}
				ADDQ(xd, rq)
			} else {
				VFMADD231PS(Mem{Base: r}, wv, acc[0])
			}
			ADDQ(xd, r)
			ADDQ(c4, wq)
			DECQ(b)
			JNE(LabelRef(plbl + "tap"))
			ADDQ(lXR, rp)
			DECQ(a)
			JNE(LabelRef(plbl + "row"))
			// the activation, then the stores
			fl := GP64()
			Load(Param("flags"), fl)
			TESTQ(U32(flagReLU|flagReLU6), fl)
			JE(LabelRef(plbl + "store"))
			for i := range acc {
				VMAXPS(zeroV, acc[i], acc[i])
			}
			TESTQ(U32(flagReLU6), fl)
			JE(LabelRef(plbl + "store"))
			for i := range acc {
				VMINPS(sixV, acc[i], acc[i])
			}
			Label(plbl + "store")
			if p == 8 {
				c12, oq := GP64(), GP64()
				LEAQ(Mem{Base: c4, Index: c4, Scale: 2}, c12)
				LEAQ(Mem{Base: op, Index: c4, Scale: 4}, oq)
				ms := []Mem{
					{Base: op}, {Base: op, Index: c4, Scale: 1}, {Base: op, Index: c4, Scale: 2}, {Base: op, Index: c12, Scale: 1},
					{Base: oq}, {Base: oq, Index: c4, Scale: 1}, {Base: oq, Index: c4, Scale: 2}, {Base: oq, Index: c12, Scale: 1},
				}
				for i := range acc {
					VMOVUPS(acc[i], ms[i])
				}
				LEAQ(Mem{Base: oq, Index: c4, Scale: 4}, op)
				LEAQ(Mem{Base: xp, Index: xs, Scale: 8}, xp)
			} else {
				VMOVUPS(acc[0], Mem{Base: op})
				ADDQ(c4, op)
				ADDQ(xs, xp)
			}
			DECQ(lGroups)
			JNE(LabelRef(plbl + "group"))
			Label(plbl + "end")
		}
		ADDQ(U8(vb), lCB)
		DECQ(lBlocks)
		JNE(LabelRef(lbl + "block"))
		Label(lbl + "end")
	}
	n := GP64()
	Load(Param("c"), n)
	if wide == 16 {
		SHRQ(U8(4), n)
		blocks(16, n, ZMM, zero16, six16, "z")
		m := GP64()
		Load(Param("c"), m)
		ANDQ(U8(15), m)
		SHRQ(U8(3), m)
		blocks(8, m, YMM, zero, six8, "y")
	} else {
		SHRQ(U8(3), n)
		blocks(8, n, YMM, zero, six8, "y")
	}
	VZEROUPPER()
	RET()
}

// columnSums64 emits vecColSum64, global average pooling's sums: float32
// columns added into float64 accumulators, row after row, exactly the
// additions of the Go loop (so the two give the same bits). A block of 32
// channels keeps eight accumulators in registers over all the rows; then
// blocks of 8.
func columnSums64() {
	TEXT("vecColSum64", NOSPLIT, "func(x *float32, rows, c int, acc *float64)")
	Doc("vecColSum64 adds, per channel j < c (a multiple of 8), x[r*c+j] for r < rows to acc[j] in float64, r in order.")
	Pragma("noescape")
	x := Load(Param("x"), GP64())
	acc := Load(Param("acc"), GP64())
	rows := Load(Param("rows"), GP64())
	c4 := Load(Param("c"), GP64())
	SHLQ(U8(2), c4)
	cb := GP64() // byte offset of the block in a row of x
	XORQ(cb, cb)
	for _, w := range []int{8, 2} { // ymm accumulators per block: 32 channels, then 8
		lbl := fmt.Sprintf("cs%d", w)
		a := make([]reg.VecVirtual, w)
		for i := range a {
			a[i] = YMM()
		}
		Label(lbl)
		end := GP64()
		MOVQ(cb, end)
		ADDQ(U8(16*w), end)
		CMPQ(end, c4)
		JA(LabelRef(lbl + "done"))
		// acc holds 8-byte values: its offset is twice the block's
		ap := GP64()
		LEAQ(Mem{Base: acc, Index: cb, Scale: 2}, ap)
		for i := range a {
			VMOVUPD(Mem{Base: ap, Disp: 32 * i}, a[i])
		}
		p, n := GP64(), GP64()
		LEAQ(Mem{Base: x, Index: cb, Scale: 1}, p)
		MOVQ(rows, n)
		TESTQ(n, n)
		JE(LabelRef(lbl + "store"))
		Label(lbl + "row")
		t := make([]reg.VecVirtual, w)
		for i := range a {
			t[i] = YMM()
			VCVTPS2PD(Mem{Base: p, Disp: 16 * i}, t[i])
		}
		for i := range a {
			VADDPD(t[i], a[i], a[i])
		}
		ADDQ(c4, p)
		DECQ(n)
		JNE(LabelRef(lbl + "row"))
		Label(lbl + "store")
		for i := range a {
			VMOVUPD(a[i], Mem{Base: ap, Disp: 32 * i})
		}
		ADDQ(U8(16*w), cb)
		JMP(LabelRef(lbl))
		Label(lbl + "done")
	}
	VZEROUPPER()
	RET()
}

// layerNormRows emits vecLayerNormRows, LayerNormalization over rows of n
// floats (n a multiple of 16) in float64: the sum, then the sum of squared
// deviations, each in sixteen partial sums (four ymm of four doubles, lane i
// mod 16) reduced in a fixed order, then y = (x-mean)*inv*gamma + beta with
// no fused multiply-add. layerNormRowGo does the same additions in the same
// order, so the two give the same bits.
func layerNormRows() {
	TEXT("vecLayerNormRows", NOSPLIT, "func(x *float32, rows, n int, eps float64, gamma, beta, y *float32)")
	Doc(
		"vecLayerNormRows sets, for rows rows of n floats (n a multiple of 16), y = (x-mean)*inv*gamma + beta",
		"with mean and inv = 1/sqrt(var+eps) of each row, all in float64 (layerNormRowGo's order).",
	)
	Pragma("noescape")
	x, y := Load(Param("x"), GP64()), Load(Param("y"), GP64())
	rows := Load(Param("rows"), GP64())
	n := Load(Param("n"), GP64())
	nb := GP64() // bytes per row
	MOVQ(n, nb)
	SHLQ(U8(2), nb)
	nf := XMM() // n as a double
	CVTSQ2SD(n, nf)
	eps := Load(Param("eps"), XMM())
	one := XMM()
	MOVQ(U64(0x3ff0000000000000), n) // n is not needed as an integer again
	MOVQ(n, one)
	acc := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	t := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	// reduce sets s (xmm, low lane) to ((a0+a1)+(a2+a3)) folded as
	// (l0+l2)+(l1+l3) over its four lanes.
	reduce := func(s reg.VecVirtual) {
		VADDPD(acc[1], acc[0], acc[0])
		VADDPD(acc[3], acc[2], acc[2])
		VADDPD(acc[2], acc[0], acc[0])
		hi := XMM()
		VEXTRACTF128(U8(1), acc[0], hi)
		VADDPD(hi, acc[0].AsX(), hi) // (l0+l2, l1+l3)
		VUNPCKHPD(hi, hi, s.AsX())
		VADDSD(s.AsX(), hi, s.AsX())
	}
	p, i := GP64(), GP64()
	Label("row")
	TESTQ(rows, rows)
	JE(LabelRef("done"))
	// the mean
	for _, a := range acc {
		VXORPD(a, a, a)
	}
	MOVQ(x, p)
	XORQ(i, i)
	Label("sum")
	for v := range acc {
		VCVTPS2PD(Mem{Base: p, Disp: 16 * v}, t[v])
	}
	for v := range acc {
		VADDPD(t[v], acc[v], acc[v])
	}
	ADDQ(U8(64), p)
	ADDQ(U8(64), i)
	CMPQ(i, nb)
	JB(LabelRef("sum"))
	mean := YMM()
	reduce(mean)
	VDIVSD(nf, mean.AsX(), mean.AsX())
	VBROADCASTSD(mean.AsX(), mean)
	// the variance
	for _, a := range acc {
		VXORPD(a, a, a)
	}
	MOVQ(x, p)
	XORQ(i, i)
	Label("var")
	for v := range acc {
		VCVTPS2PD(Mem{Base: p, Disp: 16 * v}, t[v])
		VSUBPD(mean, t[v], t[v])
		VMULPD(t[v], t[v], t[v])
	}
	for v := range acc {
		VADDPD(t[v], acc[v], acc[v])
	}
	ADDQ(U8(64), p)
	ADDQ(U8(64), i)
	CMPQ(i, nb)
	JB(LabelRef("var"))
	inv := YMM()
	reduce(inv)
	VDIVSD(nf, inv.AsX(), inv.AsX())
	VADDSD(eps, inv.AsX(), inv.AsX())
	VSQRTSD(inv.AsX(), inv.AsX(), inv.AsX())
	VDIVSD(inv.AsX(), one, inv.AsX())
	VBROADCASTSD(inv.AsX(), inv)
	// y
	g, b := Load(Param("gamma"), GP64()), Load(Param("beta"), GP64())
	XORQ(i, i)
	Label("norm")
	for v := 0; v < 4; v++ {
		gv, bv := YMM(), YMM()
		m := Mem{Base: x, Index: i, Scale: 1, Disp: 16 * v}
		VCVTPS2PD(m, t[v])
		VSUBPD(mean, t[v], t[v])
		VMULPD(inv, t[v], t[v])
		VCVTPS2PD(Mem{Base: g, Index: i, Scale: 1, Disp: 16 * v}, gv)
		VMULPD(gv, t[v], t[v])
		VCVTPS2PD(Mem{Base: b, Index: i, Scale: 1, Disp: 16 * v}, bv)
		VADDPD(bv, t[v], t[v])
		VCVTPD2PSY(t[v], t[v].AsX())
		VMOVUPS(t[v].AsX(), Mem{Base: y, Index: i, Scale: 1, Disp: 16 * v})
	}
	ADDQ(U8(64), i)
	CMPQ(i, nb)
	JB(LabelRef("norm"))
	ADDQ(nb, x)
	ADDQ(nb, y)
	DECQ(rows)
	JMP(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}

// flushDenormals emits vecFlushDenormals: x[i] = 0 (keeping the sign) where
// |x[i]| is below the smallest normal float32, eight at a time.
func flushDenormals() {
	TEXT("vecFlushDenormals", NOSPLIT, "func(x *float32, n int)")
	Doc("vecFlushDenormals sets the denormal values of x[:n] (n a multiple of 8) to a zero of their sign.")
	Pragma("noescape")
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	SHRQ(U8(3), n)
	JZ(LabelRef("fdone"))
	absMask, minNormal := YMM(), YMM()
	t := GP32()
	MOVL(U32(0x7fffffff), t)
	VMOVD(t, absMask.AsX())
	VPBROADCASTD(absMask.AsX(), absMask)
	MOVL(U32(0x00800000), t)
	VMOVD(t, minNormal.AsX())
	VPBROADCASTD(minNormal.AsX(), minNormal)
	Label("floop")
	v, a, m := YMM(), YMM(), YMM()
	VMOVUPS(Mem{Base: x}, v)
	VANDPS(absMask, v, a)
	VPCMPGTD(a, minNormal, m) // minNormal > |x| as integers: denormal or zero
	VANDNPS(v, m, m)          // v where not flushed
	VANDNPS(v, absMask, a)    // the sign bit of v
	VORPS(a, m, m)
	VMOVUPS(m, Mem{Base: x})
	ADDQ(U8(32), x)
	DECQ(n)
	JNZ(LabelRef("floop"))
	Label("fdone")
	VZEROUPPER()
	RET()
}
