//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// The amd64 int8 GEMM kernels (qgemm_amd64.s, written by asm/qgemm).
var (
	// qgemmVNNI512: VPDPBUSD zmm, up to 12 rows x 32 columns.
	qgemmVNNI512 = qgemmKernels{name: "vnni512", mr: 12, nr: 32, kg: 4, wbytes: 1,
		dot: func(rows, kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool) {
			qdotsVNNI512[rows-1](kc, a, lda, b, c, ldc, acc)
		}, requant: qRequantAsm256, requantRows: qRequantRowsAsm512, rowsAnyN: true}
	// qgemmAVXVNNI: VEX VPDPBUSD ymm (AVX-VNNI without AVX-512), up to 6 x 16.
	qgemmAVXVNNI = qgemmKernels{name: "avxvnni", mr: 6, nr: 16, kg: 4, wbytes: 1,
		dot: func(rows, kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool) {
			qdotsAVXVNNI[rows-1](kc, a, lda, b, c, ldc, acc)
		}, requant: qRequantAsm256, requantRows: qRequantRowsAsm256}
	// qgemmAVX2: int16 widening and VPMADDWD, exact where VPMADDUBSW would
	// saturate; up to 6 x 16.
	qgemmAVX2 = qgemmKernels{name: "avx2", mr: 6, nr: 16, kg: 2, wbytes: 2, widen: qWidenU8,
		dot: func(rows, kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool) {
			qdotsAVX2[rows-1](kc, a, lda, b, c, ldc, acc)
		}, requant: qRequantAsm256, requantRows: qRequantRowsAsm256}

	// qgemmMaddubs: VPMADDUBSW then VPMADDWD by ones, for weights whose
	// pairs cannot saturate its int16 sums (qgemmPairsFit); up to 6 x 16.
	qgemmMaddubs = qgemmKernels{name: "maddubs", mr: 6, nr: 16, kg: 4, wbytes: 1,
		dot: func(rows, kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool) {
			qdotsMaddubs[rows-1](kc, a, lda, b, c, ldc, acc)
		}, requant: qRequantAsm256, requantRows: qRequantRowsAsm256}

	qdotsVNNI512 = [...]func(kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool){
		qdotVNNI1x32, qdotVNNI2x32, qdotVNNI3x32, qdotVNNI4x32, qdotVNNI5x32, qdotVNNI6x32,
		qdotVNNI7x32, qdotVNNI8x32, qdotVNNI9x32, qdotVNNI10x32, qdotVNNI11x32, qdotVNNI12x32}
	qdotsAVXVNNI = [...]func(kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool){
		qdotAVXVNNI1x16, qdotAVXVNNI2x16, qdotAVXVNNI3x16, qdotAVXVNNI4x16, qdotAVXVNNI5x16, qdotAVXVNNI6x16}
	qdotsMaddubs = [...]func(kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool){
		qdotMaddubs1x16, qdotMaddubs2x16, qdotMaddubs3x16, qdotMaddubs4x16, qdotMaddubs5x16, qdotMaddubs6x16}
	qdotsAVX2 = [...]func(kc int, a *uint8, lda int, b *byte, c *int32, ldc int, acc bool){
		qdotAVX21x16, qdotAVX22x16, qdotAVX23x16, qdotAVX24x16, qdotAVX25x16, qdotAVX26x16}
)

// bf16x512: VDPBF16PS zmm, up to 12 rows x 32 columns.
var bf16x512 = bf16Kernels{mr: 12, convert: bf16Convert,
	dot: func(rows, kc int, a *uint16, lda int, b *uint16, c *float32, ldc int, acc bool) {
		bf16Dots[rows-1](kc, a, lda, b, c, ldc, acc)
	}}

var bf16Dots = [...]func(kc int, a *uint16, lda int, b *uint16, c *float32, ldc int, acc bool){
	bf16dot1x32, bf16dot2x32, bf16dot3x32, bf16dot4x32, bf16dot5x32, bf16dot6x32,
	bf16dot7x32, bf16dot8x32, bf16dot9x32, bf16dot10x32, bf16dot11x32, bf16dot12x32}

var (
	qdw512 = qdwKernels{lanes: 16, fused: qdwRows512}
	qdw256 = qdwKernels{lanes: 8, fused: qdwRows256}
)

func qRequantAsm512(n int, acc, corr *int32, scale, bias *float32, res *uint8, q *qParams, out *uint8, flags int) {
	qRequant512(n, acc, corr, scale, bias, res, (*float32)(unsafe.Pointer(q)), out, flags)
}

func qRequantRowsAsm512(rows, n int, acc *int32, lda int, corr *int32, scale, bias *float32, res *uint8, ldr int, q *qParams, out *uint8, ldo int, flags int) {
	qRequantRows512(rows, n, acc, lda, corr, scale, bias, res, ldr, (*float32)(unsafe.Pointer(q)), out, ldo, flags)
}

func qRequantRowsAsm256(rows, n int, acc *int32, lda int, corr *int32, scale, bias *float32, res *uint8, ldr int, q *qParams, out *uint8, ldo int, flags int) {
	qRequantRows256(rows, n, acc, lda, corr, scale, bias, res, ldr, (*float32)(unsafe.Pointer(q)), out, ldo, flags)
}

func qRequantAsm256(n int, acc, corr *int32, scale, bias *float32, res *uint8, q *qParams, out *uint8, flags int) {
	qRequant256(n, acc, corr, scale, bias, res, (*float32)(unsafe.Pointer(q)), out, flags)
}

// qgemmCandidates are the int8 GEMM kernels this CPU runs, fastest first.
func qgemmCandidates() []*qgemmKernels {
	var ks []*qgemmKernels
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VNNI) {
		ks = append(ks, &qgemmVNNI512)
	}
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.AVXVNNI) {
		ks = append(ks, &qgemmAVXVNNI)
	}
	if cpuid.CPU.Supports(cpuid.AVX2) {
		ks = append(ks, &qgemmAVX2)
	}
	return ks
}

// The int8 entries of the amd64 tables: AVX-512 takes VNNI when the CPU
// has it, and the AVX2 table is what KEEL_KERNELS=avx2 stands for, a CPU
// without AVX-512: AVX-VNNI where there is AVX-VNNI but no AVX-512 (Alder
// Lake and later cores), else the widening AVX2 kernel.
func init() {
	avx2Table.qgemm, avx2Table.qgemmPairs = &qgemmAVX2, &qgemmMaddubs
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.AVXVNNI) && !cpuid.CPU.Supports(cpuid.AVX512F) {
		avx2Table.qgemm, avx2Table.qgemmPairs = &qgemmAVXVNNI, nil
	}
	avx2Table.qdepthwise = &qdw256
	avx2Table.qmaxRows, avx512Table.qmaxRows = qMaxRows, qMaxRows
	avx512Table.qquantize = qQuantize512
	avx512Table.qgemm, avx512Table.qgemmPairs = avx2Table.qgemm, avx2Table.qgemmPairs
	avx512Table.qdepthwise = &qdw256
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VNNI) {
		avx512Table.qgemm, avx512Table.qgemmPairs = &qgemmVNNI512, nil
		avx512Table.qdepthwise = &qdw512
	}
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BF16) {
		avx512Table.bf16 = &bf16x512
	} else if cpuid.CPU.Supports(cpuid.AVX2, cpuid.AVXVNNI) {
		avx512Table.qgemm, avx512Table.qgemmPairs = &qgemmAVXVNNI, nil
	}
}
