//go:build !amd64 || purego

package kernels

// Without the assembly these are never called (no path that uses them can
// be chosen); they exist so that the dispatching code compiles everywhere.

func sgemmKernel6x16(k int, a, b, c *float32, ldc int, accumulate bool) {
	panic("kernels: AVX2 micro-kernel called in a build without it")
}

func sgemmKernel14x32(k int, a, b, c *float32, ldc int, accumulate bool) {
	panic("kernels: AVX-512 micro-kernel called in a build without it")
}

func sgemmKernel6x16Direct(k int, a *float32, lda int, b, c *float32, ldc int, accumulate bool) {
	panic("kernels: AVX2 micro-kernel called in a build without it")
}

func sgemmKernel14x32Direct(k int, a *float32, lda int, b, c *float32, ldc int, accumulate bool) {
	panic("kernels: AVX-512 micro-kernel called in a build without it")
}

func gemvPanel16(k int, x, b, y *float32, accumulate bool) {
	panic("kernels: AVX2 GEMV kernel called in a build without it")
}

func gemvPanel32(k int, x, b, y *float32, accumulate bool) {
	panic("kernels: AVX-512 GEMV kernel called in a build without it")
}

func fmaPeakLoop(n int)    { panic("kernels: FMA peak loop called in a build without it") }
func fmaPeakLoop512(n int) { panic("kernels: FMA peak loop called in a build without it") }
