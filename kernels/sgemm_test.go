package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// naiveSgemm is the oracle: the triple loop in float64.
func naiveSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(v)
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// paths returns the implementations this machine can run.
func paths() []Path {
	var ps []Path
	for _, p := range []Path{Generic, AVX2, AVX512} {
		if canRun(p) {
			ps = append(ps, p)
		}
	}
	return ps
}

// withPath runs fn with the kernels switched to p.
func withPath(t testing.TB, p Path, fn func()) {
	prev, ok := usePath(p)
	if !ok {
		t.Skipf("%s kernels not available here", p)
	}
	defer usePath(prev)
	fn()
}

// checkSgemmCase checks Sgemm on the operands of c drawn from r against
// naiveSgemm, and that it writes nothing outside C.
func checkSgemmCase(t *testing.T, r *rand.Rand, c gemmCase) {
	t.Helper()
	a, lda, b, ldb, cm, ldc := c.operands(r)
	want := append([]float32(nil), cm...)
	naiveSgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, want, ldc)
	g := withGuards(cm)
	got := g[16 : 16+len(cm)]
	Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
	checkGuards(t, g)
	requireClose(t, want, got, c.k, c.String())
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	padA, padB     int // extra leading-dimension elements
	padC           int
}

func (c gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d/%d/%d", c.transA, c.transB, c.m, c.n, c.k, c.alpha, c.beta, c.padA, c.padB, c.padC)
}

// operands builds A, B and C for the case, with C wrapped in guard values that
// must survive the call.
func (c gemmCase) operands(r *rand.Rand) (a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
	ar, ac := c.m, c.k
	if c.transA {
		ar, ac = c.k, c.m
	}
	br, bc := c.k, c.n
	if c.transB {
		br, bc = c.n, c.k
	}
	lda, ldb, ldc = max(ac, 1)+c.padA, max(bc, 1)+c.padB, max(c.n, 1)+c.padC
	a = randSlice(r, ar*lda)
	b = randSlice(r, br*ldb)
	cm = randSlice(r, c.m*ldc)
	return
}

const guard = float32(-12345.5)

func withGuards(c []float32) []float32 {
	g := make([]float32, len(c)+32)
	for i := range g {
		g[i] = guard
	}
	copy(g[16:], c)
	return g
}

func checkGuards(t *testing.T, g []float32) {
	t.Helper()
	for i := 0; i < 16; i++ {
		require.Equal(t, guard, g[i], "guard before C overwritten")
		require.Equal(t, guard, g[len(g)-1-i], "guard after C overwritten")
	}
}

func gemmCases() []gemmCase {
	var cs []gemmCase
	dims := []int{1, 2, 7, 17, 33}
	for _, m := range dims {
		for _, n := range dims {
			for _, k := range dims {
				cs = append(cs, gemmCase{m: m, n: n, k: k, alpha: 1, beta: 0})
			}
		}
	}
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, ab := range [][2]float32{{1, 0}, {1, 1}, {0.5, -2}, {0, 0.5}, {-1.5, 1}} {
				cs = append(cs,
					gemmCase{transA: tA, transB: tB, m: 257, n: 33, k: 17, alpha: ab[0], beta: ab[1], padA: 3, padB: 5, padC: 7},
					gemmCase{transA: tA, transB: tB, m: 17, n: 257, k: 33, alpha: ab[0], beta: ab[1], padC: 1},
					gemmCase{transA: tA, transB: tB, m: 33, n: 17, k: 257, alpha: ab[0], beta: ab[1], padA: 1, padB: 1},
				)
			}
		}
	}
	// Larger than one block in every direction, to cross MC, KC and NC edges.
	cs = append(cs,
		gemmCase{m: 1031, n: 70, k: 600, alpha: 1, beta: 1},
		gemmCase{m: 50, n: 2000, k: 300, alpha: 1, beta: 0, padC: 9},
		gemmCase{transA: true, transB: true, m: 200, n: 1100, k: 700, alpha: 0.25, beta: 0.5},
		gemmCase{m: 0, n: 5, k: 3, alpha: 1, beta: 0},
		gemmCase{m: 5, n: 3, k: 0, alpha: 1, beta: 0.5},
	)
	return cs
}

func TestSgemmMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range paths() {
		for _, threads := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/threads=%d", p, threads), func(t *testing.T) {
				prevT := SetThreads(threads)
				defer SetThreads(prevT)
				withPath(t, p, func() {
					for _, c := range gemmCases() {
						checkSgemmCase(t, r, c)
					}
				})
			})
		}
	}
}

