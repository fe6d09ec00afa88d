package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// preCases are pointwise convolutions with a pre-transform: pixels, input
// channels (some not a multiple of 8 or 16), the distance between input
// rows (a chained concatenation buffer when wider) and output channels
// (some not a multiple of 16 or 32).
var preCases = []struct {
	name              string
	n, h, w, c, ldx   int
	oc                int
	noScale, residual bool
}{
	{name: "gemv", n: 1, h: 1, w: 1, c: 37, ldx: 50, oc: 70},
	{name: "gemv-contiguous", n: 1, h: 1, w: 1, c: 64, ldx: 64, oc: 128},
	{name: "odd", n: 2, h: 5, w: 3, c: 13, ldx: 13, oc: 17},
	{name: "c136", n: 1, h: 9, w: 9, c: 136, ldx: 136, oc: 33, residual: true},
	{name: "7x7", n: 1, h: 7, w: 7, c: 100, ldx: 132, oc: 128},
	{name: "7x7-wide", n: 1, h: 7, w: 7, c: 512, ldx: 1024, oc: 128, residual: true},
	{name: "oc48", n: 1, h: 3, w: 5, c: 24, ldx: 40, oc: 48},
	{name: "14x14", n: 1, h: 14, w: 14, c: 200, ldx: 520, oc: 40, noScale: true},
	{name: "56x56", n: 1, h: 56, w: 56, c: 64, ldx: 96, oc: 128},
	{name: "batch2", n: 2, h: 6, w: 7, c: 88, ldx: 120, oc: 96, residual: true},
}

// TestConv2DPackedPre checks, bit for bit, that the pointwise convolution
// of a pre-transformed input computes what the transform (the batch
// normalisation's kernel, on rows ldx apart) and then Conv2DPackedAdd
// compute, with ReLU or no activation in the transform, a bias or none, a
// residual (separate or in place), on every table and 1 and 2 threads.
func TestConv2DPackedPre(t *testing.T) {
	forVariantsAndThreads(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(31, 32))
		for i, tc := range preCases {
			p := ConvParams{N: tc.n, H: tc.h, W: tc.w, C: tc.c, KH: 1, KW: 1, OutC: tc.oc}
			rows := tc.n * tc.h * tc.w
			x := randSlice(r, (rows-1)*tc.ldx+tc.c)
			gamma, beta, mean := randSlice(r, tc.c), randSlice(r, tc.c), randSlice(r, tc.c)
			variance := make([]float32, tc.c)
			for j := range variance {
				variance[j] = r.Float32() + 0.1
			}
			pw := PackConvWeights(p, randSlice(r, tc.c*tc.oc))
			size := rows * tc.oc
			for _, preAct := range []Activation{ActNone, ActReLU} {
				for resMode := range 3 {
					if resMode > 0 && !tc.residual {
						continue
					}
					name := fmt.Sprintf("%s pre=%v res=%d", tc.name, preAct, resMode)
					var bias []float32
					if (i+resMode)%2 == 0 {
						bias = randSlice(r, tc.oc)
					}
					act := Activation((i + resMode) % 3)
					pre := BatchNormAffine(gamma, beta, mean, variance, 1e-3, preAct)
					// The unfused reference: the normalised tensor, whole.
					xn := make([]float32, rows*tc.c)
					switch {
					case tc.noScale:
						pre.Scale = nil
						scaleShiftRowsStrided(x, tc.ldx, nil, pre.Shift, preAct, xn, tc.c, rows)
					case tc.ldx == tc.c:
						BatchNormInference(x, gamma, beta, mean, variance, 1e-3, preAct, xn)
					default:
						BatchNormInferenceStrided(x, tc.ldx, rows, gamma, beta, mean, variance, 1e-3, preAct, xn)
					}
					var res []float32
					if resMode > 0 {
						res = randSlice(r, size)
					}
					want := make([]float32, size)
					if resMode == 2 {
						copy(want, res)
						Conv2DPackedAdd(p, xn, pw, bias, want, act, want)
					} else {
						Conv2DPackedAdd(p, xn, pw, bias, res, act, want)
					}
					g := withGuards(make([]float32, size))
					got := g[16 : 16+size]
					for j := range got {
						got[j] = float32(math.NaN())
					}
					if resMode == 2 {
						copy(got, res)
						res = got
					}
					Conv2DPackedPre(p, x, tc.ldx, pre, pw, bias, res, act, got)
					checkGuards(t, g)
					for j := range want {
						if math.Float32bits(want[j]) != math.Float32bits(got[j]) {
							t.Fatalf("%s: y[%d] = %v, want %v (BatchNormInference, Conv2DPackedAdd)", name, j, got[j], want[j])
						}
					}
				}
			}
		}
	})
}

