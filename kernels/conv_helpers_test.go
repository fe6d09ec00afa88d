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

// convVariant is one implementation of the conv-family kernels: the generic
// Go twins, or the assembly of one instruction set (its kernel table).
type convVariant struct {
	name string
	path Path
	uk   convKernelSpec
}

// convVariants lists the variants this machine can run.
func convVariants() []convVariant {
	var vs []convVariant
	for _, t := range runnableTables() {
		vs = append(vs, convVariant{string(t.path), t.path, t.conv})
	}
	return vs
}

// withConvVariant runs fn with the kernels switched to v's table.
func withConvVariant(t testing.TB, v convVariant, fn func()) { withKernelPath(t, v.path, fn) }
