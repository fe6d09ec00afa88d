//go:build !(amd64 || arm64) || purego

package kernels

// Placeholder for the amd64 max-pooling gradient kernel (its caller checks
// elemAsm first, false in these builds).

func poolMaxGradRows(xs, dxs **float32, n, c int, dy *float32) {
	panic("kernels: AVX2 pooling kernel called in a build without it")
}
