package kernels

import (
	"fmt"
	"math"
)

// Elementwise activations. Every function here allows y to be x (in place);
// slices are used up to len(x). Large slices are split over the threads.

// elemChunk is the slice length per task of the elementwise kernels.
const elemChunk = 1 << 15

// forChunks runs fn over [0, n) in chunks of elemChunk, in parallel when n is
// large enough to pay for it.
func forChunks(n int, fn func(lo, hi int)) {
	if n <= elemChunk {
		fn(0, n)
		return
	}
	tasks := (n + elemChunk - 1) / elemChunk
	parallel(tasks, func(t int) {
		fn(t*elemChunk, min(n, (t+1)*elemChunk))
	})
}

func checkSameLen(op string, s ...[]float32) int {
	n := len(s[0])
	for _, v := range s[1:] {
		if len(v) < n {
			panic(fmt.Sprintf("kernels: %s: slice of %d elements, needs %d", op, len(v), n))
		}
	}
	return n
}

// flags returns the conv-kernel epilogue flags of the activation.
func (a Activation) flags() int {
	switch a {
	case ActReLU:
		return convReLU
	case ActReLU6:
		return convReLU6
	}
	return 0
}

// ReLU sets y = max(x, 0).
func ReLU(x, y []float32) { Activate(ActReLU, x, y) }

// ReLU6 sets y = min(max(x, 0), 6).
func ReLU6(x, y []float32) { Activate(ActReLU6, x, y) }

// Activate sets y = act(x).
func Activate(act Activation, x, y []float32) {
	act.flagsOnly("Activate")
	raceRead(x)
	raceWrite(y)
	n := checkSameLen("Activate", x, y)
	v := active.elementwise
	forChunks(n, func(lo, hi int) {
		if n8 := (hi - lo) &^ 7; v != nil && n8 > 0 {
			v.act(&x[lo], &y[lo], n8, act.flags())
			lo += n8
		}
		xs, ys := x[lo:hi], y[lo:hi]
		switch act {
		case ActReLU:
			for i, v := range xs {
				ys[i] = max(v, 0)
			}
		case ActReLU6:
			for i, v := range xs {
				ys[i] = min(max(v, 0), 6)
			}
		default:
			copy(ys, xs)
		}
	})
}

// ReLUBackward sets dx = dy where x > 0, else 0. x may be the forward input
// or the forward output (the mask is the same), so the forward may run in place.
func ReLUBackward(x, dy, dx []float32) { ActivateBackward(ActReLU, x, dy, dx) }

// ReLU6Backward sets dx = dy where 0 < x < 6, else 0 (TensorFlow's rule). x
// may be the forward input or output.
func ReLU6Backward(x, dy, dx []float32) { ActivateBackward(ActReLU6, x, dy, dx) }

// ActivateBackward sets dx = act'(x) * dy, where x is the forward input or
// output (both give the same mask for these activations). dx may alias dy.
func ActivateBackward(act Activation, x, dy, dx []float32) {
	act.flagsOnly("ActivateBackward")
	raceRead(x, dy)
	raceWrite(dx)
	n := checkSameLen("ActivateBackward", x, dy, dx)
	v := active.elementwise
	forChunks(n, func(lo, hi int) {
		if n8 := (hi - lo) &^ 7; v != nil && act != ActNone && n8 > 0 {
			v.actGrad(&x[lo], &dy[lo], &dx[lo], n8, act.flags())
			lo += n8
		}
		xs, gs, ds := x[lo:hi], dy[lo:hi], dx[lo:hi]
		switch act {
		case ActReLU:
			for i, v := range xs {
				if v > 0 {
					ds[i] = gs[i]
				} else {
					ds[i] = 0
				}
			}
		case ActReLU6:
			for i, v := range xs {
				if v > 0 && v < 6 {
					ds[i] = gs[i]
				} else {
					ds[i] = 0
				}
			}
		default:
			copy(ds, gs)
		}
	})
}

// ReLUParams is the general form of Keras' ReLU layer:
// f(x) = MaxValue if x >= MaxValue; x if Threshold <= x < MaxValue;
// NegativeSlope * (x - Threshold) otherwise. MaxValue +Inf means no cap.
type ReLUParams struct {
	MaxValue      float32
	NegativeSlope float32
	Threshold     float32
}

// DefaultReLU is plain ReLU in the general form.
var DefaultReLU = ReLUParams{MaxValue: float32(math.Inf(1))}

// ReLUGeneral sets y = f(x) for the general ReLU q.
func ReLUGeneral(q ReLUParams, x, y []float32) {
	n := checkSameLen("ReLUGeneral", x, y)
	forChunks(n, func(lo, hi int) {
		ys := y[lo:hi]
		for i, v := range x[lo:hi] {
			switch {
			case v >= q.MaxValue:
				ys[i] = q.MaxValue
			case v >= q.Threshold:
				ys[i] = v
			default:
				ys[i] = q.NegativeSlope * (v - q.Threshold)
			}
		}
	})
}

// ReLUGeneralBackward sets dx = f'(x) * dy for the general ReLU q, where x is
// the forward input: dy where Threshold <= x < MaxValue, NegativeSlope * dy
// below Threshold, 0 at and above MaxValue. dx may alias dy.
func ReLUGeneralBackward(q ReLUParams, x, dy, dx []float32) {
	n := checkSameLen("ReLUGeneralBackward", x, dy, dx)
	forChunks(n, func(lo, hi int) {
		gs, ds := dy[lo:hi], dx[lo:hi]
		for i, v := range x[lo:hi] {
			switch {
			case v >= q.MaxValue:
				ds[i] = 0
			case v >= q.Threshold:
				ds[i] = gs[i]
			default:
				ds[i] = q.NegativeSlope * gs[i]
			}
		}
	})
}
