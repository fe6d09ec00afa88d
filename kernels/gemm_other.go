//go:build !amd64 || purego

package kernels

// Without the assembly these are never called (active is never AVX2); they
// exist so that the dispatching code compiles on every platform.

func sgemmKernel6x16(k int, a, b, c *float32, ldc int, accumulate bool) {
	panic("kernels: AVX2 micro-kernel called in a build without it")
}

func fmaPeakLoop(n int) { panic("kernels: FMA peak loop called in a build without it") }
