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
// Go twins, or the assembly of one instruction set.
type convVariant struct {
	name string
	path Path
	uk   convKernelSpec
}

// convVariants lists the variants this machine can run.
func convVariants() []convVariant {
	var vs []convVariant
	for _, k := range convKernels() {
		p := AVX2
		if k.asm == nil {
			p = Generic
		}
		vs = append(vs, convVariant{k.name, p, k})
	}
	return vs
}

// withConvVariant runs fn with the kernels switched to v.
func withConvVariant(t testing.TB, v convVariant, fn func()) {
	withKernelPath(t, v.path, func() {
		prev := convForce
		convForce = &v.uk
		defer func() { convForce = prev }()
		fn()
	})
}
