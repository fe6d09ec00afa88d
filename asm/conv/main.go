// Command conv generates Keel's AVX2+FMA convolution kernels: the indirect
// convolution micro-kernel (a 6x16 tile of output pixels x output channels,
// reading the input through a table of row pointers instead of a packed copy)
// and the depthwise row kernels.
//
//	go run ./conv -out ../kernels/conv_amd64.s -stubs ../kernels/conv_amd64_stub.go -pkg kernels
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

const (
	mr     = 6  // output pixels per tile: one broadcast each
	nr     = 16 // output channels per tile: two ymm registers
	unroll = 4  // k steps per loop iteration
)

// Epilogue flags, shared with kernels/conv_engine.go.
const (
	flagAccumulate = 1 // add the tile already in c
	flagBias       = 2 // add bias[j]
	flagReLU       = 4 // max(., 0)
	flagReLU6      = 8 // min(max(., 0), 6)
)

func main() {
	ConstraintExpr("amd64,!purego")
	convKernel()
	Generate()
}

// convKernel emits convKernel6x16. The tile's reduction runs over nseg
// segments of seglen k steps; segment s reads row i of A from the pointer
// a[s*6+i] (seglen contiguous floats) and B from b, ldb floats per k step,
// continuing from segment to segment. Twelve ymm accumulators, two for B, one
// for the broadcast: 15 of 16 ymm registers.
func convKernel() {
	TEXT("convKernel6x16", NOSPLIT, "func(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32)")
	Doc(
		"convKernel6x16 computes the 6x16 tile at c (row stride ldc floats):",
		"t[i][j] = sum over segments s < nseg and p < seglen of a[s*6+i][p] * b[(s*seglen+p)*ldb+j],",
		"then c[i][j] = act((flags&1 ? c[i][j] : 0) + t[i][j] + (flags&2 ? bias[j] : 0)),",
		"act = max(.,0) if flags&4, min(max(.,0),6) if flags&8.",
	)
	Pragma("noescape")
	nseg := Load(Param("nseg"), GP64())
	seglen := Load(Param("seglen"), GP64())
	tab := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	end4 := GP64()
	MOVQ(seglen, end4)
	ANDQ(I8(-unroll), end4)

	acc := make([]reg.VecVirtual, 2*mr)
	for i := range acc {
		acc[i] = YMM()
		VXORPS(acc[i], acc[i], acc[i])
	}
	b0, b1, bc := YMM(), YMM(), YMM()
	p := make([]reg.GPVirtual, mr)
	for i := range p {
		p[i] = GP64()
	}
	idx := GP64()

	step := func(u int) {
		VMOVUPS(Mem{Base: b}, b0)
		VMOVUPS(Mem{Base: b, Disp: 32}, b1)
		ADDQ(ldb, b)
		for i := 0; i < mr; i++ {
			VBROADCASTSS(Mem{Base: p[i], Index: idx, Scale: 4, Disp: u * 4}, bc)
			VFMADD231PS(b0, bc, acc[2*i])
			VFMADD231PS(b1, bc, acc[2*i+1])
		}
	}

	Label("seg")
	TESTQ(nseg, nseg)
	JE(LabelRef("epilogue"))
	for i := 0; i < mr; i++ {
		MOVQ(Mem{Base: tab, Disp: 8 * i}, p[i])
	}
	ADDQ(U8(8*mr), tab)
	XORQ(idx, idx)

	Label("k4")
	CMPQ(idx, end4)
	JAE(LabelRef("k1"))
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U8(unroll), idx)
	JMP(LabelRef("k4"))

	Label("k1")
	CMPQ(idx, seglen)
	JAE(LabelRef("segend"))
	step(0)
	INCQ(idx)
	JMP(LabelRef("k1"))

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
		VADDPS(Mem{Base: row, Disp: 32}, acc[2*i+1], acc[2*i+1])
		if i < mr-1 {
			ADDQ(ldc, row)
		}
	}

	Label("bias")
	TESTQ(U32(flagBias), flags)
	JE(LabelRef("relu"))
	bias := Load(Param("bias"), GP64())
	VMOVUPS(Mem{Base: bias}, b0)
	VMOVUPS(Mem{Base: bias, Disp: 32}, b1)
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
	six := GP32()
	MOVL(U32(0x40c00000), six) // 6.0f
	MOVD(six, bc.AsX())
	VBROADCASTSS(bc.AsX(), bc)
	for i := range acc {
		VMINPS(bc, acc[i], acc[i])
	}

	Label("store")
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
