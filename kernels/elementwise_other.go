//go:build !(amd64 || arm64) || purego

package kernels

// Placeholders for the amd64 vector loops of the elementwise kernels (their
// callers check elemAsm first, false in these builds).

func vecAddAct(a, b, y *float32, n, flags int) {
	panic("kernels: AVX2 vector loop called in a build without it")
}

func vecAct(x, y *float32, n, flags int) {
	panic("kernels: AVX2 vector loop called in a build without it")
}

func vecActGrad(x, dy, dx *float32, n, flags int) {
	panic("kernels: AVX2 vector loop called in a build without it")
}

func vecBiasAct(x, scale, shift, y *float32, rows, c, flags int) {
	panic("kernels: AVX2 vector loop called in a build without it")
}

func vecAxpy(alpha float32, x, y *float32, n int) {
	panic("kernels: AVX2 vector loop called in a build without it")
}

func transpose8x8Tiles(src *float32, lds int, dst *float32, ldd int, rows, cols int) {
	panic("kernels: AVX2 transpose called in a build without it")
}

func vecColSumSq(x, mean, sum, sumsq *float32, rows, c int) {
	panic("kernels: AVX2 vector loop called in a build without it")
}

func vecColDot(x, dy, mean, sdy, sdyx *float32, rows, c int) {
	panic("kernels: AVX2 vector loop called in a build without it")
}

func vecColAffine2(a, b, sa, sb, shift, y *float32, rows, c int) {
	panic("kernels: AVX2 vector loop called in a build without it")
}
