//go:build arm64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The NEON kernels against their Go twins, run under qemu-aarch64 by
// `make test`: every awkward size, guard values around every output.

func skipWithoutNEON(t *testing.T) {
	t.Helper()
	if !canRun(NEON) {
		t.Skip("NEON kernels not in this build")
	}
}

// guarded returns a slice of n floats with guard values on both sides, and
// a function that fails the test if a guard changed.
func guarded(t *testing.T, r *rand.Rand, n int) (s []float32, check func(what string)) {
	const pad = 16
	g := make([]float32, n+2*pad)
	for i := range g {
		g[i] = guard
	}
	s = g[pad : pad+n : pad+n]
	copy(s, randSlice(r, n))
	return s, func(what string) {
		t.Helper()
		for i := 0; i < pad; i++ {
			require.Equal(t, guard, g[i], "%s: guard before the output overwritten", what)
			require.Equal(t, guard, g[len(g)-1-i], "%s: guard after the output overwritten", what)
		}
	}
}

func TestNEONMicroKernelTwin(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(11, 12))
	uk := kernelFor(NEON)
	require.Equal(t, 8, uk.mr)
	require.Equal(t, 12, uk.nr)
	for _, kc := range []int{1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 64, 257} {
		for _, ldc := range []int{12, 13, 17, 33} {
			for _, acc := range []bool{false, true} {
				what := fmt.Sprintf("kc=%d ldc=%d acc=%v", kc, ldc, acc)
				a, b := randSlice(r, kc*uk.mr), randSlice(r, kc*uk.nr)
				n := (uk.mr-1)*ldc + uk.nr
				got, check := guarded(t, r, n)
				if !acc {
					for i := range got { // never read when overwriting
						got[i] = float32(math.NaN())
					}
				}
				want := append([]float32(nil), got...)
				uk.run(kc, a, b, got, ldc, acc)
				check(what)
				microKernelGeneric(uk.mr, uk.nr, kc, a, b, want, ldc, acc)
				for i := 0; i < uk.mr; i++ {
					for j := 0; j < ldc && i*ldc+j < n; j++ {
						if j >= uk.nr {
							require.True(t, math.IsNaN(float64(got[i*ldc+j])) || got[i*ldc+j] == want[i*ldc+j], "%s: column %d past the tile written", what, j)
						}
					}
				}
				requireCloseNaN(t, want, got, kc, what)
			}
		}
	}
}

// requireCloseNaN is requireClose where NaN == NaN (the gaps between rows
// keep the NaN they were filled with).
func requireCloseNaN(t *testing.T, want, got []float32, k int, what string) {
	t.Helper()
	w, g := append([]float32(nil), want...), append([]float32(nil), got...)
	for i := range w {
		if math.IsNaN(float64(w[i])) && math.IsNaN(float64(g[i])) {
			w[i], g[i] = 0, 0
		}
	}
	requireClose(t, w, g, k, what)
}

func TestNEONSgemmMatchesNaive(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(13, 14))
	threadCounts := []int{1, 2}
	if testing.Short() { // one thread, and no case of more than 10M multiply-adds
		threadCounts = threadCounts[:1]
	}
	for _, threads := range threadCounts {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			prevT := SetThreads(threads)
			defer SetThreads(prevT)
			withPath(t, NEON, func() {
				for _, c := range gemmCases() {
					if testing.Short() && c.m*c.n*c.k > 10_000_000 {
						continue
					}
					checkSgemmCase(t, r, c)
				}
			})
		})
	}
}

func TestNEONSgemmPacked(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(15, 16))
	withPath(t, NEON, func() {
		for _, c := range []gemmCase{{m: 1, n: 1, k: 1}, {m: 33, n: 17, k: 7}, {m: 9, n: 13, k: 385}, {m: 200, n: 100, k: 70, transB: true}, {m: 7, n: 1000, k: 30, transA: true}} {
			c.alpha, c.beta = 1, 0.5
			a, lda, b, ldb, cm, ldc := c.operands(r)
			want := append([]float32(nil), cm...)
			naiveSgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, want, ldc)
			pb := PackB(c.transB, c.k, c.n, b, ldb)
			SgemmPacked(c.transA, c.m, c.n, c.k, c.alpha, a, lda, pb, c.beta, cm, ldc)
			requireClose(t, want, cm, c.k, "packed "+c.String())
		}
	})
}

func TestNEONBlocks(t *testing.T) {
	uk := kernelFor(NEON)
	// Cortex-A72 (Raspberry Pi 4), Cortex-A76, Neoverse N1, and nothing known.
	for _, c := range []Caches{{32 << 10, 1 << 20, 0}, {64 << 10, 512 << 10, 2 << 20}, {64 << 10, 1 << 20, 32 << 20}, {1, 1, 1}} {
		b := blocksFor(c, uk)
		require.True(t, b.KC >= 128 && b.KC <= 384, "%v: KC %d", c, b.KC)
		require.True(t, b.MC >= uk.mr && b.MC%uk.mr == 0, "%v: MC %d", c, b.MC)
		require.True(t, b.NC >= uk.nr && b.NC%uk.nr == 0, "%v: NC %d", c, b.NC)
	}
}

