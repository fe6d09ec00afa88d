//go:build !(amd64 || arm64) || purego

package kernels

// Without the assembly these are never called (the conv kernels use them only
// when convAsmOK is true); they exist so that the dispatch compiles.

func convKernel6x16(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32) {
	panic("kernels: AVX2 conv kernel called in a build without it")
}

func convKernel8x32(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32) {
	panic("kernels: AVX-512 conv kernel called in a build without it")
}

func depthwise3x3RowGrad(rows **float32, dy, dw *float32, count, c, xs, xd int) {
	panic("kernels: AVX2 depthwise kernel called in a build without it")
}

func poolMaxRows(rows **float32, n, c int, out *float32) {
	panic("kernels: AVX2 pooling kernel called in a build without it")
}

func poolSumRows(rows **float32, n, c int, scale float32, out *float32) {
	panic("kernels: AVX2 pooling kernel called in a build without it")
}
