package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// nonlinearRef is f and f' in float64.
func nonlinearRef(f Nonlinear, x float64) (y, d float64) {
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	r6 := func(v float64) float64 { return min(max(v+3, 0), 6) / 6 }
	switch f {
	case Swish:
		s := sig(x)
		return x * s, s * (1 + x*(1-s))
	case Sigmoid:
		s := sig(x)
		return s, s * (1 - s)
	case HardSwish:
		d = 0
		if x > 3 {
			d = 1
		} else if x >= -3 {
			d = (2*x + 3) / 6
		}
		return x * r6(x), d
	case HardSigmoid:
		if x > -3 && x < 3 {
			d = 1.0 / 6
		}
		return r6(x), d
	case HardSigmoidKeras2:
		if x > -2.5 && x < 2.5 {
			d = 0.2
		}
		return min(max(0.2*x+0.5, 0), 1), d
	case GELU:
		phi := 0.5 * math.Erfc(-x/math.Sqrt2)
		return x * phi, phi + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
	case GELUTanh:
		// 0.5 (1 + tanh u) = sigmoid(2u), without the cancellation.
		const c = 0.7978845608028654
		u := c * (x + 0.044715*x*x*x)
		du := c * (1 + 3*0.044715*x*x)
		s := sig(2 * u)
		return x * s, s + 2*x*s*(1-s)*du
	}
	panic("unknown")
}

var allNonlinear = []Nonlinear{Swish, Sigmoid, HardSwish, HardSigmoid, HardSigmoidKeras2, GELU, GELUTanh}

// nonlinearBound is the error each function keeps to: |got - want| <=
// abs + rel |want| (rel alone for the exp-based forward passes).
var nonlinearBound = map[Nonlinear]struct{ abs, rel, gabs, grel float64 }{
	Swish:             {1e-30, 4e-7, 3e-7, 1e-6},
	Sigmoid:           {1e-30, 4e-7, 3e-7, 1e-6},
	HardSwish:         {0, 2.4e-7, 0, 2.4e-7},
	HardSigmoid:       {0, 1.2e-7, 0, 1.2e-7},
	HardSigmoidKeras2: {6e-8, 2.4e-7, 0, 1.2e-7},
	GELU:              {1e-6, 1e-6, 2e-6, 2e-6},
	GELUTanh:          {1e-30, 1e-5, 2e-6, 2e-6},
}

// TestNonlinearAccuracy checks every function and its gradient against the
// float64 references on a dense grid of [-20, 20] (step 2^-12, all float32
// near 0 of that grid), that none gives a denormal, and reports the
// largest errors.
func TestNonlinearAccuracy(t *testing.T) {
	var xs []float32
	for i := -20 << 12; i <= 20<<12; i++ {
		xs = append(xs, float32(i)/(1<<12))
	}
	xs = append(xs, 1e-30, -1e-30, 1e-8, -1e-8, 50, -50, 87, -87, 88.5, -88.5, 100, -100)
	for _, f := range allNonlinear {
		y := make([]float32, len(xs))
		ones := make([]float32, len(xs))
		for i := range ones {
			ones[i] = 1
		}
		d := make([]float32, len(xs))
		ApplyNonlinear(f, xs, y)
		NonlinearBackward(f, xs, ones, d)
		b := nonlinearBound[f]
		var maxAbs, maxRel, gAbs, gRel float64
		for i, x := range xs {
			wy, wd := nonlinearRef(f, float64(x))
			ey, ed := math.Abs(float64(y[i])-wy), math.Abs(float64(d[i])-wd)
			require.LessOrEqual(t, ey, b.abs+b.rel*math.Abs(wy), "%v(%g) = %g, want %g", f, x, y[i], wy)
			require.LessOrEqual(t, ed, b.gabs+b.grel*math.Abs(wd), "%v'(%g) = %g, want %g", f, x, d[i], wd)
			// No denormals: they would slow whatever reads them.
			for _, v := range []float32{y[i], d[i]} {
				require.False(t, v != 0 && math.Abs(float64(v)) < 0x1p-126, "%v(%g): denormal %g", f, x, v)
			}
			maxAbs, gAbs = max(maxAbs, ey), max(gAbs, ed)
			if math.Abs(wy) > 1e-30 {
				maxRel = max(maxRel, ey/math.Abs(wy))
			}
			if math.Abs(wd) > 1e-30 {
				gRel = max(gRel, ed/math.Abs(wd))
			}
		}
		t.Logf("%-20v forward max abs %.2g rel %.2g; gradient max abs %.2g rel %.2g", f, maxAbs, maxRel, gAbs, gRel)
	}
}

// TestNonlinearTwins compares every table's kernels with the Go twins bit
// for bit, on every length up to 40 and long ones (threaded), in place too.
func TestNonlinearTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	lengths := []int{1000, 4099, 70001}
	for n := 0; n <= 40; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		x, dy := randSlice(r, n), randSlice(r, n)
		special := []float32{0, float32(math.Copysign(0, -1)), 3, -3, 2.5, -2.5, 88.5, -88.5, 100, -100, 1e-30, 4 * math.Sqrt2, -4 * math.Sqrt2}
		for i := range x {
			x[i] *= 12
			if i%5 == 0 {
				x[i] = special[(i/5)%len(special)]
			}
		}
		for _, f := range allNonlinear {
			want, wantD := make([]float32, n), make([]float32, n)
			nonlinearGo(f, x, want)
			nonlinearGradGo(f, x, dy, wantD)
			for _, tb := range runnableTables() {
				prev := active
				active = tb
				y, d := make([]float32, n), make([]float32, n)
				ApplyNonlinear(f, x, y)
				NonlinearBackward(f, x, dy, d)
				inp := make([]float32, n)
				copy(inp, x)
				ApplyNonlinear(f, inp, inp)
				g := make([]float32, n)
				copy(g, dy)
				NonlinearBackward(f, x, g, g)
				active = prev
				require.Equal(t, want, y, "%v n=%d on %v", f, n, tb.path)
				require.Equal(t, want, inp, "%v n=%d on %v in place", f, n, tb.path)
				require.Equal(t, wantD, d, "%v' n=%d on %v", f, n, tb.path)
				require.Equal(t, wantD, g, "%v' n=%d on %v in place", f, n, tb.path)
			}
		}
	}
}

// TestMulRowsRescale checks the row-broadcast kernels on threaded lengths.
func TestMulRowsRescale(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	for _, c := range []int{1, 3, 40, 960, 1001} {
		rows := 100000/c + 1
		x, row, off := randSlice(r, rows*c), randSlice(r, c), randSlice(r, c)
		y, z := make([]float32, rows*c), make([]float32, rows*c)
		MulRows(x, row, y)
		Rescale(x, row, off, z)
		for i, v := range x {
			require.Equal(t, v*row[i%c]+0, y[i]) // +0: a -0 product may come out +0
			require.Equal(t, float32(v*row[i%c])+off[i%c], z[i])
		}
	}
}

// TestExpNeverDenormal: exp's clamp keeps every result normal (a denormal
// costs every kernel that meets it a microcode assist).
func TestExpNeverDenormal(t *testing.T) {
	for x := float32(-120); x < -80; x += 1.0 / 1024 {
		if e := expf(x); e < math.SmallestNonzeroFloat32*(1<<23) {
			t.Fatalf("expf(%v) = %v, below the smallest normal float32", x, e)
		}
	}
}
