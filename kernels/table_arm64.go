//go:build arm64 && !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// asmTables are this build's assembly tables: NEON (neon_arm64.s, written by
// asm/neon). Its conv-family kernels keep the amd64 AVX2 names and
// signatures (convKernel6x16, depthwise3x3Packed, vecAct...), as the tests
// that compare them with the Go twins rely on.
var asmTables = []*kernelTable{&neonTable}

// neonTable: fp32 ASIMD kernels, no Winograd transforms (the convolutions
// keep their direct path) and no direct GEMM variant (FMLA by element wants
// A four rows to a register, which unpacked rows do not give).
var neonTable = kernelTable{
	path: NEON,
	// ASIMD is part of the arm64 base ISA; the kernels use only its fp32
	// operations, so fp16 and dot-product support change nothing yet.
	cpu:   func() bool { return cpuid.CPU.Supports(cpuid.ASIMD) },
	sgemm: microKernelSpec{mr: 8, nr: 12, run: sgemm8x12},
	sgemv: gemvPanel12,
	// stream as on amd64: the kernel ignores convStream, and storeFence
	// (below) has nothing to order.
	conv: convKernelSpec{mr: 6, nr: 16, asm: convKernel6x16, stream: true,
		strided: []stridedKernel{{6, convKernel6x16Strided}}},
	depthwise: &depthwiseKernels{
		rows: []depthwiseRowKernels{{lanes: 8, linear: depthwise3x3Packed,
			relu: depthwise3x3PackedReLU, relu6: depthwise3x3PackedReLU6, grad: depthwise3x3RowGrad}},
		tapsAct: depthwiseTapsAct, tapsGrad: depthwiseTapsGrad},
	pool: &poolKernels{maxRows: poolMaxRows, sumRows: poolSumRows, maxGradRows: poolMaxGradRows},
	elementwise: &vecKernels{addAct: vecAddAct, act: vecAct, actGrad: vecActGrad, biasAct: vecBiasAct, axpy: vecAxpy,
		colSumSq: vecColSumSq, colDot: vecColDot, colAffine2: vecColAffine2, transpose8x8Tiles: transpose8x8Tiles},
	nonlinear: nonlinearTwins,
	fmaPeak:   goPeakLoop,
}

func sgemm8x12(kc int, a, b, c []float32, ldc int, acc bool) {
	_ = a[8*kc-1]
	_ = b[12*kc-1]
	_ = c[7*ldc+11]
	sgemmKernel8x12(kc, &a[0], &b[0], &c[0], ldc, acc)
}

// storeFence orders non-temporal stores; the NEON conv kernel makes none.
func storeFence() {}

// prefetchL2 is a hint, not issued in this build.
func prefetchL2(p *float32, lines int) {}
