package kernels

import "testing"

// kernelPaths returns the implementation families this machine can run:
// always Generic, and AVX2 when the assembly can run here.
func kernelPaths() []Path {
	ps := []Path{Generic}
	if prev, ok := usePath(AVX2); ok {
		usePath(prev)
		ps = append(ps, AVX2)
	}
	return ps
}

// withKernelPath runs fn with the kernels switched to p.
func withKernelPath(t testing.TB, p Path, fn func()) {
	prev, ok := usePath(p)
	if !ok {
		t.Skipf("%s kernels not available here", p)
	}
	defer usePath(prev)
	fn()
}
