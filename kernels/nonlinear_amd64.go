//go:build amd64 && !purego

package kernels

// nonlinear8 are the AVX2 Nonlinear kernels (act_amd64.s, written by
// asm/act), 8 floats a step, the tails in the Go twins. The AVX-512 table
// runs them too.
var nonlinear8 = nonlinearKernels{fwd: nonlinearAVX2, grad: nonlinearGradAVX2}

var (
	nonlinearFwd8 = [...]func(x, y *float32, n int){
		Swish: vecSwish, Sigmoid: vecSigmoid, HardSwish: vecHardSwish, HardSigmoid: vecHardSigmoid,
		HardSigmoidKeras2: vecHardSigmoidKeras2, GELU: vecGELU, GELUTanh: vecGELUTanh,
	}
	nonlinearGrad8 = [...]func(x, dy, dx *float32, n int){
		Swish: vecSwishGrad, Sigmoid: vecSigmoidGrad, HardSwish: vecHardSwishGrad, HardSigmoid: vecHardSigmoidGrad,
		HardSigmoidKeras2: vecHardSigmoidKeras2Grad, GELU: vecGELUGrad, GELUTanh: vecGELUTanhGrad,
	}
)

func nonlinearAVX2(f Nonlinear, x, y []float32) {
	y = y[:len(x)]
	if n8 := len(x) &^ 7; n8 > 0 {
		nonlinearFwd8[f](&x[0], &y[0], n8)
		x, y = x[n8:], y[n8:]
	}
	nonlinearGo(f, x, y)
}

func nonlinearGradAVX2(f Nonlinear, x, dy, dx []float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	if n8 := len(x) &^ 7; n8 > 0 {
		nonlinearGrad8[f](&x[0], &dy[0], &dx[0], n8)
		x, dy, dx = x[n8:], dy[n8:], dx[n8:]
	}
	nonlinearGradGo(f, x, dy, dx)
}
