package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestToBF16(t *testing.T) {
	for _, tc := range []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // halfway, even stays
		{0x3f818000, 0x3f82}, // halfway, odd rounds up
		{0x3f808001, 0x3f81}, // above halfway
		{0x7f7fffff, 0x7f80}, // the largest float rounds to +Inf
		{0x00000001, 0x0000}, // denormal: zero
		{0x80400000, 0x8000}, // negative denormal: -0
		{0x7fa00000, 0x7fe0}, // signalling NaN: quiet
		{0xff800000, 0xff80}, // -Inf
	} {
		if got := ToBF16(math.Float32frombits(tc.in)); got != tc.want {
			t.Errorf("ToBF16(%#08x) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
}

// The assembly conversion equals ToBF16 on random bit patterns (NaNs,
// denormals and ties included).
func TestBF16ConvertMatchesTwin(t *testing.T) {
	bk := tableFor(AVX512)
	if bk == nil || !bk.runs() || bk.bf16 == nil {
		t.Skip("no AVX512_BF16 here")
	}
	rng := rand.New(rand.NewPCG(9, 9))
	src := make([]float32, 4096)
	for i := range src {
		u := rng.Uint32()
		switch i % 4 {
		case 1:
			u = u&0xffff0000 | 0x8000 // ties
		case 2:
			u &= 0x807fffff // denormals
		}
		src[i] = math.Float32frombits(u)
	}
	dst := make([]uint16, len(src))
	bk.bf16.convert(len(src), &src[0], &dst[0])
	for i, v := range src {
		if want := ToBF16(v); dst[i] != want {
			t.Fatalf("bf16(%#08x) = %#04x, twin %#04x", math.Float32bits(v), dst[i], want)
		}
	}
}

func TestBF16GemmMatchesTwin(t *testing.T) {
	shapes := []struct{ m, k, n int }{
		{1, 1, 1}, {1, 7, 5}, {3, 4, 32}, {13, 9, 33}, {12, 64, 64}, {25, 128, 48},
		{1, 2048, 100}, {97, 300, 257}, {5, 1030, 40}, {2, 2051, 70},
	}
	rng := rand.New(rand.NewPCG(10, 10))
	for _, s := range shapes {
		x, w, bias := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range w {
			w[i] = float32(rng.NormFloat64() * 0.1)
		}
		for i := range bias {
			bias[i] = float32(rng.NormFloat64())
		}
		// The reference: pair by pair, the odd product first, then the even.
		want := make([]float32, s.m*s.n)
		for i := 0; i < s.m; i++ {
			for j := 0; j < s.n; j++ {
				var acc float32
				for p := 0; p < s.k; p += 2 {
					var x1, w1 uint16
					if p+1 < s.k {
						x1, w1 = ToBF16(x[i*s.k+p+1]), ToBF16(w[(p+1)*s.n+j])
					}
					acc = bf16Dot(acc, ToBF16(x[i*s.k+p]), x1, ToBF16(w[p*s.n+j]), w1)
				}
				want[i*s.n+j] = max(float32(acc+bias[j]), 0)
			}
		}
		for _, tab := range runnableTables() {
			for _, threads := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/threads=%d/%dx%dx%d", tab.path, threads, s.m, s.k, s.n), func(t *testing.T) {
					prev, _ := usePath(tab.path)
					defer usePath(prev)
					old := SetThreads(threads)
					defer SetThreads(old)
					out := make([]float32, s.m*s.n)
					BF16Gemm(s.m, x, s.k, PackBF16Weights(w, s.k, s.n), out, s.n, bias, ActReLU)
					for i := range out {
						if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
							t.Fatalf("out[%d] = %v, want %v", i, out[i], want[i])
						}
					}
				})
			}
		}
	}
}

// bfloat16 products approximate float32: relative error about 2^-8 a term.
func TestBF16GemmApproximatesFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	m, k, n := 4, 256, 40
	x, w := make([]float32, m*k), make([]float32, k*n)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	for i := range w {
		w[i] = float32(rng.Float64())
	}
	got, want := make([]float32, m*n), make([]float32, m*n)
	BF16Gemm(m, x, k, PackBF16Weights(w, k, n), got, n, nil, ActNone)
	Sgemm(false, false, m, n, k, 1, x, k, w, n, 0, want, n)
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 0.01*math.Abs(float64(want[i])) {
			t.Fatalf("out[%d] = %v, float32 %v", i, got[i], want[i])
		}
	}
}
