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
