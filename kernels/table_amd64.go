//go:build amd64 && !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// asmTables are this build's assembly tables, fastest first.
var asmTables = []*kernelTable{&avx512Table, &avx2Table}

// avx512Table: zmm kernels where they pay (GEMM, GEMV, conv, Winograd,
// depthwise at 16 channels, the smooth Nonlinear activations), the AVX2
// ones elsewhere.
var avx512Table = kernelTable{
	path: AVX512,
	cpu: func() bool {
		return cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.AVX512DQ)
	},
	sgemm: microKernelSpec{mr: 14, nr: 32, run: packedOnSlices(14, 32, sgemmKernel14x32),
		direct: directOnSlices(14, 32, sgemmKernel14x32Direct)},
	sgemv:  gemvPanel32,
	conv:   conv8x32,
	conv16: &conv6x16,
	// The last strip of a block, when it has 8 rows or fewer, goes to the
	// 8x32 conv kernel (B row-major as a packed panel is), not the 14-row
	// GEMM micro-kernel.
	winograd: winogradTransforms{lanes: 16, tile: 2, input: winogradInput4x4x16, output: winogradOutput2x2x16,
		short: conv8x32.asm, shortMR: conv8x32.mr},
	winograd4: winogradTransforms{lanes: 16, tile: 4, input: winogradInput6x6x16, output: winogradOutput4x4x16,
		short: conv8x32.asm, shortMR: conv8x32.mr},
	depthwise:   &depthwise16,
	pool:        &pooling8,
	elementwise: &elementwise8,
	nonlinear:   nonlinear16,
	fmaPeak:     fmaPeak32,
}

var avx2Table = kernelTable{
	path: AVX2,
	cpu:  func() bool { return cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) },
	sgemm: microKernelSpec{mr: 6, nr: 16, run: packedOnSlices(6, 16, sgemmKernel6x16),
		direct: directOnSlices(6, 16, sgemmKernel6x16Direct)},
	sgemv:       gemvPanel16,
	conv:        conv6x16,
	winograd:    winogradTransforms{lanes: 8, tile: 2, input: winogradInput4x4x8, output: winogradOutput2x2x8},
	winograd4:   winogradTransforms{lanes: 8, tile: 4, input: winogradInput6x6x8, output: winogradOutput4x4x8},
	depthwise:   &depthwise8,
	pool:        &pooling8,
	elementwise: &elementwise8,
	nonlinear:   nonlinear8,
	fmaPeak:     fmaPeak16,
}

var (
	conv6x16 = convKernelSpec{mr: 6, nr: 16, asm: convKernel6x16, stream: true,
		strided: []stridedKernel{{6, convKernel6x16Strided}}}
	// The 7-row kernels: 49 pixels (a 7x7 layer at batch 1, the last stage
	// of a ResNet or DenseNet) in strips of 7, not 8 and a 1-row tail.
	conv8x32 = convKernelSpec{mr: 8, nr: 32, asm: convKernel8x32, stream: true,
		strided: []stridedKernel{{14, convKernel14x32Strided}, {8, convKernel8x32Strided}, {7, convKernel7x32Strided}},
		alt:     &conv7x32}
	conv7x32 = convKernelSpec{mr: 7, nr: 32, asm: convKernel7x32, stream: true}

	depthwiseRows8 = depthwiseRowKernels{lanes: 8, linear: depthwise3x3Packed,
		relu: depthwise3x3PackedReLU, relu6: depthwise3x3PackedReLU6, grad: depthwise3x3RowGrad}
	depthwise8 = depthwiseKernels{rows: []depthwiseRowKernels{depthwiseRows8}, tapsAct: depthwiseTapsAct, tapsGrad: depthwiseTapsGrad,
		kxk: depthwiseKxK}
	depthwise16 = depthwiseKernels{
		rows: []depthwiseRowKernels{{lanes: 16, linear: depthwise3x3Packed512,
			relu: depthwise3x3Packed512ReLU, relu6: depthwise3x3Packed512ReLU6, grad: depthwise3x3RowGrad512}, depthwiseRows8},
		tapsAct: depthwiseTapsAct, tapsGrad: depthwiseTapsGrad, kxk: depthwiseKxK512}

	pooling8     = poolKernels{maxRows: poolMaxRows, sumRows: poolSumRows, maxGradRows: poolMaxGradRows}
	elementwise8 = vecKernels{addAct: vecAddAct, act: vecAct, actGrad: vecActGrad, biasAct: vecBiasAct, axpy: vecAxpy,
		colSumSq: vecColSumSq, colSum64: vecColSum64, layerNorm: vecLayerNormRows, flushDenormals: vecFlushDenormals, colDot: vecColDot, colAffine2: vecColAffine2, transpose8x8Tiles: transpose8x8Tiles}
)

// packedOnSlices and directOnSlices adapt the GEMM micro-kernels to slices:
// the bounds checks say the whole mr x nr tile lies inside c (and, for the
// direct kernels, mr rows of A inside a).
func packedOnSlices(mr, nr int, k func(kc int, a, b, c *float32, ldc int, acc bool)) func(kc int, a, b, c []float32, ldc int, acc bool) {
	return func(kc int, a, b, c []float32, ldc int, acc bool) {
		_ = c[(mr-1)*ldc+nr-1]
		k(kc, &a[0], &b[0], &c[0], ldc, acc)
	}
}

func directOnSlices(mr, nr int, k func(kc int, a *float32, lda int, b, c *float32, ldc int, acc bool)) func(kc int, a []float32, lda int, b, c []float32, ldc int, acc bool) {
	return func(kc int, a []float32, lda int, b, c []float32, ldc int, acc bool) {
		_ = a[(mr-1)*lda+kc-1]
		_ = c[(mr-1)*ldc+nr-1]
		k(kc, &a[0], lda, &b[0], &c[0], ldc, acc)
	}
}

// fmaPeak32 and fmaPeak16: 12 chains of 32 (zmm) or 16 (ymm) flops a step.
func fmaPeak32(n int) float64 { fmaPeakLoop512(n); return float64(n) * 12 * 32 }
func fmaPeak16(n int) float64 { fmaPeakLoop(n); return float64(n) * 12 * 16 }
