package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// gemvPaths are the paths with a one-row kernel this machine can run, and
// the generic one.
func gemvPaths() []Path {
	var ps []Path
	for _, p := range []Path{Generic, AVX2, AVX512, NEON} {
		if canRun(p) {
			ps = append(ps, p)
		}
	}
	return ps
}

// One row times packed B takes the one-row panel kernels on the assembly
// paths; every path must agree with the float64 oracle, across KC blocks
// (k > 512) and with n not a multiple of the panel width.
func TestSgemvPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, p := range gemvPaths() {
		withPath(t, p, func() {
			for _, threads := range []int{1, 2} {
				prev := SetThreads(threads)
				for _, n := range []int{1, 7, 17, 33, 64, 100, 300} {
					for _, k := range []int{1, 3, 7, 17, 513, 1100} {
						a, b := randSlice(r, k), randSlice(r, k*n)
						// Guard values after c catch a write past n.
						c := randSlice(r, n+40)
						want := append([]float32(nil), c...)
						naiveSgemm(false, false, 1, n, k, 1, a, k, b, n, 0, want, n)
						pb := PackB(false, k, n, b, n)
						SgemmPacked(false, 1, n, k, 1, a, k, pb, 0, c, n)
						requireClose(t, want, c, k, fmt.Sprintf("%s threads=%d n=%d k=%d", p, threads, n, k))
					}
				}
				SetThreads(prev)
			}
		})
	}
}

func TestGemvPanelTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, p := range gemvPaths() {
		if p == Generic {
			continue
		}
		nr := kernelFor(p).nr
		withPath(t, p, func() {
			uk := gemvKernelFor(tableFor(p), nr)
			if uk == nil {
				t.Fatalf("%s: no one-row kernel for its %d-column panels", p, nr)
			}
			for _, k := range []int{1, 2, 3, 4, 5, 7, 17, 64, 257} {
				for _, acc := range []bool{false, true} {
					x, b := randSlice(r, k), randSlice(r, k*nr)
					y0 := randSlice(r, nr)
					y1 := append([]float32(nil), y0...)
					uk(k, &x[0], &b[0], &y0[0], acc)
					gemvPanelGeneric(nr, k, x, b, y1, acc)
					requireClose(t, y1, y0, k, fmt.Sprintf("%s k=%d acc=%v", p, k, acc))
				}
			}
		})
	}
}

// VGG16's fc1 at batch 1: 25088 x 4096 weights (411 MB), streamed once.
func BenchmarkSgemvPackedVGG16fc1(b *testing.B) {
	r := rand.New(rand.NewPCG(25, 26))
	k, n := 25088, 4096
	a, w := randSlice(r, k), randSlice(r, k*n)
	pb := PackB(false, k, n, w, n)
	w = nil
	c := make([]float32, n)
	b.SetBytes(int64(4 * k * n))
	b.ResetTimer()
	for range b.N {
		SgemmPacked(false, 1, n, k, 1, a, k, pb, 0, c, n)
	}
}