// requireClose compares with a tolerance that grows with the sum length k.
func requireClose(t *testing.T, want, got []float32, k int, what string) {
	t.Helper()
	tol := 1e-5 * float64(max(k, 1))
	for i := range want {
		d := math.Abs(float64(want[i]) - float64(got[i]))
		if !(d <= tol*(1+math.Abs(float64(want[i])))) {
			t.Fatalf("%s: element %d: got %g, want %g", what, i, got[i], want[i])
		}
	}
}

func TestSgemmBetaZeroIgnoresNaN(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, p := range paths() {
		withPath(t, p, func() {
			for _, dims := range [][3]int{{7, 17, 5}, {64, 64, 64}, {1, 1, 1}} {
				m, n, k := dims[0], dims[1], dims[2]
				a, b := randSlice(r, m*k), randSlice(r, k*n)
				c := make([]float32, m*n)
				for i := range c {
					c[i] = float32(math.NaN())
				}
				Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				for i, v := range c {
					require.False(t, math.IsNaN(float64(v)), "%s: NaN at %d", p, i)
				}
				for i := range c {
					c[i] = float32(math.Inf(1))
				}
				Sgemm(false, false, m, n, k, 0, a, k, b, n, 0, c, n)
				for _, v := range c {
					require.Equal(t, float32(0), v, "alpha=0, beta=0 must zero C")
				}
			}
		})
	}
}

func TestSgemmThreadsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, n, k := 300, 257, 511
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	c1, c2 := make([]float32, m*n), make([]float32, m*n)
	prev := SetThreads(1)
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c1, n)
	SetThreads(2)
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c2, n)
	SetThreads(prev)
	// Each element is the same sum in the same order, whichever thread did it.
	require.Equal(t, c1, c2)
}

func TestSgemmPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, p := range paths() {
		withPath(t, p, func() {
			for _, c := range []gemmCase{{m: 1, n: 1, k: 1}, {m: 33, n: 17, k: 7}, {m: 200, n: 1000, k: 700, transB: true}, {m: 7, n: 4096, k: 300, transA: true}} {
				c.alpha, c.beta = 1, 0.5
				a, lda, b, ldb, cm, ldc := c.operands(r)
				want := append([]float32(nil), cm...)
				naiveSgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, want, ldc)
				pb := PackB(c.transB, c.k, c.n, b, ldb)
				SgemmPacked(c.transA, c.m, c.n, c.k, c.alpha, a, lda, pb, c.beta, cm, ldc)
				requireClose(t, want, cm, c.k, string(p)+" packed "+c.String())
			}
		})
	}
}

func TestSgemmBadArgsPanic(t *testing.T) {
	a := make([]float32, 4)
	require.Panics(t, func() { Sgemm(false, false, 2, 2, 2, 1, a, 1, a, 2, 0, a, 2) }, "lda < k")
	require.Panics(t, func() { Sgemm(false, false, 3, 2, 2, 1, a, 2, a, 2, 0, a, 2) }, "A too short")
	require.Panics(t, func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) }, "negative m")
}

func TestMicroKernelTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, p := range paths() {
		if p == Generic {
			continue
		}
		uk := kernelFor(p)
		for _, kc := range []int{1, 2, 3, 4, 5, 7, 17, 64, 257} {
			for _, acc := range []bool{false, true} {
				a, b := randSlice(r, kc*uk.mr), randSlice(r, kc*uk.nr)
				ldc := uk.nr + 3
				c0 := randSlice(r, uk.mr*ldc)
				c1 := append([]float32(nil), c0...)
				uk.run(kc, a, b, c0, ldc, acc)
				microKernelGeneric(uk.mr, uk.nr, kc, a, b, c1, ldc, acc)
				requireClose(t, c1, c0, kc, fmt.Sprintf("%s kc=%d acc=%v", p, kc, acc))

				// The direct variant reads the same A unpacked, row stride lda.
				lda := kc + 5
				ad := make([]float32, uk.mr*lda)
				for i := 0; i < uk.mr; i++ {
					for q := 0; q < kc; q++ {
						ad[i*lda+q] = a[q*uk.mr+i]
					}
				}
				c2 := append([]float32(nil), c0...)
				c3 := append([]float32(nil), c0...)
				uk.run(kc, a, b, c2, ldc, acc)
				uk.direct(kc, ad, lda, b, c3, ldc, acc)
				require.Equal(t, c2, c3, "%s direct kc=%d: same sums in the same order", p, kc)
				for i := 0; i < uk.mr; i++ {
					for j := uk.nr; j < ldc; j++ {
						require.Equal(t, c1[i*ldc+j], c0[i*ldc+j], "%s: column past the tile written", p)
					}
				}
			}
		}
	}
}
