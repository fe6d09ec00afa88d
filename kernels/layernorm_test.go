package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestLayerNormRows checks every table against a float64 oracle with the
// sums taken in order (close), and against the Go twin (the same bits),
// for rows with and without a multiple of 16 values, gamma and beta given
// or not, and y aliasing x.
func TestLayerNormRows(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	forVariantsAndThreads(t, func(t *testing.T) {
		for _, n := range []int{1, 7, 16, 96, 100, 768} {
			for _, affine := range []bool{false, true} {
				rows := 70
				x := randSlice(r, rows*n)
				for i := range x {
					x[i] = x[i]*3 + 5 // a mean well away from 0
				}
				var gamma, beta []float32
				ones, zeros := make([]float32, n), make([]float32, n)
				for i := range ones {
					ones[i] = 1
				}
				if affine {
					gamma, beta = randSlice(r, n), randSlice(r, n)
				}
				const eps = 1e-6
				y := make([]float32, rows*n)
				LayerNormRows(x, rows, n, eps, gamma, beta, y)
				what := fmt.Sprintf("n=%d affine=%v", n, affine)
				g, b := gamma, beta
				if !affine {
					g, b = ones, zeros
				}
				twin := make([]float32, n)
				for row := 0; row < rows; row++ {
					xr, yr := x[row*n:(row+1)*n], y[row*n:(row+1)*n]
					var s, q float64
					for _, v := range xr {
						s += float64(v)
					}
					mean := s / float64(n)
					for _, v := range xr {
						q += (float64(v) - mean) * (float64(v) - mean)
					}
					inv := 1 / math.Sqrt(q/float64(n)+eps)
					for j, v := range xr {
						want := (float64(v)-mean)*inv*float64(g[j]) + float64(b[j])
						if math.Abs(float64(yr[j])-want) > 1e-6*(1+math.Abs(want)) {
							t.Fatalf("%s row %d: y[%d] = %v, want %v", what, row, j, yr[j], want)
						}
					}
					layerNormRowGo(xr, eps, g, b, twin)
					for j := range twin {
						if math.Float32bits(twin[j]) != math.Float32bits(yr[j]) {
							t.Fatalf("%s row %d: y[%d] = %v, the Go twin %v", what, row, j, yr[j], twin[j])
						}
					}
				}
				// in place
				LayerNormRows(x, rows, n, eps, gamma, beta, x)
				for i := range x {
					if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
						t.Fatalf("%s: in place: y[%d] = %v, want %v", what, i, x[i], y[i])
					}
				}
			}
		}
	})
}
