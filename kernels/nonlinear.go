package kernels

import (
	"fmt"
	"math"
)

// Nonlinear is an elementwise activation that the conv epilogues do not
// apply: the smooth ones of the Keras 3 applications (EfficientNet's swish,
// ConvNeXt's gelu, the sigmoid of squeeze-and-excitation gates) and the
// piecewise-linear hard ones of MobileNetV3. ApplyNonlinear and
// NonlinearBackward compute them in float32 over the kernel pool.
//
// The smooth ones use fast float32 approximations, the same in the Go twin
// and the assembly (bit for bit: no fused multiply-adds, the same operation
// order):
//   - exp: Cephes' expf, range reduction by ln 2 in two parts and a degree-6
//     polynomial, the argument clamped to [-87, 89]: no denormal result
//     (at -87.34, ln of the smallest normal, the last product fell just
//     below it, and each denormal costs a microcode assist: inputs above 87
//     made EfficientNet-B0's swish a quarter slower), and +Inf from 88.38 on (the true overflow is at 88.72), so that
//     sigmoid(x) and swish(x) below -88.38 are 0, not denormals (which would
//     slow every kernel reading them: a squeeze-excite gate of 6e-39
//     multiplied into a block's activations);
//   - erf: Eigen's rational approximation x P(x^2) / Q(x^2) on [-4, 4]
//     (clamped outside);
//   - gelu's tanh form as x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3).
//
// Max errors against float64 references on [-20, 20] in steps of 2^-12
// (TestNonlinearAccuracy, which holds them as bounds):
//   - sigmoid, swish: relative 1.7e-7; gradients absolute 1e-6;
//   - gelu: absolute 1.1e-6 (erf's absolute error, so relative error grows
//     in the negative tail where gelu is below 1e-6); gradient absolute 2.4e-7;
//   - gelu tanh: absolute 5.2e-7, relative 1e-5 in the far negative tail
//     (the conditioning of exp(-2u)), 5e-7 elsewhere; gradient absolute 2e-6;
//   - the hard ones: within 1 ulp of the float64 value (hard_sigmoid's Keras
//     2 form absolute 4.8e-8, from 0.2 x + 0.5).
type Nonlinear int

const (
	Swish             Nonlinear = iota + 1 // x sigmoid(x) (silu)
	Sigmoid                                // 1 / (1 + exp(-x))
	HardSwish                              // x relu6(x + 3) / 6 (Keras 3's hard_silu)
	HardSigmoid                            // relu6(x + 3) / 6 (Keras 3)
	HardSigmoidKeras2                      // clip(0.2 x + 0.5, 0, 1) (Keras 2)
	GELU                                   // 0.5 x (1 + erf(x / sqrt 2))
	GELUTanh                               // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
)

func (f Nonlinear) String() string {
	switch f {
	case Swish:
		return "swish"
	case Sigmoid:
		return "sigmoid"
	case HardSwish:
		return "hard_swish"
	case HardSigmoid:
		return "hard_sigmoid"
	case HardSigmoidKeras2:
		return "hard_sigmoid_keras2"
	case GELU:
		return "gelu"
	case GELUTanh:
		return "gelu_tanh"
	}
	return fmt.Sprintf("Nonlinear(%d)", int(f))
}

func (f Nonlinear) check(op string) {
	if f < Swish || f > GELUTanh {
		panic(fmt.Sprintf("kernels: %s: unknown function %v", op, f))
	}
}

// ApplyNonlinear sets y = f(x). y may be x.
func ApplyNonlinear(f Nonlinear, x, y []float32) {
	f.check("ApplyNonlinear")
	raceRead(x)
	raceWrite(y)
	n := checkSameLen("ApplyNonlinear", x, y)
	k := active.nonlinear.fwd
	forChunks(n, func(lo, hi int) { k(f, x[lo:hi], y[lo:hi]) })
}

// NonlinearBackward sets dx = f'(x) dy, where x is the forward input. dx
// may alias dy.
func NonlinearBackward(f Nonlinear, x, dy, dx []float32) {
	f.check("NonlinearBackward")
	raceRead(x, dy)
	raceWrite(dx)
	n := checkSameLen("NonlinearBackward", x, dy, dx)
	k := active.nonlinear.grad
	forChunks(n, func(lo, hi int) { k(f, x[lo:hi], dy[lo:hi], dx[lo:hi]) })
}

// nonlinearKernels compute a Nonlinear over len(x) values: fwd sets y =
// f(x), grad dx = f'(x) dy.
type nonlinearKernels struct {
	fwd  func(f Nonlinear, x, y []float32)
	grad func(f Nonlinear, x, dy, dx []float32)
}

// nonlinearTwins are the Go twins, the kernels of the tables without
// assembly for them.
var nonlinearTwins = nonlinearKernels{fwd: nonlinearGo, grad: nonlinearGradGo}

