package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// qRef is the reference of the int8 kernels: int64 sums, then the epilogue
// steps of QEpilogue's documentation, written out again.
func qRefRequant(acc int64, scale, bias float32, res bool, r uint8, rs float32, rz int32, lo, hi uint8, oz int32) uint8 {
	if acc > math.MaxInt32 || acc < math.MinInt32 {
		panic("reference sum overflows int32")
	}
	t := float32(float32(int32(acc)) * scale)
	t = float32(t + bias)
	if res {
		t = float32(t + float32(float32(int32(r)-rz)*rs))
	}
	q := int64(math.RoundToEven(float64(t))) + int64(oz)
	return uint8(min(max(q, int64(lo)), int64(hi)))
}

func qRefGemm(m, k, n int, x []uint8, ldx int, xZero int32, w []int8, ep *QEpilogue) []uint8 {
	hi := ep.Hi
	if hi == 0 {
		hi = 255
	}
	out := make([]uint8, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var acc int64
			for p := 0; p < k; p++ {
				acc += int64(int32(x[i*ldx+p])-xZero) * int64(w[p*n+j])
			}
			var b float32
			if ep.Bias != nil {
				b = ep.Bias[j]
			}
			var r uint8
			if ep.Residual != nil {
				r = ep.Residual[i*ep.resStride(n)+j]
			}
			out[i*n+j] = qRefRequant(acc, ep.Scale[j], b, ep.Residual != nil, r, ep.ResScale, ep.ResZero, ep.Lo, hi, ep.OutZero)
		}
	}
	return out
}

func randU8(rng *rand.Rand, n int) []uint8 {
	s := make([]uint8, n)
	for i := range s {
		s[i] = uint8(rng.IntN(256))
	}
	return s
}

func randI8(rng *rand.Rand, n int) []int8 {
	s := make([]int8, n)
	for i := range s {
		s[i] = int8(rng.IntN(256) - 128)
	}
	return s
}

// randEpilogue gives scales that put the outputs around the middle of the
// range, so that rounding and both clamps are exercised.
func randEpilogue(rng *rand.Rand, m, n, k int, bias, res bool, lo, hi uint8) *QEpilogue {
	ep := &QEpilogue{Scale: make([]float32, n), OutZero: int32(rng.IntN(256)), Lo: lo, Hi: hi}
	for j := range ep.Scale {
		ep.Scale[j] = float32(rng.Float64()*2+0.1) / float32(64*math.Sqrt(float64(k)+1))
	}
	if bias {
		ep.Bias = make([]float32, n)
		for j := range ep.Bias {
			ep.Bias[j] = float32(rng.NormFloat64() * 20)
		}
	}
	if res {
		ep.ResStride = n + rng.IntN(3)
		ep.Residual = randU8(rng, m*ep.ResStride)
		ep.ResScale = float32(rng.Float64() + 0.2)
		ep.ResZero = int32(rng.IntN(256))
	}
	return ep
}

// forQTables runs fn with the kernels switched to each runnable table, on 1
// and 2 threads; the int8 GEMM kernels this CPU has besides the tables' own
// (AVX-VNNI on a CPU with AVX-512, say) run in the place of the last
// table's.
func forQTables(t *testing.T, fn func(t *testing.T, tab *kernelTable)) {
	tabs := runnableTables()
	type run struct {
		tab *kernelTable
		qk  *qgemmKernels
	}
	var runs []run
	for _, tab := range tabs {
		runs = append(runs, run{tab, tab.qgemm})
	}
	last := tabs[len(tabs)-1]
	for _, qk := range qgemmCandidates() {
		own := false
		for _, tab := range tabs {
			own = own || tab.qgemm == qk
		}
		if !own {
			runs = append(runs, run{last, qk})
		}
	}
	for _, r := range runs {
		name := string(r.tab.path)
		if r.qk != nil {
			name += "/int8=" + r.qk.name
		}
		for _, threads := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/threads=%d", name, threads), func(t *testing.T) {
				prev, _ := usePath(r.tab.path)
				defer usePath(prev)
				saved := r.tab.qgemm
				r.tab.qgemm = r.qk
				defer func() { r.tab.qgemm = saved }()
				old := SetThreads(threads)
				defer SetThreads(old)
				fn(t, r.tab)
			})
		}
	}
}

