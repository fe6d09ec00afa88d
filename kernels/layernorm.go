package kernels

import (
	"fmt"
	"math"
)

// LayerNormRows sets, for each of the rows rows of n values of x,
// y = (x - mean) / sqrt(var + eps) * gamma + beta, with the row's mean and
// (biased) variance: Keras' LayerNormalization over the last axis. gamma
// and beta have n values or are nil (1 and 0). It computes in float64 and
// rounds y to float32 once; every table gives the same bits (the assembly,
// for n a multiple of 16, and the Go twin add in one order). y may alias x.
func LayerNormRows(x []float32, rows, n int, eps float64, gamma, beta, y []float32) {
	raceRead(x, gamma, beta)
	raceWrite(y)
	if rows < 0 || n < 1 {
		panic(fmt.Sprintf("kernels: LayerNormRows: %d rows of %d", rows, n))
	}
	checkLen("LayerNormRows", "x", x, rows*n)
	checkLen("LayerNormRows", "y", y, rows*n)
	var sc scratch
	sc.init(2*n, 0)
	defer sc.free()
	if gamma == nil {
		gamma = sc.f32(n)
		for i := range gamma {
			gamma[i] = 1
		}
	}
	if beta == nil {
		beta = sc.f32(n) // zeros
	}
	checkLen("LayerNormRows", "gamma", gamma, n)
	checkLen("LayerNormRows", "beta", beta, n)
	var k func(x *float32, rows, n int, eps float64, gamma, beta, y *float32)
	if active.elementwise != nil && n%16 == 0 {
		k = active.elementwise.layerNorm
	}
	// Tasks of at least 64 rows, or 16K values.
	per := max(64, (16<<10)/n)
	parallel((rows+per-1)/per, func(t int) {
		r0, r1 := t*per, min(rows, (t+1)*per)
		if k != nil {
			k(&x[r0*n], r1-r0, n, eps, &gamma[0], &beta[0], &y[r0*n])
			return
		}
		for r := r0; r < r1; r++ {
			layerNormRowGo(x[r*n:(r+1)*n], eps, gamma, beta, y[r*n:(r+1)*n])
		}
	})
}

// layerNormRowGo is the Go twin of vecLayerNormRows for one row: the sums
// run in sixteen partial sums (value i into sum i mod 16) over the largest
// multiple of 16 values, reduced as the assembly reduces its four vectors,
// and the rest added in order.
func layerNormRowGo(x []float32, eps float64, gamma, beta, y []float32) {
	n := len(x)
	n16 := n &^ 15
	sum := func(f func(v float32) float64) float64 {
		var a [16]float64
		for i := 0; i < n16; i += 16 {
			for j := range a {
				a[j] += f(x[i+j])
			}
		}
		// four vectors of four lanes: (a0+a1)+(a2+a3) lane by lane, then
		// lanes (l0+l2)+(l1+l3)
		var l [4]float64
		for j := range l {
			l[j] = (a[j] + a[4+j]) + (a[8+j] + a[12+j])
		}
		s := (l[0] + l[2]) + (l[1] + l[3])
		for _, v := range x[n16:] {
			s += f(v)
		}
		return s
	}
	mean := sum(func(v float32) float64 { return float64(v) }) / float64(n)
	vr := sum(func(v float32) float64 { d := float64(v) - mean; return float64(d * d) }) / float64(n)
	inv := 1 / math.Sqrt(vr+eps)
	for i, v := range x {
		h := float64((float64(v) - mean) * inv)
		h = float64(h * float64(gamma[i]))
		y[i] = float32(h + float64(beta[i]))
	}
}