// convRef is the reference for the conv micro-kernel (doc in
// neon_arm64_stub.go), summed in float64.
func convRef(mr, nr, nseg, seglen int, rows [][]float32, b []float32, ldb int, c []float32, ldc, flags int, bias []float32) {
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			var s float64
			for g := 0; g < nseg; g++ {
				for p := 0; p < seglen; p++ {
					s += float64(rows[g*mr+i][p]) * float64(b[(g*seglen+p)*ldb+j])
				}
			}
			v := float32(s)
			if flags&convAccumulate != 0 {
				v += c[i*ldc+j]
			}
			if flags&convBias != 0 {
				v += bias[j]
			}
			if flags&(convReLU|convReLU6) != 0 {
				v = max(v, 0)
			}
			if flags&convReLU6 != 0 {
				v = min(v, 6)
			}
			c[i*ldc+j] = v
		}
	}
}

func TestNEONConvKernel(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(17, 18))
	const mr, nr = 6, 16
	for _, nseg := range []int{0, 1, 2, 3, 9} {
		for _, seglen := range []int{0, 1, 2, 3, 4, 7, 17, 33} {
			for _, ldb := range []int{16, 21} {
				for flags := 0; flags < 16; flags++ {
					if flags&convReLU != 0 && flags&convReLU6 != 0 {
						continue
					}
					if testing.Short() && flags != 0 && flags != 3 && flags != 5 && flags != 11 {
						continue // none; accumulate with bias, with ReLU, with bias and ReLU6
					}
					what := fmt.Sprintf("nseg=%d seglen=%d ldb=%d flags=%d", nseg, seglen, ldb, flags)
					// Each row of each segment is its own guarded slice, as
					// the rows of NHWC input the engine points at are.
					rows := make([][]float32, nseg*mr)
					tab := make([]*float32, max(1, nseg*mr))
					checks := make([]func(string), 0, len(rows))
					for i := range rows {
						var chk func(string)
						rows[i], chk = guarded(t, r, max(seglen, 1))
						tab[i] = &rows[i][0]
						checks = append(checks, chk)
					}
					b := randSlice(r, max(1, nseg*seglen)*ldb)
					bias := randSlice(r, nr)
					for j := range bias {
						bias[j] *= 4 // some sums above 6
					}
					ldc := nr + 5
					got, check := guarded(t, r, (mr-1)*ldc+nr)
					for i := range got {
						got[i] *= 8
					}
					want := append([]float32(nil), got...)
					convKernel6x16(nseg, seglen, &tab[0], &b[0], ldb, &got[0], ldc, flags, &bias[0])
					check(what)
					for _, chk := range checks {
						chk(what + " (A row)")
					}
					convRef(mr, nr, nseg, seglen, rows, b, ldb, want, ldc, flags, bias)
					requireClose(t, want, got, nseg*seglen, what)
				}
			}
		}
	}
}

// The strided twin: one pointer per segment, row i at i*rs floats from it.
func TestNEONConvKernelStrided(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(19, 20))
	const mr, nr = 6, 16
	for _, nseg := range []int{1, 2, 9} {
		for _, seglen := range []int{1, 2, 3, 7, 33} {
			for _, rs := range []int{seglen, seglen + 3, 2 * seglen} {
				for _, flags := range []int{0, 3, 5, 11} {
					what := fmt.Sprintf("nseg=%d seglen=%d rs=%d flags=%d", nseg, seglen, rs, flags)
					rows := make([][]float32, nseg*mr)
					tab := make([]*float32, nseg)
					for g := 0; g < nseg; g++ {
						buf := randSlice(r, (mr-1)*rs+seglen)
						tab[g] = &buf[0]
						for i := 0; i < mr; i++ {
							rows[g*mr+i] = buf[i*rs : i*rs+seglen]
						}
					}
					ldb := nr + 3
					b := randSlice(r, nseg*seglen*ldb)
					bias := bigRand(r, nr)
					ldc := nr + 1
					got, check := guarded(t, r, (mr-1)*ldc+nr)
					want := append([]float32(nil), got...)
					convKernel6x16Strided(nseg, seglen, &tab[0], &b[0], ldb, &got[0], ldc, flags, &bias[0], rs)
					check(what)
					convRef(mr, nr, nseg, seglen, rows, b, ldb, want, ldc, flags, bias)
					requireClose(t, want, got, nseg*seglen, what)
				}
			}
		}
	}
}

// The epilogue's max and min treat NaN as Go's do.
func TestNEONConvKernelNaN(t *testing.T) {
	skipWithoutNEON(t)
	const mr, nr = 6, 16
	nan := float32(math.NaN())
	zero := make([]float32, 4)
	tab := make([]*float32, mr)
	for i := range tab {
		tab[i] = &zero[0]
	}
	b := make([]float32, 4*nr)
	for _, flags := range []int{convReLU, convReLU6} {
		c := make([]float32, mr*nr)
		c[0], c[1], c[2] = nan, -3, 9
		convKernel6x16(1, 4, &tab[0], &b[0], nr, &c[0], nr, flags|convAccumulate, nil)
		act := ActReLU
		if flags == convReLU6 {
			act = ActReLU6
		}
		require.True(t, math.IsNaN(float64(c[0])), "flags %d: NaN kept", flags)
		require.Equal(t, act.apply(-3), c[1])
		require.Equal(t, act.apply(9), c[2])
	}
}
