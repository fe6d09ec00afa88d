//go:build arm64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The NEON twins of the elementwise, batch-norm column and transpose loops:
// each against a reference with guards around its output, then the public
// operations on the NEON path against the generic path.

var actFlags = []struct {
	act   Activation
	flags int
}{{ActNone, 0}, {ActReLU, convReLU}, {ActReLU6, convReLU6}}

// streamLens: below one vector, one of each loop width, and ragged ends (the
// loops leave n%8 to the caller and must not touch it).
var streamLens = []int{0, 1, 7, 8, 9, 16, 17, 24, 33, 100}

func TestNEONElementwiseLoops(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(41, 42))
	for _, n := range streamLens {
		n8 := n &^ 7
		a, b := bigRand(r, max(n, 1)), bigRand(r, max(n, 1))
		a[0] = 6 // the ReLU6 edge
		for _, af := range actFlags {
			what := fmt.Sprintf("n=%d act=%v", n, af.act)
			y, check := guarded(t, r, max(n, 1))
			want := append([]float32(nil), y...)
			vecAddAct(&a[0], &b[0], &y[0], n, af.flags)
			check("vecAddAct " + what)
			for i := 0; i < n8; i++ {
				want[i] = af.act.apply(a[i] + b[i])
			}
			require.Equal(t, want, y, "vecAddAct %s", what)

			y, check = guarded(t, r, max(n, 1))
			want = append([]float32(nil), y...)
			vecAct(&a[0], &y[0], n, af.flags)
			check("vecAct " + what)
			for i := 0; i < n8; i++ {
				want[i] = af.act.apply(a[i])
			}
			require.Equal(t, want, y, "vecAct %s", what)

			if af.act == ActNone {
				continue
			}
			dx, check := guarded(t, r, max(n, 1))
			want = append([]float32(nil), dx...)
			vecActGrad(&a[0], &b[0], &dx[0], n, af.flags)
			check("vecActGrad " + what)
			for i := 0; i < n8; i++ {
				want[i] = 0
				if a[i] > 0 && (af.act != ActReLU6 || a[i] < 6) {
					want[i] = b[i]
				}
			}
			require.Equal(t, want, dx, "vecActGrad %s", what)
		}

		what := fmt.Sprintf("n=%d", n)
		y, check := guarded(t, r, max(n, 1))
		want := append([]float32(nil), y...)
		vecAxpy(-1.5, &a[0], &y[0], n)
		check("vecAxpy " + what)
		for i := 0; i < n8; i++ {
			want[i] = float32(float64(want[i]) + -1.5*float64(a[i]))
		}
		requireClose(t, want, y, 1, "vecAxpy "+what)
	}
}

func TestNEONColumnLoops(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(43, 44))
	for _, c := range []int{8, 16, 24, 40} {
		for _, rows := range []int{0, 1, 2, 7, 33} {
			what := fmt.Sprintf("c=%d rows=%d", c, rows)
			nx := max(rows*c, 1)
			x, dy := bigRand(r, nx), randSlice(r, nx)
			scale, shift, mean := randSlice(r, c), randSlice(r, c), randSlice(r, c)
			for _, af := range actFlags {
				for _, sc := range [][]float32{scale, nil} {
					y, check := guarded(t, r, nx)
					want := append([]float32(nil), y...)
					var sp *float32
					if sc != nil {
						sp = &sc[0]
					}
					vecBiasAct(&x[0], sp, &shift[0], &y[0], rows, c, af.flags)
					check("vecBiasAct " + what)
					for i := 0; i < rows*c; i++ {
						v := x[i]
						if sc != nil {
							v = float32(float64(v) * float64(sc[i%c]))
						}
						want[i] = af.act.apply(v + shift[i%c])
					}
					requireClose(t, want, y, 2, fmt.Sprintf("vecBiasAct %s act=%v scale=%v", what, af.act, sc != nil))
				}
			}

			sum, check := guarded(t, r, c)
			want := append([]float32(nil), sum...)
			vecColSumSq(&x[0], nil, &sum[0], nil, rows, c)
			check("vecColSumSq sum " + what)
			for j := 0; j < c; j++ {
				for i := 0; i < rows; i++ {
					want[j] += x[i*c+j]
				}
			}
			requireClose(t, want, sum, rows+1, "vecColSumSq sum "+what)

			sumsq, check := guarded(t, r, c)
			want = append([]float32(nil), sumsq...)
			vecColSumSq(&x[0], &mean[0], &sum[0], &sumsq[0], rows, c)
			check("vecColSumSq sumsq " + what)
			for j := 0; j < c; j++ {
				s := float64(want[j])
				for i := 0; i < rows; i++ {
					d := float64(x[i*c+j]) - float64(mean[j])
					s += d * d
				}
				want[j] = float32(s)
			}
			requireClose(t, want, sumsq, rows+1, "vecColSumSq sumsq "+what)

			sdy, check1 := guarded(t, r, c)
			sdyx, check2 := guarded(t, r, c)
			wdy, wdyx := append([]float32(nil), sdy...), append([]float32(nil), sdyx...)
			vecColDot(&x[0], &dy[0], &mean[0], &sdy[0], &sdyx[0], rows, c)
			check1("vecColDot " + what)
			check2("vecColDot " + what)
			for j := 0; j < c; j++ {
				s, sx := float64(wdy[j]), float64(wdyx[j])
				for i := 0; i < rows; i++ {
					s += float64(dy[i*c+j])
					sx += float64(dy[i*c+j]) * (float64(x[i*c+j]) - float64(mean[j]))
				}
				wdy[j], wdyx[j] = float32(s), float32(sx)
			}
			requireClose(t, wdy, sdy, rows+1, "vecColDot sdy "+what)
			requireClose(t, wdyx, sdyx, 4*(rows+1), "vecColDot sdyx "+what)

			y, check := guarded(t, r, nx)
			want = append([]float32(nil), y...)
			vecColAffine2(&dy[0], &x[0], &scale[0], &mean[0], &shift[0], &y[0], rows, c)
			check("vecColAffine2 " + what)
			for i := 0; i < rows*c; i++ {
				j := i % c
				want[i] = float32(float64(dy[i])*float64(scale[j]) + float64(x[i])*float64(mean[j]) + float64(shift[j]))
			}
			requireClose(t, want, y, 4, "vecColAffine2 "+what)
		}
	}
}

