package kernels

import (
	"fmt"
	"math"
)

// Add sets y = a + b (residual connections). y may alias a or b.
func Add(a, b, y []float32) { AddAct(a, b, ActNone, y) }

// AddAct sets y = act(a + b), the add-then-ReLU of residual blocks.
func AddAct(a, b []float32, act Activation, y []float32) {
	act.flagsOnly("AddAct")
	raceRead(a, b)
	raceWrite(y)
	n := checkSameLen("Add", a, b, y)
	v := active.elementwise
	forChunks(n, func(lo, hi int) {
		if n8 := (hi - lo) &^ 7; v != nil && n8 > 0 {
			v.addAct(&a[lo], &b[lo], &y[lo], n8, act.flags())
			lo += n8
		}
		as, bs, ys := a[lo:hi], b[lo:hi], y[lo:hi]
		for i, v := range as {
			ys[i] = act.apply(v + bs[i])
		}
	})
}

// Scale sets x = alpha * x.
func Scale(alpha float32, x []float32) {
	raceWrite(x)
	forChunks(len(x), func(lo, hi int) {
		xs := x[lo:hi]
		for i := range xs {
			xs[i] *= alpha
		}
	})
}

// Axpy sets y += alpha * x.
func Axpy(alpha float32, x, y []float32) {
	raceRead(x)
	raceWrite(y)
	n := checkSameLen("Axpy", x, y)
	v := active.elementwise
	forChunks(n, func(lo, hi int) {
		if n8 := (hi - lo) &^ 7; v != nil && n8 > 0 {
			v.axpy(alpha, &x[lo], &y[lo], n8)
			lo += n8
		}
		ys := y[lo:hi]
		for i, v := range x[lo:hi] {
			ys[i] += alpha * v
		}
	})
}

// Mul sets y = a * b elementwise. y may alias a or b.
func Mul(a, b, y []float32) {
	raceRead(a, b)
	raceWrite(y)
	n := checkSameLen("Mul", a, b, y)
	forChunks(n, func(lo, hi int) {
		as, bs, ys := a[lo:hi], b[lo:hi], y[lo:hi]
		for i, v := range as {
			ys[i] = v * bs[i]
		}
	})
}

// BiasAdd sets y = act(x + bias) for rows of C = len(bias) values: x and y
// hold len(x)/C rows (NHWC or (batch, units)). y may alias x.
func BiasAdd(x, bias []float32, act Activation, y []float32) {
	act.flagsOnly("BiasAdd")
	raceRead(x, bias)
	raceWrite(y)
	c := len(bias)
	n := checkSameLen("BiasAdd", x, y)
	if c == 0 || n%c != 0 {
		panic(fmt.Sprintf("kernels: BiasAdd: %d values are not rows of %d", n, c))
	}
	scaleShiftRows(x, nil, bias, act, y, c, n/c)
}

// BiasGrad sets dbias[c] = the sum of dy over all rows of C = len(dbias)
// values (overwrites dbias).
func BiasGrad(dy, dbias []float32) {
	raceRead(dy)
	raceWrite(dbias)
	c := len(dbias)
	if c == 0 || len(dy)%c != 0 {
		panic(fmt.Sprintf("kernels: BiasGrad: %d values are not rows of %d", len(dy), c))
	}
	rows := len(dy) / c
	// Sum in float32 per row block, then combine the blocks in order.
	per := max(1, elemChunk/c)
	tasks := (rows + per - 1) / per
	var sc scratch
	sc.init(tasks*c, 0)
	defer sc.free()
	partial := sc.f32(tasks * c)
	parallel(tasks, func(t int) {
		acc := partial[t*c : t*c+c]
		for r := t * per; r < min(rows, (t+1)*per); r++ {
			for i, v := range dy[r*c : r*c+c] {
				acc[i] += v
			}
		}
	})
	clear(dbias)
	for t := 0; t < tasks; t++ {
		for i, v := range partial[t*c : t*c+c] {
			dbias[i] += v
		}
	}
}

