// Command act generates the AVX2 kernels of Keel's Nonlinear activations
// (kernels/nonlinear.go): swish, sigmoid, gelu (exact and tanh form), the
// hard ones, and their gradients, 8 floats a step. They repeat the Go
// twins' operations in the same order, with no fused multiply-adds (the
// twins round every product, float32(...)), so they give the same bits:
// exp by Cephes' range reduction and polynomial, erf by Eigen's rational
// approximation. The constants are the twins' float32 constants.
//
//	go run ./act -out ../kernels/act_amd64.s -stubs ../kernels/act_amd64_stub.go -pkg kernels
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// vec and lanes are the vector register kind and its floats: ymm (8) for
// the AVX2 kernels, zmm (16) for the AVX-512 ones.
var (
	vec   = YMM
	lanes = 8
)

// splat returns a 64-byte constant of sixteen copies of v (the ymm kernels
// read its first half).
func splat(name string, v float32) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(math.Float32bits(v)))
	}
	return m
}

func splatInt(name string, v uint32) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(v))
	}
	return m
}

var (
	cExpMax, cExpMin, cLog2e, cMagic, cLn2Hi, cLn2Lo    Mem
	cP0, cP1, cP2, cP3, cP4, cP5, cOne, cHalf, cNegHalf Mem
	cSign, c127                                         Mem
	cErfMax, cErfMin                                    Mem
	cA1, cA3, cA5, cA7, cA9, cA11, cA13                 Mem
	cB0, cB2, cB4, cB6, cB8                             Mem
	cInvSqrt2, cInvSqrt2Pi, cTanhA, cTanhB, cTanhB3     Mem
	cThree, cNegThree, cZero, cSix, cTwo, cSixth        Mem
	cFifth, cTwoHalf, cNegTwoHalf                       Mem
)

func consts() {
	cExpMax = splat("actExpMax", 89)
	cExpMin = splat("actExpMin", -87)
	cLog2e = splat("actLog2e", 1.44269504088896341)
	cMagic = splat("actMagic", 12582912)
	cLn2Hi = splat("actLn2Hi", 0.693359375)
	cLn2Lo = splat("actLn2Lo", -2.12194440e-4)
	cP0 = splat("actP0", 1.9875691500e-4)
	cP1 = splat("actP1", 1.3981999507e-3)
	cP2 = splat("actP2", 8.3334519073e-3)
	cP3 = splat("actP3", 4.1665795894e-2)
	cP4 = splat("actP4", 1.6666665459e-1)
	cP5 = splat("actP5", 5.0000001201e-1)
	cOne = splat("actOne", 1)
	cHalf = splat("actHalf", 0.5)
	cNegHalf = splat("actNegHalf", -0.5)
	cSign = splatInt("actSign", 0x80000000)
	c127 = splatInt("act127", 127)
	cErfMax = splat("actErfMax", 4)
	cErfMin = splat("actErfMin", -4)
	cA1 = splat("actA1", -1.60960333262415e-02)
	cA3 = splat("actA3", -2.95459980854025e-03)
	cA5 = splat("actA5", -7.34990630326855e-04)
	cA7 = splat("actA7", -5.69250639462346e-05)
	cA9 = splat("actA9", -2.10102402082508e-06)
	cA11 = splat("actA11", 2.77068142495902e-08)
	cA13 = splat("actA13", -2.72614225801306e-10)
	cB0 = splat("actB0", -1.42647390514189e-02)
	cB2 = splat("actB2", -7.37332916720468e-03)
	cB4 = splat("actB4", -1.68282697438203e-03)
	cB6 = splat("actB6", -2.13374055278905e-04)
	cB8 = splat("actB8", -1.45660718464996e-05)
	cInvSqrt2 = splat("actInvSqrt2", 0.70710678118654752)
	cInvSqrt2Pi = splat("actInvSqrt2Pi", 0.39894228040143268)
	cTanhA = splat("actTanhA", 1.5957691216057308)
	cTanhB = splat("actTanhB", 0.071354816170706)
	cTanhB3 = splat("actTanhB3", 0.214064448512118)
	cThree = splat("actThree", 3)
	cNegThree = splat("actNegThree", -3)
	cZero = splat("actZero", 0)
	cSix = splat("actSix", 6)
	cTwo = splat("actTwo", 2)
	cSixth = splat("actSixth", 1.0/6)
	cFifth = splat("actFifth", 0.2)
	cTwoHalf = splat("actTwoHalf", 2.5)
	cNegTwoHalf = splat("actNegTwoHalf", -2.5)
}

