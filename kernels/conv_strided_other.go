//go:build !(amd64 || arm64) || purego

package kernels

// Placeholders for the amd64 strided conv kernels (used only through the
// AVX2 and AVX-512 kernel specs, which need convAsmOK, false in these builds).

func convKernel6x16Strided(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32, rs int) {
	panic("kernels: AVX2 conv kernel called in a build without it")
}

func convKernel8x32Strided(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32, rs int) {
	panic("kernels: AVX-512 conv kernel called in a build without it")
}

func convKernel14x32Strided(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32, rs int) {
	panic("kernels: AVX-512 conv kernel called in a build without it")
}
