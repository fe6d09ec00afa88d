//go:build amd64 && !purego

package kernels

// winogradAsm returns the assembly transforms for the active path: 16
// channels a step on AVX-512, 8 on AVX2; false on the generic path.
func winogradAsm() (winogradTransforms, bool) {
	switch {
	case active == Generic || !convAsmOK:
		return winogradTransforms{}, false
	case active == AVX512 && convZMMOK:
		// The last strip of a block, when it has 8 rows or fewer, goes to
		// the AVX-512 conv kernel (8 rows of 32 channels, B row-major as a
		// packed panel is), not the 14-row GEMM micro-kernel.
		return winogradTransforms{lanes: 16, input: winogradInput4x4x16, output: winogradOutput2x2x16,
			short: convAVX512Kernel.asm, shortMR: convAVX512Kernel.mr}, true
	}
	return winogradTransforms{lanes: 8, input: winogradInput4x4x8, output: winogradOutput2x2x8}, true
}