func main() {
	ConstraintExpr("amd64,!purego")
	consts()
	smooth("")
	forward("vecHardSwish", "x relu6(x + 3) / 6", func(v reg.VecVirtual) reg.VecVirtual {
		t := relu6p3(v)
		VMULPS(t, v, t)
		return t
	})
	forward("vecHardSigmoid", "relu6(x + 3) / 6", relu6p3)
	forward("vecHardSigmoidKeras2", "clip(0.2 x + 0.5, 0, 1)", func(v reg.VecVirtual) reg.VecVirtual {
		t := vec()
		VMULPS(cFifth, v, t)
		VADDPS(cHalf, t, t)
		return clamp(t, cZero, cOne)
	})

	gradient("vecHardSwishGrad", "1 above 3, (2x + 3) / 6 on [-3, 3], 0 below", func(v reg.VecVirtual) reg.VecVirtual {
		d := vec()
		VMULPS(cTwo, v, d)
		VADDPS(cThree, d, d)
		VDIVPS(cSix, d, d)
		ge := vec()
		VCMPPS(U8(0x0D), cNegThree, v, ge) // v >= -3
		VANDPS(ge, d, d)
		gt := vec()
		VCMPPS(U8(0x0E), cThree, v, gt) // v > 3
		VBLENDVPS(gt, cOne, d, d)
		return d
	})
	gradient("vecHardSigmoidGrad", "1/6 on (-3, 3), else 0", func(v reg.VecVirtual) reg.VecVirtual {
		return band(v, cNegThree, cThree, cSixth)
	})
	gradient("vecHardSigmoidKeras2Grad", "0.2 on (-2.5, 2.5), else 0", func(v reg.VecVirtual) reg.VecVirtual {
		return band(v, cNegTwoHalf, cTwoHalf, cFifth)
	})
	// The AVX-512 kernels of the smooth functions (the hard ones are
	// memory-bound at 8 lanes).
	vec, lanes = ZMM, 16
	smooth("512")
	Generate()
}

