//go:build !amd64 || purego

package kernels

// winogradAsm: the transforms have no assembly here, so the convolutions keep
// their direct path (on arm64, the NEON one).
func winogradAsm() (winogradTransforms, bool) { return winogradTransforms{}, false }
