package kernels

import (
	"fmt"
	"testing"
)

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

// forVariantsAndThreads runs fn as the subtest "variant/threads=N" with the
// kernels switched to each runnable table, on 1 and 2 threads.
func forVariantsAndThreads(t *testing.T, fn func(t *testing.T)) {
	for _, v := range convVariants() {
		for _, threads := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/threads=%d", v.name, threads), func(t *testing.T) {
				prev := SetThreads(threads)
				defer SetThreads(prev)
				withConvVariant(t, v, func() { fn(t) })
			})
		}
	}
}

// withConvVariant runs fn with the kernels switched to v's table.
func withConvVariant(t testing.TB, v convVariant, fn func()) { withPath(t, v.path, fn) }
