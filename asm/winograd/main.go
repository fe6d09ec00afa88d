// Command winograd generates the transforms of Keel's Winograd F(2x2,3x3)
// convolution, vectorised over channels: the input transform V = B^T d B of a
// 4x4 tile of input pixels and the output transform Y = A^T M A of a 4x4 tile
// of products (plus bias and a clamp for the fused activation), AVX2 (ymm, 8
// channels) and AVX-512 (zmm, 16 channels). The transforms use only additions
// and subtractions; their order is fixed (rows of the tile first, then its
// columns) and kernels/winograd_transform.go repeats it, so the Go twins give
// the same bits.
//
//	go run ./winograd -out ../kernels/winograd_amd64.s -stubs ../kernels/winograd_amd64_stub.go -pkg kernels
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	inputTransform("winogradInput4x4x8", 8, YMM)
	inputTransform("winogradInput4x4x16", 16, ZMM)
	outputTransform("winogradOutput2x2x8", 8, YMM)
	outputTransform("winogradOutput2x2x16", 16, ZMM)
	Generate()
}

// inputTransform emits name: for n channels (a multiple of lanes), the 16
// points of a 4x4 input tile are read through the pointer table rows (row-major
// over the tile), and V[e] = (B^T d B)[e] is stored at v + e*vs floats. With
// t[i][j] the row transform of tile row i (t0 = d0-d2, t1 = d1+d2, t2 = d2-d1,
// t3 = d1-d3 along j), V[0][j] = t0j-t2j, V[1][j] = t1j+t2j, V[2][j] =
// t2j-t1j, V[3][j] = t1j-t3j. Rows are read in the order 0, 2, 1, 3 so that
// at most two rows of t are live (ymm has 16 registers).
func inputTransform(name string, lanes int, vec func() reg.VecVirtual) {
	TEXT(name, NOSPLIT, "func(rows **float32, n int, v *float32, vs int)")
	Doc(
		fmt.Sprintf("%s computes the F(2x2,3x3) input transform of n channels (a multiple of %d):", name, lanes),
		"V = B^T d B of the 4x4 tile whose point k (row-major) starts at rows[k], point e of V stored at v + e*vs floats.",
	)
	Pragma("noescape")
	tab := Load(Param("rows"), GP64())
	n := Load(Param("n"), GP64())
	out := Load(Param("v"), GP64())
	vs := Load(Param("vs"), GP64())
	SHLQ(U8(2), n)
	SHLQ(U8(2), vs)
	vs3 := GP64()
	LEAQ(Mem{Base: vs, Index: vs, Scale: 2}, vs3)
	i := GP64()
	XORQ(i, i)
	ptr, base := GP64(), GP64()

	// rowT loads tile row r and returns its row transform.
	rowT := func(r int) [4]reg.VecVirtual {
		var d [4]reg.VecVirtual
		for j := range d {
			d[j] = vec()
			MOVQ(Mem{Base: tab, Disp: 8 * (4*r + j)}, ptr)
			VMOVUPS(Mem{Base: ptr, Index: i, Scale: 1}, d[j])
		}
		t0, t1 := vec(), vec()
		VSUBPS(d[2], d[0], t0)   // d0 - d2
		VADDPS(d[2], d[1], t1)   // d1 + d2
		VSUBPS(d[1], d[2], d[2]) // d2 - d1
		VSUBPS(d[3], d[1], d[3]) // d1 - d3
		return [4]reg.VecVirtual{t0, t1, d[2], d[3]}
	}
	// store writes tile row r of V (points 4r..4r+3) at the current channels.
	store := func(r int, x [4]reg.VecVirtual) {
		// base = out + i + 4r*vs; the four points at base + j*vs.
		LEAQ(Mem{Base: out, Index: i, Scale: 1}, base)
		for k := 0; k < r; k++ {
			LEAQ(Mem{Base: base, Index: vs, Scale: 4}, base)
		}
		VMOVUPS(x[0], Mem{Base: base})
		VMOVUPS(x[1], Mem{Base: base, Index: vs, Scale: 1})
		VMOVUPS(x[2], Mem{Base: base, Index: vs, Scale: 2})
		VMOVUPS(x[3], Mem{Base: base, Index: vs3, Scale: 1})
	}

	Label("loop")
	CMPQ(i, n)
	JAE(LabelRef("done"))
	t0, t2 := rowT(0), rowT(2)
	for j := range t0 {
		VSUBPS(t2[j], t0[j], t0[j]) // t0 - t2
	}
	store(0, t0)
	t1 := rowT(1)
	var v1, v2 [4]reg.VecVirtual
	for j := range t1 {
		v1[j], v2[j] = vec(), vec()
		VADDPS(t2[j], t1[j], v1[j]) // t1 + t2
		VSUBPS(t1[j], t2[j], v2[j]) // t2 - t1
	}
	store(1, v1)
	store(2, v2)
	t3 := rowT(3)
	for j := range t3 {
		VSUBPS(t3[j], t1[j], t3[j]) // t1 - t3
	}
	store(3, t3)
	ADDQ(U32(4*lanes), i)
	JMP(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// outputTransform emits name: for n channels (a multiple of lanes), the 16
// products of a tile are read at m + e*ms floats, and the 2x2 outputs
// y = min(max((A^T M A) + bias, lo), hi) are stored through the pointer table
// out (row-major over the 2x2 tile). With s[i] the row transform of row i of M
// (s0 = (m0+m1)+m2, s1 = (m1-m2)-m3 along j), y[0][j] = (s0j+s1j)+s2j and
// y[1][j] = (s1j-s2j)-s3j. The clamp keeps NaNs (the value is the second
// operand of VMAXPS and VMINPS, which they return when either is NaN).
func outputTransform(name string, lanes int, vec func() reg.VecVirtual) {
	TEXT(name, NOSPLIT, "func(m *float32, ms int, n int, bias *float32, lo, hi float32, out **float32)")
	Doc(
		fmt.Sprintf("%s computes the F(2x2,3x3) output transform of n channels (a multiple of %d):", name, lanes),
		"y = min(max(A^T M A + bias, lo), hi) for the 4x4 tile M whose point e is at m + e*ms floats;",
		"output k of the 2x2 tile (row-major) is stored at out[k].",
	)
	Pragma("noescape")
	m := Load(Param("m"), GP64())
	ms := Load(Param("ms"), GP64())
	n := Load(Param("n"), GP64())
	bias := Load(Param("bias"), GP64())
	tab := Load(Param("out"), GP64())
	SHLQ(U8(2), n)
	SHLQ(U8(2), ms)
	ms3 := GP64()
	LEAQ(Mem{Base: ms, Index: ms, Scale: 2}, ms3)
	lo, hi := vec(), vec()
	VBROADCASTSS(Load(Param("lo"), XMM()), lo)
	VBROADCASTSS(Load(Param("hi"), XMM()), hi)
	var o [4]reg.GPVirtual
	for k := range o {
		o[k] = GP64()
		MOVQ(Mem{Base: tab, Disp: 8 * k}, o[k])
	}
	i, base := GP64(), GP64()
	XORQ(i, i)

	// rowS loads row r of M and returns its row transform.
	rowS := func(r int) (s0, s1 reg.VecVirtual) {
		LEAQ(Mem{Base: m, Index: i, Scale: 1}, base)
		for k := 0; k < r; k++ {
			LEAQ(Mem{Base: base, Index: ms, Scale: 4}, base)
		}
		a, b, c, d := vec(), vec(), vec(), vec()
		VMOVUPS(Mem{Base: base}, a)
		VMOVUPS(Mem{Base: base, Index: ms, Scale: 1}, b)
		VMOVUPS(Mem{Base: base, Index: ms, Scale: 2}, c)
		VMOVUPS(Mem{Base: base, Index: ms3, Scale: 1}, d)
		VADDPS(b, a, a) // m0 + m1
		VADDPS(c, a, a) // + m2
		VSUBPS(c, b, b) // m1 - m2
		VSUBPS(d, b, b) // - m3
		return a, b
	}

	Label("loop")
	CMPQ(i, n)
	JAE(LabelRef("done"))
	y00, y01 := rowS(0)
	y10, y11 := rowS(1)
	VADDPS(y10, y00, y00) // s0 + s1
	VADDPS(y11, y01, y01)
	s20, s21 := rowS(2)
	VADDPS(s20, y00, y00) // + s2
	VADDPS(s21, y01, y01)
	VSUBPS(s20, y10, y10) // s1 - s2
	VSUBPS(s21, y11, y11)
	s30, s31 := rowS(3)
	VSUBPS(s30, y10, y10) // - s3
	VSUBPS(s31, y11, y11)
	b := vec()
	VMOVUPS(Mem{Base: bias, Index: i, Scale: 1}, b)
	for k, y := range []reg.VecVirtual{y00, y01, y10, y11} {
		VADDPS(b, y, y)
		VMAXPS(y, lo, y)
		VMINPS(y, hi, y)
		VMOVUPS(y, Mem{Base: o[k], Index: i, Scale: 1})
	}
	ADDQ(U32(4*lanes), i)
	JMP(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