func TestNEONTranspose(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(45, 46))
	for _, rc := range [][2]int{{8, 8}, {8, 16}, {24, 8}, {32, 40}, {8, 0}, {0, 8}} {
		rows, cols := rc[0], rc[1]
		for _, pad := range []int{0, 3} {
			lds, ldd := cols+pad, rows+2*pad
			what := fmt.Sprintf("rows=%d cols=%d lds=%d ldd=%d", rows, cols, lds, ldd)
			src := randSlice(r, max(rows*lds, 1))
			dst, check := guarded(t, r, max(cols*ldd, 1))
			want := append([]float32(nil), dst...)
			transpose8x8Tiles(&src[0], lds, &dst[0], ldd, rows, cols)
			check(what)
			for i := 0; i < rows; i++ {
				for j := 0; j < cols; j++ {
					want[j*ldd+i] = src[i*lds+j]
				}
			}
			require.Equal(t, want, dst, what)
		}
	}
}

func TestNEONElementwiseOpsMatchGeneric(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(47, 48))
	// Enough elements that the ops split into chunks and vector loops.
	for _, n := range []int{1, 7, 33, 1000, 70001} {
		a, b := bigRand(r, n), bigRand(r, n)
		for _, act := range []Activation{ActNone, ActReLU, ActReLU6} {
			what := fmt.Sprintf("n=%d act=%v", n, act)
			neon, generic := twoPaths(t, func() []float32 {
				y, check := guarded(t, r, n)
				AddAct(a, b, act, y)
				check(what)
				return y
			})
			require.Equal(t, generic, neon, "AddAct %s", what)
			neon, generic = twoPaths(t, func() []float32 {
				y, check := guarded(t, r, n)
				Activate(act, a, y)
				check(what)
				return y
			})
			require.Equal(t, generic, neon, "Activate %s", what)
			if act != ActNone {
				neon, generic = twoPaths(t, func() []float32 {
					dx, check := guarded(t, r, n)
					ActivateBackward(act, a, b, dx)
					check(what)
					return dx
				})
				require.Equal(t, generic, neon, "ActivateBackward %s", what)
			}
		}
		neon, generic := twoPaths(t, func() []float32 {
			y := append([]float32(nil), b...)
			Axpy(0.75, a, y)
			return y
		})
		requireClose(t, generic, neon, 1, fmt.Sprintf("Axpy n=%d", n))
	}
}

func TestNEONBatchNormMatchesGeneric(t *testing.T) {
	skipWithoutNEON(t)
	r := rand.New(rand.NewPCG(49, 50))
	for _, c := range []int{7, 8, 24, 40} {
		for _, rows := range []int{1, 5, 300} {
			what := fmt.Sprintf("c=%d rows=%d", c, rows)
			x, dy := bigRand(r, rows*c), randSlice(r, rows*c)
			gamma, beta, mean := randSlice(r, c), randSlice(r, c), randSlice(r, c)
			variance := randSlice(r, c)
			for j := range variance {
				variance[j] = float32(math.Abs(float64(variance[j]))) + 0.1
			}
			for _, act := range []Activation{ActNone, ActReLU6} {
				neon, generic := twoPaths(t, func() []float32 {
					y, check := guarded(t, r, rows*c)
					BatchNormInference(x, gamma, beta, mean, variance, 1e-3, act, y)
					check(what)
					return y
				})
				requireClose(t, generic, neon, 4, "BatchNormInference "+what)
				neon, generic = twoPaths(t, func() []float32 {
					y, check := guarded(t, r, rows*c)
					BiasAdd(x, gamma, act, y)
					check(what)
					return y
				})
				requireClose(t, generic, neon, 2, "BiasAdd "+what)
			}
			neon, generic := twoPaths(t, func() []float32 {
				y, check := guarded(t, r, rows*c)
				bm, bv := make([]float32, c), make([]float32, c)
				BatchNormTrain(x, gamma, beta, 1e-3, y, bm, bv)
				check(what)
				return append(append(y, bm...), bv...)
			})
			requireClose(t, generic, neon, rows, "BatchNormTrain "+what)
			bm, bv := make([]float32, c), make([]float32, c)
			BatchNormTrain(x, gamma, beta, 1e-3, make([]float32, rows*c), bm, bv)
			for _, back := range []struct {
				name string
				fn   func(dx, dgamma, dbeta []float32)
			}{
				{"BatchNormTrainBackward", func(dx, dg, db []float32) { BatchNormTrainBackward(x, dy, gamma, bm, bv, 1e-3, dx, dg, db) }},
				{"BatchNormInferenceBackward", func(dx, dg, db []float32) {
					BatchNormInferenceBackward(x, dy, gamma, mean, variance, 1e-3, dx, dg, db)
				}},
			} {
				neon, generic := twoPaths(t, func() []float32 {
					dx, check := guarded(t, r, rows*c)
					dg, db := make([]float32, c), make([]float32, c)
					back.fn(dx, dg, db)
					check(what)
					return append(append(dx, dg...), db...)
				})
				requireClose(t, generic, neon, 4*rows, back.name+" "+what)
			}
		}
	}
}