var qgemmShapes = []struct{ m, k, n int }{
	{1, 1, 1}, {1, 7, 5}, {3, 4, 16}, {2, 3, 17}, {13, 9, 33}, {12, 64, 32}, {25, 128, 48},
	{1, 2048, 100}, {97, 300, 257}, {5, 1030, 40}, {200, 36, 17}, {11, 2050, 31}, {49, 576, 64},
	{7, 27, 32}, {130, 64, 96}, {4, 4097, 3},
}

func TestQGemmMatchesReference(t *testing.T) {
	forQTables(t, func(t *testing.T, tab *kernelTable) {
		rng := rand.New(rand.NewPCG(1, 2))
		for si, s := range qgemmShapes {
			for variant := 0; variant < 6; variant++ {
				ldx := s.k + rng.IntN(5)
				x := randU8(rng, s.m*ldx)
				w := randI8(rng, s.k*s.n)
				if variant >= 4 {
					// Weights whose pairs fit int16 sums (the tables'
					// qgemmPairs kernel), at the bound: |w| up to 64, and
					// activations of 255 beside them.
					for i := range w {
						w[i] = int8(rng.IntN(129) - 64)
					}
					for i := range x {
						if rng.IntN(2) == 0 {
							x[i] = 255
						}
					}
				}
				xZero := int32(rng.IntN(256))
				var lo, hi uint8
				if variant >= 2 {
					lo, hi = uint8(rng.IntN(100)), uint8(150+rng.IntN(106))
				}
				ep := randEpilogue(rng, s.m, s.n, s.k, variant&1 == 1, variant >= 2, lo, hi)
				qw := PackQWeights(w, s.k, s.n)
				if qw.table != tab {
					t.Fatalf("packed for %s, want %s", qw.table.path, tab.path)
				}
				if variant >= 4 && tab.qgemmPairs != nil && qw.qk != tab.qgemmPairs {
					t.Fatalf("7-bit weights packed for %s, want %s", qw.qk.name, tab.qgemmPairs.name)
				}
				ldo := s.n + variant
				out := make([]uint8, s.m*ldo)
				QGemm(s.m, x, ldx, xZero, qw, out, ldo, ep)
				want := qRefGemm(s.m, s.k, s.n, x, ldx, xZero, w, ep)
				bad := 0
				for i := 0; i < s.m; i++ {
					for j := 0; j < s.n; j++ {
						if out[i*ldo+j] != want[i*s.n+j] {
							if bad < 3 {
								t.Errorf("shape %d %+v variant %d: out[%d,%d] = %d, want %d", si, s, variant, i, j, out[i*ldo+j], want[i*s.n+j])
							}
							bad++
						}
					}
				}
				if bad > 0 {
					t.Errorf("shape %+v variant %d: %d of %d outputs differ", s, variant, bad, s.m*s.n)
				}
			}
		}
	})
}

func TestQGemmFloatMatchesReference(t *testing.T) {
	forQTables(t, func(t *testing.T, tab *kernelTable) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, s := range qgemmShapes {
			x := randU8(rng, s.m*s.k)
			w := randI8(rng, s.k*s.n)
			xZero := int32(rng.IntN(256))
			scale, bias := make([]float32, s.n), make([]float32, s.n)
			for j := range scale {
				scale[j], bias[j] = float32(rng.Float64()*0.01), float32(rng.NormFloat64())
			}
			out := make([]float32, s.m*s.n)
			QGemmFloat(s.m, x, s.k, xZero, PackQWeights(w, s.k, s.n), out, s.n, scale, bias)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					var acc int32
					for p := 0; p < s.k; p++ {
						acc += (int32(x[i*s.k+p]) - xZero) * int32(w[p*s.n+j])
					}
					want := float32(float32(float32(acc)*scale[j]) + bias[j])
					if out[i*s.n+j] != want {
						t.Fatalf("%+v: out[%d,%d] = %v, want %v", s, i, j, out[i*s.n+j], want)
					}
				}
			}
		}
	})
}