// The constants of the approximations, as float32 (the assembly uses the
// same bits).
const (
	expMax   float32 = 89  // above 88.38 the result is +Inf (2^128)
	expMin   float32 = -87 // above ln of the smallest normal float32 (-87.34): exp's last product stays normal
	expLog2e float32 = 1.44269504088896341
	expMagic float32 = 12582912 // 1.5 * 2^23: adding it rounds to an integer
	expLn2Hi float32 = 0.693359375
	expLn2Lo float32 = -2.12194440e-4
	expP0    float32 = 1.9875691500e-4
	expP1    float32 = 1.3981999507e-3
	expP2    float32 = 8.3334519073e-3
	expP3    float32 = 4.1665795894e-2
	expP4    float32 = 1.6666665459e-1
	expP5    float32 = 5.0000001201e-1

	erfMax float32 = 4
	erfA1  float32 = -1.60960333262415e-02
	erfA3  float32 = -2.95459980854025e-03
	erfA5  float32 = -7.34990630326855e-04
	erfA7  float32 = -5.69250639462346e-05
	erfA9  float32 = -2.10102402082508e-06
	erfA11 float32 = 2.77068142495902e-08
	erfA13 float32 = -2.72614225801306e-10
	erfB0  float32 = -1.42647390514189e-02
	erfB2  float32 = -7.37332916720468e-03
	erfB4  float32 = -1.68282697438203e-03
	erfB6  float32 = -2.13374055278905e-04
	erfB8  float32 = -1.45660718464996e-05

	geluInvSqrt2   float32 = 0.70710678118654752
	geluInvSqrt2Pi float32 = 0.39894228040143268 // 1 / sqrt(2 pi)
	geluTanhA      float32 = 1.5957691216057308  // 2 sqrt(2/pi)
	geluTanhB      float32 = 0.071354816170706   // 2 sqrt(2/pi) 0.044715
	geluTanhB3     float32 = 0.214064448512118   // 3 geluTanhB
)

// expf is the float32 exp of the kernels. Every product is rounded before
// the addition that follows it (float32(...)), so no compiler fuses them:
// the assembly does the same multiplies and adds.
func expf(x float32) float32 {
	x = min(max(x, expMin), expMax)
	n := (float32(x*expLog2e) + expMagic) - expMagic
	r := x - float32(n*expLn2Hi)
	r -= float32(n * expLn2Lo)
	p := float32(expP0*r) + expP1
	p = float32(p*r) + expP2
	p = float32(p*r) + expP3
	p = float32(p*r) + expP4
	p = float32(p*r) + expP5
	e := float32(float32(p*r)*r) + r + 1
	// float32(): no caller, inlined, fuses this product into its addition.
	return float32(e * math.Float32frombits(uint32(int32(n)+127)<<23))
}

// erff is the float32 erf of the kernels.
func erff(x float32) float32 {
	x = min(max(x, -erfMax), erfMax)
	x2 := x * x
	p := float32(x2*erfA13) + erfA11
	p = float32(x2*p) + erfA9
	p = float32(x2*p) + erfA7
	p = float32(x2*p) + erfA5
	p = float32(x2*p) + erfA3
	p = float32(x2*p) + erfA1
	p = x * p
	q := float32(x2*erfB8) + erfB6
	q = float32(x2*q) + erfB4
	q = float32(x2*q) + erfB2
	q = float32(x2*q) + erfB0
	return p / q
}

func relu6p3(v float32) float32 { return min(max(v+3, 0), 6) / 6 }

// nonlinearGo is the Go twin of the nonlinear kernel.
func nonlinearGo(f Nonlinear, x, y []float32) {
	y = y[:len(x)]
	switch f {
	case Swish:
		for i, v := range x {
			y[i] = v / (1 + expf(-v))
		}
	case Sigmoid:
		for i, v := range x {
			y[i] = 1 / (1 + expf(-v))
		}
	case HardSwish:
		for i, v := range x {
			y[i] = v * relu6p3(v)
		}
	case HardSigmoid:
		for i, v := range x {
			y[i] = relu6p3(v)
		}
	case HardSigmoidKeras2:
		for i, v := range x {
			y[i] = min(max(float32(0.2*v)+0.5, 0), 1)
		}
	case GELU:
		for i, v := range x {
			h := 0.5 * v
			y[i] = h + float32(h*erff(v*geluInvSqrt2))
		}
	case GELUTanh:
		for i, v := range x {
			u := v * (float32(geluTanhB*float32(v*v)) + geluTanhA)
			y[i] = v / (1 + expf(-u))
		}
	}
}

// nonlinearGradGo is the Go twin of the nonlinear gradient kernel.
func nonlinearGradGo(f Nonlinear, x, dy, dx []float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	switch f {
	case Swish:
		for i, v := range x {
			s := 1 / (1 + expf(-v))
			dx[i] = dy[i] * (s * (float32(v*(1-s)) + 1))
		}
	case Sigmoid:
		for i, v := range x {
			s := 1 / (1 + expf(-v))
			dx[i] = dy[i] * (s * (1 - s))
		}
	case HardSwish:
		for i, v := range x {
			var d float32
			switch {
			case v > 3:
				d = 1
			case v >= -3:
				d = (float32(2*v) + 3) / 6
			}
			dx[i] = dy[i] * d
		}
	case HardSigmoid:
		for i, v := range x {
			var d float32
			if v > -3 && v < 3 {
				d = 1.0 / 6
			}
			dx[i] = dy[i] * d
		}
	case HardSigmoidKeras2:
		for i, v := range x {
			var d float32
			if v > -2.5 && v < 2.5 {
				d = 0.2
			}
			dx[i] = dy[i] * d
		}
	case GELU:
		for i, v := range x {
			phi := float32(0.5*erff(v*geluInvSqrt2)) + 0.5
			g := float32(float32(v*geluInvSqrt2Pi)*expf(float32(-0.5*v)*v)) + phi
			dx[i] = dy[i] * g
		}
	case GELUTanh:
		for i, v := range x {
			v2 := v * v
			u := v * (float32(geluTanhB*v2) + geluTanhA)
			du := float32(geluTanhB3*v2) + geluTanhA
			s := 1 / (1 + expf(-u))
			g := float32(float32(float32(v*s)*(1-s))*du) + s
			dx[i] = dy[i] * g
		}
	}
}
