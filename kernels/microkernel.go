package kernels

// microKernelSpec is one GEMM micro-kernel: it computes an mr x nr tile of C
// from packed slivers of A (mr floats per k step) and B (nr per step):
// c[i][j] = (accumulate ? c[i][j] : 0) + sum_p a[p*mr+i] * b[p*nr+j].
//
// direct, where not nil, computes the same tile reading mr rows of a
// row-major A in place (row stride lda) instead of a packed sliver.
type microKernelSpec struct {
	mr, nr int
	run    func(kc int, a, b, c []float32, ldc int, accumulate bool)
	direct func(kc int, a []float32, lda int, b, c []float32, ldc int, accumulate bool)
}

// Bounds over all micro-kernels: the edge-tile scratch size and the most rows.
const (
	maxTile = 14 * 32
	maxMR   = 14
)

// kernelFor returns the micro-kernel of path p.
func kernelFor(p Path) microKernelSpec {
	switch p {
	case AVX512:
		return microKernelSpec{14, 32, func(kc int, a, b, c []float32, ldc int, acc bool) {
			_ = c[13*ldc+31] // the whole tile is inside c
			sgemmKernel14x32(kc, &a[0], &b[0], &c[0], ldc, acc)
		}, func(kc int, a []float32, lda int, b, c []float32, ldc int, acc bool) {
			_ = a[13*lda+kc-1]
			_ = c[13*ldc+31]
			sgemmKernel14x32Direct(kc, &a[0], lda, &b[0], &c[0], ldc, acc)
		}}
	case AVX2:
		return microKernelSpec{6, 16, func(kc int, a, b, c []float32, ldc int, acc bool) {
			_ = c[5*ldc+15]
			sgemmKernel6x16(kc, &a[0], &b[0], &c[0], ldc, acc)
		}, func(kc int, a []float32, lda int, b, c []float32, ldc int, acc bool) {
			_ = a[5*lda+kc-1]
			_ = c[5*ldc+15]
			sgemmKernel6x16Direct(kc, &a[0], lda, &b[0], &c[0], ldc, acc)
		}}
	case NEON:
		// No direct variant: FMLA by element wants A four rows to a register,
		// which unpacked rows do not give.
		return microKernelSpec{mr: 8, nr: 12, run: func(kc int, a, b, c []float32, ldc int, acc bool) {
			_ = a[8*kc-1]
			_ = b[12*kc-1]
			_ = c[7*ldc+11]
			sgemmKernel8x12(kc, &a[0], &b[0], &c[0], ldc, acc)
		}}
	}
	return microKernelSpec{mr: 6, nr: 16, run: func(kc int, a, b, c []float32, ldc int, acc bool) {
		microKernelGeneric(6, 16, kc, a, b, c, ldc, acc)
	}}
}
