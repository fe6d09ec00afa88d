// Command winograd generates the transforms of Keel's Winograd F(2x2,3x3)
// and F(4x4,3x3) convolutions, vectorised over channels: the input transform
// V = B^T d B of a 4x4 (6x6) tile of input pixels and the output transform
// Y = A^T M A of a 4x4 (6x6) tile of products (plus bias and a clamp for the
// fused activation), AVX2 (ymm, 8 channels) and AVX-512 (zmm, 16 channels).
// F(2x2,3x3)'s transforms use only additions and subtractions, F(4x4,3x3)'s
// also multiplications by 2, 4, 5 and 8 (no fused multiply-adds); their order
// is fixed (rows of the tile first, then its columns) and
// kernels/winograd_transform.go repeats it, so the Go twins give the same
// bits.
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
	four = ConstData("four", U32(0x40800000))   // float32 4
	five = ConstData("five", U32(0x40a00000))   // float32 5
	eight = ConstData("eight", U32(0x41000000)) // float32 8
	inputTransform6("winogradInput6x6x8", 8, YMM)
	inputTransform6("winogradInput6x6x16", 16, ZMM)
	outputTransform4("winogradOutput4x4x8", 8, YMM)
	outputTransform4("winogradOutput4x4x16", 16, ZMM)
	Generate()
}

// The float32 constants of F(4x4,3x3)'s transforms.
var four, five, eight Mem

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

// wino6In emits the 1-D F(4x4,3x3) input transform of d (six vectors, which
// it overwrites), handing output k to put as soon as it is computed, in the
// order 0, 5, 1, 2, 3, 4 (few registers live: ymm has 16). The expression
// trees are kernels.winograd6In's: t0 = (4d0 - 5d2) + d4, t5 = (4d1 - 5d3) +
// d5, with p = d4 - 4d2, q = d3 - 4d1, r = d4 - d2, s = 2(d3 - d1): t1 = p+q,
// t2 = p-q, t3 = r+s, t4 = r-s.
func wino6In(d [6]reg.VecVirtual, c4, c5 reg.VecVirtual, vec func() reg.VecVirtual, put func(k int, v reg.VecVirtual)) {
	t := vec()
	VMULPS(c4, d[0], d[0]) // 4d0
	VMULPS(c5, d[2], t)    // 5d2
	VSUBPS(t, d[0], d[0])  // 4d0 - 5d2
	VADDPS(d[4], d[0], d[0])
	put(0, d[0])
	q := vec()
	VMULPS(c4, d[1], q) // 4d1
	VMULPS(c5, d[3], t) // 5d3
	VSUBPS(t, q, t)     // 4d1 - 5d3
	VADDPS(d[5], t, t)  // + d5
	put(5, t)
	VSUBPS(q, d[3], q) // q = d3 - 4d1
	p := vec()
	VMULPS(c4, d[2], p)
	VSUBPS(p, d[4], p)       // p = d4 - 4d2
	VSUBPS(d[2], d[4], d[4]) // r = d4 - d2
	VSUBPS(d[1], d[3], d[3]) // d3 - d1
	VADDPS(d[3], d[3], d[3]) // s = 2(d3 - d1)
	VADDPS(q, p, d[0])
	put(1, d[0])
	VSUBPS(q, p, d[0])
	put(2, d[0])
	VADDPS(d[3], d[4], d[0])
	put(3, d[0])
	VSUBPS(d[3], d[4], d[0])
	put(4, d[0])
}

