//go:build !(amd64 || arm64) || purego

package kernels

// qgemmCandidates are the int8 GEMM kernels this CPU runs, fastest first.
func qgemmCandidates() []*qgemmKernels { return nil }
