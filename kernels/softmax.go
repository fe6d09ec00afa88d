package kernels

import (
	"fmt"
	"math"
)

// Softmax sets y = softmax(x) per row of cols values (rows = len(x)/cols),
// subtracting the row maximum first so large logits do not overflow. y may
// alias x.
func Softmax(x []float32, cols int, y []float32) {
	raceRead(x)
	raceWrite(y)
	rows := softmaxRows("Softmax", x, cols, y)
	parallel(rows, func(r int) {
		xs, ys := x[r*cols:r*cols+cols], y[r*cols:r*cols+cols]
		m := xs[0]
		for _, v := range xs[1:] {
			m = max(m, v)
		}
		var s float64
		for i, v := range xs {
			e := float32(math.Exp(float64(v - m)))
			ys[i] = e
			s += float64(e)
		}
		inv := float32(1 / s)
		for i := range ys {
			ys[i] *= inv
		}
	})
}

// SoftmaxBackward sets dx = y * (dy - sum(dy * y)) per row, where y is the
// softmax output. dx may alias dy.
func SoftmaxBackward(y, dy []float32, cols int, dx []float32) {
	raceRead(y, dy)
	raceWrite(dx)
	rows := softmaxRows("SoftmaxBackward", y, cols, dy, dx)
	parallel(rows, func(r int) {
		ys, gs, ds := y[r*cols:r*cols+cols], dy[r*cols:r*cols+cols], dx[r*cols:r*cols+cols]
		var dot float64
		for i, v := range ys {
			dot += float64(v) * float64(gs[i])
		}
		d := float32(dot)
		for i, v := range ys {
			ds[i] = v * (gs[i] - d)
		}
	})
}

func softmaxRows(op string, x []float32, cols int, others ...[]float32) int {
	if cols < 1 || len(x)%cols != 0 {
		panic(fmt.Sprintf("kernels: %s: %d values are not rows of %d", op, len(x), cols))
	}
	for _, o := range others {
		checkLen(op, "operand", o, len(x))
	}
	return len(x) / cols
}