// The packed weights of one table, used while another is active, still give
// the same bytes (the generic path unpacks them).
func TestQGemmPackedElsewhere(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, k, n := 9, 70, 45
	x, w := randU8(rng, m*k), randI8(rng, k*n)
	ep := randEpilogue(rng, m, n, k, true, true, 3, 250)
	want := qRefGemm(m, k, n, x, k, 7, w, ep)
	for _, packer := range runnableTables() {
		qw := packQWeightsFor(packer, w, k, n)
		forQTables(t, func(t *testing.T, _ *kernelTable) {
			out := make([]uint8, m*n)
			QGemm(m, x, k, 7, qw, out, n, ep)
			for i := range out {
				if out[i] != want[i] {
					t.Fatalf("packed on %s: out[%d] = %d, want %d", packer.path, i, out[i], want[i])
				}
			}
		})
	}
}

// Quantized GEMM approximates the float GEMM: within one output step plus
// the quantization error of the inputs.
func TestQGemmApproximatesFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m, k, n := 20, 96, 24
	xf, wf := make([]float32, m*k), make([]float32, k*n)
	for i := range xf {
		xf[i] = float32(rng.Float64()*4 - 1)
	}
	for i := range wf {
		wf[i] = float32(rng.NormFloat64() * 0.1)
	}
	sx, zx := float32(5.0/255), int32(51)
	xq := make([]uint8, len(xf))
	QuantizeU8(xf, sx, zx, xq)
	wq, sw := QuantizeWeights(wf, k, n)
	yf := make([]float32, m*n)
	Sgemm(false, false, m, n, k, 1, xf, k, wf, n, 0, yf, n)
	sy, zy := float32(0.05), int32(128)
	ep := &QEpilogue{Scale: make([]float32, n), OutZero: zy}
	for j := range ep.Scale {
		ep.Scale[j] = sx * sw[j] / sy
	}
	yq := make([]uint8, m*n)
	QGemm(m, xq, k, zx, PackQWeights(wq, k, n), yq, n, ep)
	yd := make([]float32, m*n)
	DequantizeU8(yq, sy, zy, yd)
	for i := range yf {
		if d := math.Abs(float64(yd[i] - yf[i])); d > 3*float64(sy) {
			t.Fatalf("y[%d] = %v dequantized, float %v", i, yd[i], yf[i])
		}
	}
}