// inputTransform6 emits name: for n channels (a multiple of lanes), the 36
// points of a 6x6 input tile are read through the pointer table rows
// (row-major over the tile), and V[e] = (B^T d B)[e] is stored at v + e*vs
// floats. The rows' transforms go to a local buffer (36 vectors), then each
// column of it is transformed into V.
func inputTransform6(name string, lanes int, vec func() reg.VecVirtual) {
	TEXT(name, 0 /* a frame too large for NOSPLIT: the local buffer */, "func(rows **float32, n int, v *float32, vs int)")
	Doc(
		fmt.Sprintf("%s computes the F(4x4,3x3) input transform of n channels (a multiple of %d):", name, lanes),
		"V = B^T d B of the 6x6 tile whose point k (row-major) starts at rows[k], point e of V stored at v + e*vs floats.",
	)
	Pragma("noescape")
	vb := 4 * lanes // bytes per vector
	tmp := AllocLocal(36 * vb)
	tab := Load(Param("rows"), GP64())
	n := Load(Param("n"), GP64())
	out := Load(Param("v"), GP64())
	vs := Load(Param("vs"), GP64())
	SHLQ(U8(2), n)
	SHLQ(U8(2), vs)
	vs6, vs18 := GP64(), GP64()
	IMUL3Q(U32(6), vs, vs6)
	IMUL3Q(U32(18), vs, vs18)
	c4, c5 := vec(), vec()
	VBROADCASTSS(four, c4)
	VBROADCASTSS(five, c5)
	i := GP64()
	XORQ(i, i)
	ptr, col := GP64(), GP64()

	Label("loop6in")
	CMPQ(i, n)
	JAE(LabelRef("done6in"))
	// Rows: point (r, j) of the tile in, t[r][k] out to tmp[6r+k].
	for r := 0; r < 6; r++ {
		var d [6]reg.VecVirtual
		for j := range d {
			d[j] = vec()
			MOVQ(Mem{Base: tab, Disp: 8 * (6*r + j)}, ptr)
			VMOVUPS(Mem{Base: ptr, Index: i, Scale: 1}, d[j])
		}
		wino6In(d, c4, c5, vec, func(k int, v reg.VecVirtual) {
			VMOVUPS(v, tmp.Offset((6*r+k)*vb))
		})
	}
	// Columns: t[0..5][j] in, V[6k+j] out at v + i + (6k+j)*vs.
	LEAQ(Mem{Base: out, Index: i, Scale: 1}, col)
	for j := 0; j < 6; j++ {
		var d [6]reg.VecVirtual
		for r := range d {
			d[r] = vec()
			VMOVUPS(tmp.Offset((6*r+j)*vb), d[r])
		}
		LEAQ(Mem{Base: col, Index: vs18, Scale: 1}, ptr) // point 18+j: rows 3..5 from here
		wino6In(d, c4, c5, vec, func(k int, v reg.VecVirtual) {
			switch k {
			case 0:
				VMOVUPS(v, Mem{Base: col})
			case 1:
				VMOVUPS(v, Mem{Base: col, Index: vs6, Scale: 1})
			case 2:
				VMOVUPS(v, Mem{Base: col, Index: vs6, Scale: 2})
			case 3:
				VMOVUPS(v, Mem{Base: ptr})
			case 4:
				VMOVUPS(v, Mem{Base: ptr, Index: vs6, Scale: 1})
			case 5:
				VMOVUPS(v, Mem{Base: ptr, Index: vs6, Scale: 2})
			}
		})
		ADDQ(vs, col)
	}
	ADDQ(U32(vb), i)
	JMP(LabelRef("loop6in"))
	Label("done6in")
	VZEROUPPER()
	RET()
}

// wino6Out emits the 1-D F(4x4,3x3) output transform of m (six vectors, which
// it overwrites) and returns its four outputs: kernels.winograd6Out's trees,
// with a = m1+m2, b = m1-m2, c = m3+m4, d = m3-m4: y0 = (m0+a)+c, y1 = b+2d,
// y2 = a+4c, y3 = (b+8d)+m5.
func wino6Out(m [6]reg.VecVirtual, c4, c8 reg.VecVirtual, vec func() reg.VecVirtual) [4]reg.VecVirtual {
	a, b, c, d := vec(), m[2], vec(), m[4]
	VADDPS(m[2], m[1], a)
	VSUBPS(m[2], m[1], b)
	VADDPS(m[4], m[3], c)
	VSUBPS(m[4], m[3], d)
	VADDPS(a, m[0], m[0])
	VADDPS(c, m[0], m[0]) // y0
	VMULPS(c4, c, c)
	VADDPS(c, a, a) // y2
	VMULPS(c8, d, m[3])
	VADDPS(m[3], b, m[3])
	VADDPS(m[5], m[3], m[3]) // y3
	VADDPS(d, d, d)
	VADDPS(d, b, b) // y1
	return [4]reg.VecVirtual{m[0], b, a, m[3]}
}

