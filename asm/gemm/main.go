// Command gemm generates Keel's single-precision GEMM micro-kernels (AVX2+FMA
// 6x16 and AVX-512 14x32) and the FMA peak loops used by the benchmarks.
//
//	go run ./gemm -out ../kernels/gemm_amd64.s -stubs ../kernels/gemm_amd64_stub.go -pkg kernels
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

const unroll = 4 // k steps per micro-kernel loop iteration

func main() {
	ConstraintExpr("amd64,!purego")
	microKernel("sgemmKernel6x16", 6, 2, YMM, 8, false)
	microKernel("sgemmKernel14x32", 14, 2, ZMM, 16, false)
	microKernel("sgemmKernel6x16Direct", 6, 2, YMM, 8, true)
	microKernel("sgemmKernel14x32Direct", 14, 2, ZMM, 16, true)
	gemvPanel("gemvPanel16", YMM, 8)
	gemvPanel("gemvPanel32", ZMM, 16)
	fmaPeak("fmaPeakLoop", YMM, 8)
	fmaPeak("fmaPeakLoop512", ZMM, 16)
	Generate()
}

// microKernel emits a GEMM micro-kernel named name that computes an
// mr x (nvec*lanes) tile: C (row stride ldc) = or += a packed A sliver (k x mr,
// mr floats per step) times a packed B sliver (k x nr, nr floats per step).
// The accumulators, nvec registers for B and one for the broadcast of A must fit
// the register file: 6x16 on AVX2 takes 15 of 16 ymm, 14x32 on AVX-512 takes 31
// of 32 zmm.
//
// With direct set, A is not packed: a points at the first of mr rows of a
// row-major matrix with row stride lda floats, read in place. That saves the
// packing of A when each of its elements meets few columns of B (small n).
func microKernel(name string, mr, nvec int, vec func() reg.VecVirtual, lanes int, direct bool) {
	nr := nvec * lanes
	vbytes := lanes * 4
	if direct {
		TEXT(name, NOSPLIT, "func(k int, a *float32, lda int, b, c *float32, ldc int, accumulate bool)")
		Doc(
			fmt.Sprintf("%s computes the %dx%d tile at c (row stride ldc floats) from A in place:", name, mr, nr),
			fmt.Sprintf("c[i][j] = (accumulate ? c[i][j] : 0) + sum over p<k of a[i*lda+p] * b[p*%d+j].", nr),
		)
	} else {
		TEXT(name, NOSPLIT, "func(k int, a, b, c *float32, ldc int, accumulate bool)")
		Doc(
			fmt.Sprintf("%s computes the %dx%d tile at c (row stride ldc floats):", name, mr, nr),
			fmt.Sprintf("c[i][j] = (accumulate ? c[i][j] : 0) + sum over p<k of a[p*%d+i] * b[p*%d+j].", mr, nr),
		)
	}
	Pragma("noescape")
	k := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	// In direct mode row i of A is at bases[i/3] + (i%3)*lda: three rows per
	// base register through the index scales 1 and 2.
	var lda reg.Register
	var bases []reg.Register
	aElem := func(p, i int) Mem { return Mem{Base: a, Disp: (p*mr + i) * 4} }
	if direct {
		lda = Load(Param("lda"), GP64())
		SHLQ(U8(2), lda)
		bases = []reg.Register{a}
		for len(bases)*3 < mr {
			nb := GP64()
			LEAQ(Mem{Base: bases[len(bases)-1], Index: lda, Scale: 2}, nb)
			ADDQ(lda, nb)
			bases = append(bases, nb)
		}
		aElem = func(p, i int) Mem {
			m := Mem{Base: bases[i/3], Disp: p * 4}
			if i%3 > 0 {
				m.Index, m.Scale = lda, uint8(i%3)
			}
			return m
		}
	}
	b := Load(Param("b"), GP64())
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc) // bytes per row

	acc := make([]reg.VecVirtual, mr*nvec)
	for i := range acc {
		acc[i] = vec()
		VXORPS(acc[i], acc[i], acc[i])
	}
	bv := make([]reg.VecVirtual, nvec)
	for v := range bv {
		bv[v] = vec()
	}
	bc := vec()

	// Touch the rows of C early so they are in cache when stored.
	row := GP64()
	MOVQ(c, row)
	for i := 0; i < mr; i++ {
		for off := 0; off < nr*4; off += 64 {
			PREFETCHT0(Mem{Base: row, Disp: off})
		}
		if i < mr-1 {
			ADDQ(ldc, row)
		}
	}

	step := func(p int) {
		for v := range bv {
			VMOVUPS(Mem{Base: b, Disp: p*nr*4 + v*vbytes}, bv[v])
		}
		for i := 0; i < mr; i++ {
			VBROADCASTSS(aElem(p, i), bc)
			for v := range bv {
				VFMADD231PS(bv[v], bc, acc[i*nvec+v])
			}
		}
	}

	Comment("Main loop: unroll k steps per iteration.")
	Label("loop")
	CMPQ(k, U8(unroll))
	JL(LabelRef("tail"))
	for off := 0; off < unroll*nr*4; off += 128 {
		PREFETCHT0(Mem{Base: b, Disp: 8*nr*4 + off})
	}
	if !direct {
		PREFETCHT0(Mem{Base: a, Disp: 8 * mr * 4})
	}
	for p := 0; p < unroll; p++ {
		step(p)
	}
	advanceA(a, bases, mr, unroll)
	ADDQ(U32(unroll*nr*4), b)
	SUBQ(U8(unroll), k)
	JMP(LabelRef("loop"))

	Label("tail")
	TESTQ(k, k)
	JE(LabelRef("store"))
	step(0)
	advanceA(a, bases, mr, 1)
	ADDQ(U32(nr*4), b)
	DECQ(k)
	JMP(LabelRef("tail"))

	Label("store")
	accumulate, _ := Param("accumulate").Resolve()
	flag := GP8()
	MOVB(accumulate.Addr, flag)
	TESTB(flag, flag)
	JE(LabelRef("overwrite"))
	for i := 0; i < mr; i++ {
		for v := 0; v < nvec; v++ {
			VADDPS(Mem{Base: c, Disp: v * vbytes}, acc[i*nvec+v], acc[i*nvec+v])
			VMOVUPS(acc[i*nvec+v], Mem{Base: c, Disp: v * vbytes})
		}
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()

	Label("overwrite")
	for i := 0; i < mr; i++ {
		for v := 0; v < nvec; v++ {
			VMOVUPS(acc[i*nvec+v], Mem{Base: c, Disp: v * vbytes})
		}
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// advanceA moves the A pointers on by steps values of k: packed, one pointer
// by steps*mr floats; direct, every row base by steps floats.
func advanceA(a reg.Register, bases []reg.Register, mr, steps int) {
	if len(bases) == 0 {
		ADDQ(U32(steps*mr*4), a)
		return
	}
	for _, base := range bases {
		ADDQ(U32(steps*4), base)
	}
}

// fmaPeak emits name: n iterations of 12 independent FMA chains, the most a
// core can retire. With FMA latency 4 and two FMA pipes, 8 chains would be
// enough; 12 leaves margin for deeper pipelines.
func fmaPeak(name string, vec func() reg.VecVirtual, lanes int) {
	const chains = 12
	TEXT(name, NOSPLIT, "func(n int)")
	Doc(fmt.Sprintf("%s runs n iterations of %d independent %d-wide FMAs (%d flops each).", name, chains, lanes, chains*lanes*2))
	n := Load(Param("n"), GP64())
	acc := make([]reg.VecVirtual, chains)
	for i := range acc {
		acc[i] = vec()
		VXORPS(acc[i], acc[i], acc[i])
	}
	x, y := vec(), vec()
	VXORPS(x, x, x)
	VXORPS(y, y, y)
	Label("peak")
	TESTQ(n, n)
	JE(LabelRef("done"))
	for i := range acc {
		VFMADD231PS(x, y, acc[i])
	}
	DECQ(n)
	JMP(LabelRef("peak"))
	Label("done")
	VZEROUPPER()
	RET()
}

// gemvPanel emits name, the product of one row x with one packed B panel of
// 2*lanes columns: y[j] = (accumulate ? y[j] : 0) + sum over p<k of x[p] *
// b[p*nr+j]. A single row reuses each B element once, so the loop is bound by
// the memory streaming B: it keeps four k steps in flight in separate
// accumulators (the FMA latency would otherwise limit it) and sums them at
// the end.
func gemvPanel(name string, vec func() reg.VecVirtual, lanes int) {
	const chains = 4
	nr := 2 * lanes
	vb := lanes * 4
	TEXT(name, NOSPLIT, "func(k int, x, b, y *float32, accumulate bool)")
	Doc(
		fmt.Sprintf("%s computes y[j] = (accumulate ? y[j] : 0) + sum over p<k of x[p] * b[p*%d+j], j < %d.", name, nr, nr),
	)
	Pragma("noescape")
	k := Load(Param("k"), GP64())
	x := Load(Param("x"), GP64())
	b := Load(Param("b"), GP64())
	acc := make([]reg.VecVirtual, 2*chains)
	for i := range acc {
		acc[i] = vec()
		VXORPS(acc[i], acc[i], acc[i])
	}
	bc := vec()
	cnt := GP64()
	MOVQ(k, cnt)
	SHRQ(U8(2), cnt)
	JE(LabelRef("tail"))
	Label("k4")
	for u := 0; u < chains; u++ {
		VBROADCASTSS(Mem{Base: x, Disp: 4 * u}, bc)
		VFMADD231PS(Mem{Base: b, Disp: u * nr * 4}, bc, acc[2*u])
		VFMADD231PS(Mem{Base: b, Disp: u*nr*4 + vb}, bc, acc[2*u+1])
	}
	ADDQ(U8(4*chains), x)
	ADDQ(U32(chains*nr*4), b)
	DECQ(cnt)
	JNE(LabelRef("k4"))
	Label("tail")
	ANDQ(U8(chains-1), k)
	JE(LabelRef("sum"))
	Label("k1")
	VBROADCASTSS(Mem{Base: x}, bc)
	VFMADD231PS(Mem{Base: b}, bc, acc[0])
	VFMADD231PS(Mem{Base: b, Disp: vb}, bc, acc[1])
	ADDQ(U8(4), x)
	ADDQ(U32(nr*4), b)
	DECQ(k)
	JNE(LabelRef("k1"))
	Label("sum")
	for u := 1; u < chains; u++ {
		VADDPS(acc[2*u], acc[0], acc[0])
		VADDPS(acc[2*u+1], acc[1], acc[1])
	}
	y := Load(Param("y"), GP64())
	accumulate := Load(Param("accumulate"), GP8())
	TESTB(accumulate, accumulate)
	JE(LabelRef("store"))
	VADDPS(Mem{Base: y}, acc[0], acc[0])
	VADDPS(Mem{Base: y, Disp: vb}, acc[1], acc[1])
	Label("store")
	VMOVUPS(acc[0], Mem{Base: y})
	VMOVUPS(acc[1], Mem{Base: y, Disp: vb})
	VZEROUPPER()
	RET()
}