// smooth emits the kernels of the smooth functions, their names suffixed.
func smooth(sfx string) {
	forward("vecSwish"+sfx, "x sigmoid(x) (x / (1 + exp(-x)))", func(v reg.VecVirtual) reg.VecVirtual {
		e := expf(neg(v))
		VADDPS(cOne, e, e)
		VDIVPS(e, v, e) // v / e
		return e
	})
	forward("vecSigmoid"+sfx, "1 / (1 + exp(-x))", func(v reg.VecVirtual) reg.VecVirtual {
		return sigm(v)
	})
	forward("vecGELU"+sfx, "0.5 x (1 + erf(x / sqrt 2))", func(v reg.VecVirtual) reg.VecVirtual {
		h := vec()
		VMULPS(cHalf, v, h)
		z := vec()
		VMULPS(cInvSqrt2, v, z)
		e := erff(z)
		VMULPS(e, h, e)
		VADDPS(e, h, e) // h + h*erf
		return e
	})
	forward("vecGELUTanh"+sfx, "x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3)", func(v reg.VecVirtual) reg.VecVirtual {
		u := tanhArg(v)
		e := expf(neg(u))
		VADDPS(cOne, e, e)
		VDIVPS(e, v, e)
		return e
	})
	gradient("vecSwishGrad"+sfx, "s (1 + x (1 - s)), s = sigmoid(x)", func(v reg.VecVirtual) reg.VecVirtual {
		s := sigm(v)
		t := vec()
		VMOVUPS(cOne, t)
		VSUBPS(s, t, t) // 1 - s
		VMULPS(t, v, t) // v (1 - s)
		VADDPS(cOne, t, t)
		VMULPS(t, s, t)
		return t
	})
	gradient("vecSigmoidGrad"+sfx, "s (1 - s), s = sigmoid(x)", func(v reg.VecVirtual) reg.VecVirtual {
		s := sigm(v)
		t := vec()
		VMOVUPS(cOne, t)
		VSUBPS(s, t, t)
		VMULPS(t, s, t)
		return t
	})
	gradient("vecGELUGrad"+sfx, "Phi(x) + x phi(x)", func(v reg.VecVirtual) reg.VecVirtual {
		z := vec()
		VMULPS(cInvSqrt2, v, z)
		phi := erff(z)
		VMULPS(cHalf, phi, phi)
		VADDPS(cHalf, phi, phi)
		a := vec()
		VMULPS(cNegHalf, v, a)
		VMULPS(v, a, a)
		e := expf(a)
		b := vec()
		VMULPS(cInvSqrt2Pi, v, b)
		VMULPS(e, b, b)
		VADDPS(phi, b, b)
		return b
	})
	gradient("vecGELUTanhGrad"+sfx, "s + x s (1 - s) du, s = sigmoid(2u)", func(v reg.VecVirtual) reg.VecVirtual {
		v2 := vec()
		VMULPS(v, v, v2)
		u := vec()
		VMULPS(cTanhB, v2, u)
		VADDPS(cTanhA, u, u)
		VMULPS(u, v, u)
		du := vec()
		VMULPS(cTanhB3, v2, du)
		VADDPS(cTanhA, du, du)
		s := sigm(u)
		t := vec()
		VMULPS(s, v, t) // v s
		w := vec()
		VMOVUPS(cOne, w)
		VSUBPS(s, w, w) // 1 - s
		VMULPS(w, t, t)
		VMULPS(du, t, t)
		VADDPS(s, t, t)
		return t
	})
}