// outputTransform4 emits name: for n channels (a multiple of lanes), the 36
// products of a tile are read at m + e*ms floats, and the 4x4 outputs y =
// min(max((A^T M A) + bias, lo), hi) are stored through the pointer table
// out (row-major over the 4x4 tile). The rows' transforms go to a local
// buffer (24 vectors), then each of its columns gives a column of outputs.
func outputTransform4(name string, lanes int, vec func() reg.VecVirtual) {
	TEXT(name, 0 /* a frame too large for NOSPLIT: the local buffer */, "func(m *float32, ms int, n int, bias *float32, lo, hi float32, out **float32)")
	Doc(
		fmt.Sprintf("%s computes the F(4x4,3x3) output transform of n channels (a multiple of %d):", name, lanes),
		"y = min(max(A^T M A + bias, lo), hi) for the 6x6 tile M whose point e is at m + e*ms floats;",
		"output k of the 4x4 tile (row-major) is stored at out[k].",
	)
	Pragma("noescape")
	vb := 4 * lanes
	tmp := AllocLocal(24 * vb)
	m := Load(Param("m"), GP64())
	ms := Load(Param("ms"), GP64())
	n := Load(Param("n"), GP64())
	bias := Load(Param("bias"), GP64())
	tab := Load(Param("out"), GP64())
	SHLQ(U8(2), n)
	SHLQ(U8(2), ms)
	ms3, ms5 := GP64(), GP64()
	LEAQ(Mem{Base: ms, Index: ms, Scale: 2}, ms3)
	LEAQ(Mem{Base: ms, Index: ms, Scale: 4}, ms5)
	lo, hi := vec(), vec()
	VBROADCASTSS(Load(Param("lo"), XMM()), lo)
	VBROADCASTSS(Load(Param("hi"), XMM()), hi)
	c4, c8 := vec(), vec()
	VBROADCASTSS(four, c4)
	VBROADCASTSS(eight, c8)
	i, base, ptr := GP64(), GP64(), GP64()
	XORQ(i, i)

	Label("loop4out")
	CMPQ(i, n)
	JAE(LabelRef("done4out"))
	// Rows: M[6r+j] in, s[r][k] out to tmp[4r+k].
	LEAQ(Mem{Base: m, Index: i, Scale: 1}, base)
	for r := 0; r < 6; r++ {
		var v [6]reg.VecVirtual
		for j := range v {
			v[j] = vec()
		}
		VMOVUPS(Mem{Base: base}, v[0])
		VMOVUPS(Mem{Base: base, Index: ms, Scale: 1}, v[1])
		VMOVUPS(Mem{Base: base, Index: ms, Scale: 2}, v[2])
		VMOVUPS(Mem{Base: base, Index: ms3, Scale: 1}, v[3])
		VMOVUPS(Mem{Base: base, Index: ms, Scale: 4}, v[4])
		VMOVUPS(Mem{Base: base, Index: ms5, Scale: 1}, v[5])
		for k, y := range wino6Out(v, c4, c8, vec) {
			VMOVUPS(y, tmp.Offset((4*r+k)*vb))
		}
		if r < 5 {
			LEAQ(Mem{Base: base, Index: ms3, Scale: 2}, base) // the next row: 6 points on
		}
	}
	b := vec()
	VMOVUPS(Mem{Base: bias, Index: i, Scale: 1}, b)
	// Columns: s[0..5][j] in, outputs (k, j) of the tile out.
	for j := 0; j < 4; j++ {
		var v [6]reg.VecVirtual
		for r := range v {
			v[r] = vec()
			VMOVUPS(tmp.Offset((4*r+j)*vb), v[r])
		}
		for k, y := range wino6Out(v, c4, c8, vec) {
			VADDPS(b, y, y)
			VMAXPS(y, lo, y)
			VMINPS(y, hi, y)
			MOVQ(Mem{Base: tab, Disp: 8 * (4*k + j)}, ptr)
			VMOVUPS(y, Mem{Base: ptr, Index: i, Scale: 1})
		}
	}
	ADDQ(U32(vb), i)
	JMP(LabelRef("loop4out"))
	Label("done4out")
	VZEROUPPER()
	RET()
}
