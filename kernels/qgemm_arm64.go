//go:build arm64 && !purego

package kernels

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// The arm64 int8 GEMM kernels and requantizing epilogue (qgemm_arm64.s,
// written by asm/qneon).
var (
	// qgemmSDOT: SDOT by element (the dot-product extension), up to 4 x 16.
	qgemmSDOT = qgemmKernels{name: "sdot", mr: 4, nr: 16, kg: 4, kpad: 16, wbytes: 1, signedA: true,
		dot: func(rows, kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool) {
			qdotsSDOT[rows-1](kc, a, lda, b, c, ldc, acc)
		}, requant: qRequantAsmNEON}
	// qgemmNEON: SMLAL by element on int16 (any ASIMD), up to 4 x 16.
	qgemmNEON = qgemmKernels{name: "neon", mr: 4, nr: 16, kg: 1, kpad: 8, wbytes: 2,
		dot: func(rows, kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool) {
			qdotsNEON[rows-1](kc, a, lda, b, c, ldc, acc)
		}, requant: qRequantAsmNEON}

	qdotsSDOT = [...]func(kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool){
		qdotSDOT1x16, qdotSDOT2x16, qdotSDOT3x16, qdotSDOT4x16}
	qdotsNEON = [...]func(kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool){
		qdotNEON1x16, qdotNEON2x16, qdotNEON3x16, qdotNEON4x16}
)

func qRequantAsmNEON(n int, acc, corr *int32, scale, bias *float32, res *uint8, q *qParams, out *uint8, flags int) {
	qRequantNEON(n, acc, corr, scale, bias, res, (*float32)(unsafe.Pointer(q)), out, flags)
}

// qgemmCandidates are the int8 GEMM kernels this CPU runs, fastest first.
func qgemmCandidates() []*qgemmKernels {
	if cpuid.CPU.Supports(cpuid.ASIMDDP) {
		return []*qgemmKernels{&qgemmSDOT, &qgemmNEON}
	}
	return []*qgemmKernels{&qgemmNEON}
}

var qdwNEON = qdwKernels{lanes: 16, rows16: qdwRowsNEON, requant: qRequantAsmNEON}

func init() {
	neonTable.qgemm = qgemmCandidates()[0]
	neonTable.qdepthwise = &qdwNEON
}
