//go:build !arm64 || purego

package kernels

// haveNEONAsm is false: this build has no arm64 assembly.
const haveNEONAsm = false

// armCPUName is arm64's stand-in for a brand string; other builds have one.
func armCPUName() string { return "" }

// Never called without the assembly (the NEON path cannot be chosen); it
// exists so that the dispatching code compiles everywhere.
func sgemmKernel8x12(k int, a, b, c *float32, ldc int, accumulate bool) {
	panic("kernels: NEON micro-kernel called in a build without it")
}

func gemvPanel12(k int, x, b, y *float32, accumulate bool) {
	panic("kernels: NEON GEMV kernel called in a build without it")
}