// forward emits name(x, y *float32, n int): y[i] = f(x[i]) for i < n, n a
// multiple of 8.
func forward(name, what string, f func(v reg.VecVirtual) reg.VecVirtual) {
	TEXT(name, NOSPLIT, "func(x, y *float32, n int)")
	Doc(fmt.Sprintf("%s sets y[i] = %s for i < n, a multiple of %d.", name, what, lanes))
	Pragma("noescape")
	x := Load(Param("x"), GP64())
	y := Load(Param("y"), GP64())
	n := Load(Param("n"), GP64())
	SHRQ(U8(shift()), n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	v := vec()
	VMOVUPS(Mem{Base: x}, v)
	r := f(v)
	VMOVUPS(r, Mem{Base: y})
	ADDQ(U32(4*lanes), x)
	ADDQ(U32(4*lanes), y)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// gradient emits name(x, dy, dx *float32, n int): dx[i] = f'(x[i]) dy[i].
func gradient(name, what string, d func(v reg.VecVirtual) reg.VecVirtual) {
	TEXT(name, NOSPLIT, "func(x, dy, dx *float32, n int)")
	Doc(fmt.Sprintf("%s sets dx[i] = dy[i] f'(x[i]), f' = %s, for i < n, a multiple of %d.", name, what, lanes))
	Pragma("noescape")
	x := Load(Param("x"), GP64())
	dy := Load(Param("dy"), GP64())
	dx := Load(Param("dx"), GP64())
	n := Load(Param("n"), GP64())
	SHRQ(U8(shift()), n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	v := vec()
	VMOVUPS(Mem{Base: x}, v)
	r := d(v)
	VMULPS(Mem{Base: dy}, r, r) // dy * d
	VMOVUPS(r, Mem{Base: dx})
	ADDQ(U32(4*lanes), x)
	ADDQ(U32(4*lanes), dy)
	ADDQ(U32(4*lanes), dx)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// shift is log2(lanes).
func shift() uint8 {
	if lanes == 16 {
		return 4
	}
	return 3
}

func neg(v reg.VecVirtual) reg.VecVirtual {
	t := vec()
	VXORPS(cSign, v, t)
	return t
}

// clamp returns min(max(v, lo), hi) as Go computes it: a NaN v stays NaN
// (VMAXPS and VMINPS return their first Go operand when either is NaN).
func clamp(v reg.VecVirtual, lo, hi Mem) reg.VecVirtual {
	c, t := vec(), vec()
	VMOVUPS(lo, c)
	VMAXPS(v, c, t)
	VMOVUPS(hi, c)
	VMINPS(t, c, t)
	return t
}

// expf repeats kernels.expf.
func expf(x reg.VecVirtual) reg.VecVirtual {
	x = clamp(x, cExpMin, cExpMax)
	n := vec()
	VMULPS(cLog2e, x, n)
	// Go's (n + magic) - magic rounds to the nearest integer, ties to
	// even, as the rounding instruction does (|n| <= 129 here).
	if lanes == 16 {
		VRNDSCALEPS(U8(0), n, n)
	} else {
		VROUNDPS(U8(0), n, n)
	}
	// x - n*ln2Hi in one fused step: n*ln2Hi (17 significant bits) is
	// exact, so the single rounding is the subtraction's, as in Go.
	r, t := vec(), vec()
	VMOVAPS(x, r)
	VFNMADD231PS(cLn2Hi, n, r)
	VMULPS(cLn2Lo, n, t)
	VSUBPS(t, r, r)
	p := vec()
	VMULPS(cP0, r, p)
	VADDPS(cP1, p, p)
	for _, c := range []Mem{cP2, cP3, cP4, cP5} {
		VMULPS(r, p, p)
		VADDPS(c, p, p)
	}
	VMULPS(r, p, p)
	VMULPS(r, p, p)
	VADDPS(r, p, p)
	VADDPS(cOne, p, p)
	k := vec()
	VCVTTPS2DQ(n, k)
	VPADDD(c127, k, k)
	VPSLLD(U8(23), k, k)
	VMULPS(k, p, p)
	return p
}

// sigm returns 1 / (1 + exp(-v)).
func sigm(v reg.VecVirtual) reg.VecVirtual {
	e := expf(neg(v))
	VADDPS(cOne, e, e)
	s := vec()
	VMOVUPS(cOne, s)
	VDIVPS(e, s, s)
	return s
}

// erff repeats kernels.erff.
func erff(z reg.VecVirtual) reg.VecVirtual {
	x := clamp(z, cErfMin, cErfMax)
	x2 := vec()
	VMULPS(x, x, x2)
	p := vec()
	VMULPS(cA13, x2, p)
	VADDPS(cA11, p, p)
	for _, c := range []Mem{cA9, cA7, cA5, cA3, cA1} {
		VMULPS(p, x2, p)
		VADDPS(c, p, p)
	}
	VMULPS(p, x, p)
	q := vec()
	VMULPS(cB8, x2, q)
	VADDPS(cB6, q, q)
	for _, c := range []Mem{cB4, cB2, cB0} {
		VMULPS(q, x2, q)
		VADDPS(c, q, q)
	}
	VDIVPS(q, p, p)
	return p
}

// tanhArg returns 2u = x (B x^2 + A).
func tanhArg(v reg.VecVirtual) reg.VecVirtual {
	u := vec()
	VMULPS(v, v, u)
	VMULPS(cTanhB, u, u)
	VADDPS(cTanhA, u, u)
	VMULPS(u, v, u)
	return u
}

// relu6p3 returns min(max(v + 3, 0), 6) / 6.
func relu6p3(v reg.VecVirtual) reg.VecVirtual {
	t := vec()
	VADDPS(cThree, v, t)
	t = clamp(t, cZero, cSix)
	VDIVPS(cSix, t, t)
	return t
}

// band returns val where lo < v < hi, else 0.
func band(v reg.VecVirtual, lo, hi, val Mem) reg.VecVirtual {
	a, b := vec(), vec()
	VCMPPS(U8(0x0E), lo, v, a) // v > lo
	VCMPPS(U8(0x01), hi, v, b) // v < hi
	VANDPS(b, a, a)
	VANDPS(val, a, a)
	return a
}
