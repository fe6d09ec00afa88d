// Command gemm generates Keel's AVX2+FMA single-precision GEMM micro-kernel and
// the FMA peak loop used by the benchmarks.
//
//	go run ./gemm -out ../kernels/gemm_amd64.s -stubs ../kernels/gemm_amd64_stub.go -pkg kernels
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

const (
	mr     = 6  // rows of the micro-tile: one broadcast of A each
	nr     = 16 // columns: two ymm registers of B
	unroll = 4  // k steps per loop iteration
)

func main() {
	ConstraintExpr("amd64,!purego")
	microKernel()
	fmaPeak()
	Generate()
}

// microKernel emits sgemmKernel6x16: C (6x16, row stride ldc) = or += the
// product of a packed A sliver (k x 6, six floats per step) and a packed B
// sliver (k x 16, sixteen floats per step). Twelve ymm accumulators, two for B,
// one for the broadcast of A: 15 of the 16 ymm registers.
func microKernel() {
	TEXT("sgemmKernel6x16", NOSPLIT, "func(k int, a, b, c *float32, ldc int, accumulate bool)")
	Doc(
		"sgemmKernel6x16 computes the 6x16 tile at c (row stride ldc floats):",
		"c[i][j] = (accumulate ? c[i][j] : 0) + sum over p<k of a[p*6+i] * b[p*16+j].",
	)
	Pragma("noescape")
	k := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc) // bytes per row

	acc := make([]reg.VecVirtual, 2*mr)
	for i := range acc {
		acc[i] = YMM()
		VXORPS(acc[i], acc[i], acc[i])
	}
	b0, b1, bc := YMM(), YMM(), YMM()

	// Touch the six rows of C early so they are in cache when stored.
	row := GP64()
	MOVQ(c, row)
	for i := 0; i < mr; i++ {
		PREFETCHT0(Mem{Base: row})
		PREFETCHT0(Mem{Base: row, Disp: 60})
		if i < mr-1 {
			ADDQ(ldc, row)
		}
	}

	step := func(p int) {
		VMOVUPS(Mem{Base: b, Disp: p * nr * 4}, b0)
		VMOVUPS(Mem{Base: b, Disp: p*nr*4 + 32}, b1)
		for i := 0; i < mr; i++ {
			VBROADCASTSS(Mem{Base: a, Disp: (p*mr + i) * 4}, bc)
			VFMADD231PS(b0, bc, acc[2*i])
			VFMADD231PS(b1, bc, acc[2*i+1])
		}
	}

	Comment("Main loop: unroll k steps per iteration.")
	Label("loop")
	CMPQ(k, U8(unroll))
	JL(LabelRef("tail"))
	PREFETCHT0(Mem{Base: b, Disp: 8 * nr * 4})
	PREFETCHT0(Mem{Base: b, Disp: 8*nr*4 + 64})
	PREFETCHT0(Mem{Base: a, Disp: 8 * mr * 4})
	for p := 0; p < unroll; p++ {
		step(p)
	}
	ADDQ(U32(unroll*mr*4), a)
	ADDQ(U32(unroll*nr*4), b)
	SUBQ(U8(unroll), k)
	JMP(LabelRef("loop"))

	Label("tail")
	TESTQ(k, k)
	JE(LabelRef("store"))
	step(0)
	ADDQ(U8(mr*4), a)
	ADDQ(U8(nr*4), b)
	DECQ(k)
	JMP(LabelRef("tail"))

	Label("store")
	accumulate, _ := Param("accumulate").Resolve()
	flag := GP8()
	MOVB(accumulate.Addr, flag)
	TESTB(flag, flag)
	JE(LabelRef("overwrite"))
	for i := 0; i < mr; i++ {
		VADDPS(Mem{Base: c}, acc[2*i], acc[2*i])
		VADDPS(Mem{Base: c, Disp: 32}, acc[2*i+1], acc[2*i+1])
		VMOVUPS(acc[2*i], Mem{Base: c})
		VMOVUPS(acc[2*i+1], Mem{Base: c, Disp: 32})
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()

	Label("overwrite")
	for i := 0; i < mr; i++ {
		VMOVUPS(acc[2*i], Mem{Base: c})
		VMOVUPS(acc[2*i+1], Mem{Base: c, Disp: 32})
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// fmaPeak emits fmaPeakLoop: n iterations of 12 independent FMA chains, the
// most a core can retire. With FMA latency 4 and two FMA pipes, 8 chains would
// be enough; 12 leaves margin for deeper pipelines.
func fmaPeak() {
	const chains = 12
	TEXT("fmaPeakLoop", NOSPLIT, "func(n int)")
	Doc(fmt.Sprintf("fmaPeakLoop runs n iterations of %d independent 8-wide FMAs (%d flops each).", chains, chains*16))
	n := Load(Param("n"), GP64())
	acc := make([]reg.VecVirtual, chains)
	for i := range acc {
		acc[i] = YMM()
		VXORPS(acc[i], acc[i], acc[i])
	}
	x, y := YMM(), YMM()
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