// MulRows sets y = x * row for rows of C = len(row) values (a
// squeeze-and-excitation gate, (H,W,C) * (1,1,C)). y may alias x. Where C
// is a multiple of 8 the vector scale-and-shift loop computes it with a zero
// shift (the same products; a -0 product becomes +0).
func MulRows(x, row, y []float32) {
	raceRead(x, row)
	raceWrite(y)
	n := checkSameLen("MulRows", x, y)
	c := len(row)
	if c == 0 || n%c != 0 {
		panic(fmt.Sprintf("kernels: MulRows: %d values are not rows of %d", n, c))
	}
	if active.elementwise != nil && c%8 == 0 {
		var sc scratch
		sc.init(c, 0)
		defer sc.free()
		scaleShiftRows(x, row, sc.f32(c), ActNone, y, c, n/c)
		return
	}
	forChunks(n, func(lo, hi int) {
		for lo < hi {
			k := lo % c
			m := min(c-k, hi-lo)
			r, xs, ys := row[k:k+m], x[lo:lo+m], y[lo:lo+m]
			for i, v := range xs {
				ys[i] = v * r[i]
			}
			lo += m
		}
	})
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Rescale sets y = x * scale + offset for rows of C = len(scale) values
// (offset as long), rounding the product before the addition (no fused
// multiply-add), as Keras' Rescaling computes it. y may alias x.
func Rescale(x, scale, offset, y []float32) {
	raceRead(x, scale, offset)
	raceWrite(y)
	n := checkSameLen("Rescale", x, y)
	c := len(scale)
	if c == 0 || n%c != 0 || len(offset) != c {
		panic(fmt.Sprintf("kernels: Rescale: %d values are not rows of %d (%d offsets)", n, c, len(offset)))
	}
	if c < 64 {
		// Few channels (an image's 3): repeat them to a pattern of at least
		// 64 values and a multiple of 8, so that rows of it take the
		// vector scale-and-shift loop (the same product, then the sum).
		l := c * 8 / gcd(c, 8)
		l *= (64 + l - 1) / l
		var buf scratch
		buf.init(2*l, 0)
		defer buf.free()
		s2, o2 := buf.f32(l), buf.f32(l)
		for i := range s2 {
			s2[i], o2[i] = scale[i%c], offset[i%c]
		}
		scale, offset, c = s2, o2, l
	}
	if rows := n / c; active.elementwise != nil && c%8 == 0 && rows > 0 {
		scaleShiftRows(x[:rows*c], scale, offset, ActNone, y[:rows*c], c, rows)
		x, y, n = x[rows*c:], y[rows*c:], n-rows*c // the rest starts a pattern
	}
	forChunks(n, func(lo, hi int) {
		ys := y[lo:hi]
		if c == 1 {
			s, o := scale[0], offset[0]
			for i, v := range x[lo:hi] {
				ys[i] = float32(v*s) + o
			}
			return
		}
		for lo < hi {
			k := lo % c
			m := min(c-k, hi-lo)
			sc, of, xs, ys := scale[k:k+m], offset[k:k+m], x[lo:lo+m], y[lo:lo+m]
			for i, v := range xs {
				ys[i] = float32(v*sc[i]) + of[i]
			}
			lo += m
		}
	})
}

// FlushDenormals sets the denormal values of x to zero (keeping the sign),
// as TensorFlow's CPU kernels see them (they run with flush-to-zero and
// denormals-are-zero). A denormal operand costs the FMA that reads it a
// microcode assist of about a hundred cycles: a squeeze-and-excitation gate
// of 1e-35 folded into a layer's input or weights made EfficientNet's
// projections four times slower.
func FlushDenormals(x []float32) {
	raceWrite(x)
	if n8 := len(x) &^ 7; n8 > 0 && active.elementwise != nil && active.elementwise.flushDenormals != nil {
		active.elementwise.flushDenormals(&x[0], n8)
		x = x[n8:]
	}
	for i, v := range x {
		if b := math.Float32bits(v); b&0x7fffffff < 0x00800000 && b&0x7fffffff != 0 {
			x[i] = math.Float32frombits(b & 0x80000000)
		}
	}
}