// TestConv2DPackedPreOracle checks the fused path against the float64
// oracle, so that a fault shared with the unfused reference would show.
func TestConv2DPackedPreOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	p := ConvParams{N: 1, H: 5, W: 4, C: 24, KH: 1, KW: 1, OutC: 40}
	const ldx = 30
	rows := p.N * p.H * p.W
	x := randSlice(r, (rows-1)*ldx+p.C)
	pre := PreAffine{Scale: randSlice(r, p.C), Shift: randSlice(r, p.C), Act: ActReLU}
	w, bias := randSlice(r, p.C*p.OutC), randSlice(r, p.OutC)
	xn := make([]float32, rows*p.C)
	for i := range rows {
		for c := range p.C {
			xn[i*p.C+c] = max(0, float32(float64(x[i*ldx+c])*float64(pre.Scale[c])+float64(pre.Shift[c])))
		}
	}
	want := naiveConvAdd(p, xn, w, bias, nil, ActReLU6)
	got := make([]float32, rows*p.OutC)
	Conv2DPackedPre(p, x, ldx, pre, PackConvWeights(p, w), bias, nil, ActReLU6, got)
	requireClose(t, want, got, p.C+1, "Conv2DPackedPre")
}

// TestConv2DPackedPrePanics checks that bad operands panic.
func TestConv2DPackedPrePanics(t *testing.T) {
	p := ConvParams{N: 1, H: 2, W: 2, C: 8, KH: 1, KW: 1, OutC: 4}
	pw := PackConvWeights(p, make([]float32, 8*4))
	ok := PreAffine{Scale: make([]float32, 8), Shift: make([]float32, 8)}
	x, y := make([]float32, 3*10+8), make([]float32, 16)
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"ldx below C", func() { Conv2DPackedPre(p, x, 7, ok, pw, nil, nil, ActNone, y) }},
		{"x short", func() { Conv2DPackedPre(p, x[:3*10+7], 10, ok, pw, nil, nil, ActNone, y) }},
		{"y short", func() { Conv2DPackedPre(p, x, 10, ok, pw, nil, nil, ActNone, y[:15]) }},
		{"res short", func() { Conv2DPackedPre(p, x, 10, ok, pw, nil, make([]float32, 15), ActNone, y) }},
		{"bias short", func() { Conv2DPackedPre(p, x, 10, ok, pw, make([]float32, 3), nil, ActNone, y) }},
		{"shift short", func() {
			Conv2DPackedPre(p, x, 10, PreAffine{Shift: make([]float32, 7)}, pw, nil, nil, ActNone, y)
		}},
		{"scale short", func() {
			Conv2DPackedPre(p, x, 10, PreAffine{Scale: make([]float32, 7), Shift: ok.Shift}, pw, nil, nil, ActNone, y)
		}},
		{"nonlinear pre", func() {
			Conv2DPackedPre(p, x, 10, PreAffine{Shift: ok.Shift, Act: Then(Swish)}, pw, nil, nil, ActNone, y)
		}},
		{"3x3", func() {
			q := ConvParams{N: 1, H: 4, W: 4, C: 8, KH: 3, KW: 3, OutC: 4}
			Conv2DPackedPre(q, x, 10, ok, PackConvWeights(q, make([]float32, 9*8*4)), nil, nil, ActNone, y)
		}},
		{"weights", func() {
			q := p
			q.OutC = 5
			Conv2DPackedPre(p, x, 10, ok, PackConvWeights(q, make([]float32, 8*5)), nil, nil, ActNone, y)
		}},
	} {
		require.Panics(t, tc.fn, tc.name)
	}
	require.NotPanics(t, func() { Conv2DPackedPre(p, x, 10, ok, pw, nil, nil, ActNone, y) })
}