func TestQGemmBadArguments(t *testing.T) {
	qw := PackQWeights(make([]int8, 12), 3, 4)
	ep := &QEpilogue{Scale: make([]float32, 4)}
	for name, f := range map[string]func(){
		"short x":    func() { QGemm(2, make([]uint8, 5), 3, 0, qw, make([]uint8, 8), 4, ep) },
		"short out":  func() { QGemm(2, make([]uint8, 6), 3, 0, qw, make([]uint8, 7), 4, ep) },
		"zero point": func() { QGemm(2, make([]uint8, 6), 3, 256, qw, make([]uint8, 8), 4, ep) },
		"few scales": func() {
			QGemm(2, make([]uint8, 6), 3, 0, qw, make([]uint8, 8), 4, &QEpilogue{Scale: make([]float32, 3)})
		},
		"empty clamp": func() {
			QGemm(2, make([]uint8, 6), 3, 0, qw, make([]uint8, 8), 4, &QEpilogue{Scale: ep.Scale, Lo: 9, Hi: 8})
		},
		"nil weights":  func() { QGemm(2, make([]uint8, 6), 3, 0, nil, make([]uint8, 8), 4, ep) },
		"short weight": func() { PackQWeights(make([]int8, 11), 3, 4) },
		"short res": func() {
			QGemm(2, make([]uint8, 6), 3, 0, qw, make([]uint8, 8), 4, &QEpilogue{Scale: ep.Scale, Residual: make([]uint8, 7)})
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestInt8KernelsNamed(t *testing.T) {
	for _, tab := range runnableTables() {
		prev, _ := usePath(tab.path)
		got, bf := Int8Kernels(), BF16Kernels()
		usePath(prev)
		g, d := "Go", "Go"
		if tab.qgemm != nil {
			g = fmt.Sprintf("%s %dx%d", tab.qgemm.name, tab.qgemm.mr, tab.qgemm.nr)
		}
		if k := tab.qgemmPairs; k != nil {
			g += fmt.Sprintf(" (%s %dx%d on 7-bit weights)", k.name, k.mr, k.nr)
		}
		if tab.qdepthwise != nil {
			d = fmt.Sprintf("x%d", tab.qdepthwise.lanes)
		}
		want := "gemm " + g + ", depthwise " + d
		if got != want {
			t.Errorf("%s: Int8Kernels() = %q, want %q", tab.path, got, want)
		}
		if (tab.bf16 != nil) != strings.HasPrefix(bf, "avx512_bf16") {
			t.Errorf("%s: BF16Kernels() = %q", tab.path, bf)
		}
	}
}

// Out-of-range and non-finite epilogues (infinite, NaN and huge scales and
// biases) give the same bytes on every table as on the generic one: the
// clamp on t is defined for every float.
func TestQGemmExtremeEpilogueAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	m, k, n := 13, 40, 53
	x, w := randU8(rng, m*k), randI8(rng, k*n)
	specials := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0, -0.0, 1e30, -1e30, 3e9, 1e-30}
	ep := &QEpilogue{Scale: make([]float32, n), Bias: make([]float32, n), OutZero: 100, Lo: 20, Hi: 230,
		Residual: randU8(rng, m*n), ResScale: float32(math.Inf(1)), ResZero: 128}
	for j := range ep.Scale {
		ep.Scale[j] = specials[rng.IntN(len(specials))]
		ep.Bias[j] = specials[rng.IntN(len(specials))]
	}
	want := map[bool][]uint8{}
	forQTables(t, func(t *testing.T, tab *kernelTable) {
		for _, res := range []bool{false, true} {
			e := *ep
			if !res {
				e.Residual = nil
			}
			out := make([]uint8, m*n)
			QGemm(m, x, k, 9, PackQWeights(w, k, n), out, n, &e)
			if tab == &genericTable && want[res] == nil {
				want[res] = out
			}
			for i := range out {
				if out[i] != want[res][i] {
					t.Fatalf("residual %v: out[%d] = %d, generic %d (scale %v bias %v)", res, i, out[i], want[res][i], ep.Scale[i%n], ep.Bias[i%n])
				}
			}
			for i, v := range out {
				if v < e.Lo || v > e.Hi {
					t.Fatalf("out[%d] = %d outside the clamp", i, v)
				}
			}
		}
	})
}

func TestQGemmPairsFit(t *testing.T) {
	for _, c := range []struct {
		w    []int8 // k x 1
		want bool
	}{
		{[]int8{64, 64}, true},
		{[]int8{-64, -64}, true},
		{[]int8{-128, 0}, true},
		{[]int8{65, 64}, false},
		{[]int8{1, 127}, true},
		{[]int8{2, 127}, false},
		{[]int8{0, 0, -100, -29}, false},
		{[]int8{0, 0, 0}, true},
		{[]int8{100, 28, -128}, true}, // the last pairs with padding
	} {
		if got := qgemmPairsFit(c.w, len(c.w), 1); got != c.want {
			t.Errorf("qgemmPairsFit(%v) = %v, want %v", c.w, got, c.want)
		}
	}
}
