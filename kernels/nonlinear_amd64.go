//go:build amd64 && !purego

package kernels

// The Nonlinear kernels of the amd64 tables (act_amd64.s, written by
// asm/act): AVX2, 8 floats a step; on the AVX-512 table the smooth
// functions 16 floats a step first (the hard ones are memory-bound at 8).
// The tails are the Go twins'.
var (
	nonlinear8  = nonlinearKernels{fwd: nonlinearAVX2, grad: nonlinearGradAVX2}
	nonlinear16 = nonlinearKernels{fwd: nonlinearAVX512, grad: nonlinearGradAVX512}
)

var (
	nonlinearFwd8 = [...]func(x, y *float32, n int){
		Swish: vecSwish, Sigmoid: vecSigmoid, HardSwish: vecHardSwish, HardSigmoid: vecHardSigmoid,
		HardSigmoidKeras2: vecHardSigmoidKeras2, GELU: vecGELU, GELUTanh: vecGELUTanh,
	}
	nonlinearGrad8 = [...]func(x, dy, dx *float32, n int){
		Swish: vecSwishGrad, Sigmoid: vecSigmoidGrad, HardSwish: vecHardSwishGrad, HardSigmoid: vecHardSigmoidGrad,
		HardSigmoidKeras2: vecHardSigmoidKeras2Grad, GELU: vecGELUGrad, GELUTanh: vecGELUTanhGrad,
	}
	// nil: the 8-lane kernel.
	nonlinearFwd16 = [...]func(x, y *float32, n int){
		Swish: vecSwish512, Sigmoid: vecSigmoid512, GELU: vecGELU512, GELUTanh: vecGELUTanh512,
	}
	nonlinearGrad16 = [...]func(x, dy, dx *float32, n int){
		Swish: vecSwishGrad512, Sigmoid: vecSigmoidGrad512, GELU: vecGELUGrad512, GELUTanh: vecGELUTanhGrad512,
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

func nonlinearAVX512(f Nonlinear, x, y []float32) {
	y = y[:len(x)]
	if k := nonlinearFwd16[f]; k != nil {
		if n16 := len(x) &^ 15; n16 > 0 {
			k(&x[0], &y[0], n16)
			x, y = x[n16:], y[n16:]
		}
	}
	nonlinearAVX2(f, x, y)
}

func nonlinearGradAVX512(f Nonlinear, x, dy, dx []float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	if k := nonlinearGrad16[f]; k != nil {
		if n16 := len(x) &^ 15; n16 > 0 {
			k(&x[0], &dy[0], &dx[0], n16)
			x, dy, dx = x[n16:], dy[n16:], dx[n16:]
		}
	}
	nonlinearGradAVX2(f, x, dy, dx)
}
