//go:build amd64 && !purego

package kernels

// winogradAsm returns the assembly transforms for the active path: 16
// channels a step on AVX-512, 8 on AVX2; false on the generic path.
func winogradAsm() (winogradTransforms, bool) {
	switch {
	case active == Generic || !convAsmOK:
		return winogradTransforms{}, false
	case active == AVX512 && convZMMOK:
		return winogradTransforms{lanes: 16, input: winogradInput4x4x16, output: winogradOutput2x2x16}, true
	}
	return winogradTransforms{lanes: 8, input: winogradInput4x4x8, output: winogradOutput2x2x8}, true
}
