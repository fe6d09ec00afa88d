package kernels

import (
	"fmt"
	"math"
)

// PoolParams describes a 2-D pooling window over NHWC data (N, H, W, C),
// giving (N, OutH(), OutW(), C). Strides below 1 count as 1. Padding is
// explicit; with TensorFlow's `same` (SamePadding with dilation 1) max pooling
// ignores the padded positions and average pooling divides by the number of
// real (unpadded) elements in each window.
type PoolParams struct {
	N, H, W, C                           int
	KH, KW                               int
	StrideH, StrideW                     int
	PadTop, PadBottom, PadLeft, PadRight int
}

// OutH is the output height.
func (p PoolParams) OutH() int {
	return ConvOutSize(p.H, p.KH, p.StrideH, 1, p.PadTop, p.PadBottom)
}

// OutW is the output width.
func (p PoolParams) OutW() int {
	return ConvOutSize(p.W, p.KW, p.StrideW, 1, p.PadLeft, p.PadRight)
}

func (p PoolParams) norm(op string, in, out []float32) PoolParams {
	p.StrideH, p.StrideW = max(p.StrideH, 1), max(p.StrideW, 1)
	if p.N < 0 || p.H < 0 || p.W < 0 || p.C < 1 || p.KH < 1 || p.KW < 1 ||
		p.PadTop < 0 || p.PadBottom < 0 || p.PadLeft < 0 || p.PadRight < 0 {
		panic(fmt.Sprintf("kernels: %s: bad parameters %+v", op, p))
	}
	checkLen(op, "input", in, p.N*p.H*p.W*p.C)
	checkLen(op, "output", out, p.N*p.OutH()*p.OutW()*p.C)
	return p
}

// window returns the clipped input ranges [h0, h1) x [w0, w1) of output (r, c).
func (p PoolParams) window(r, c int) (h0, h1, w0, w1 int) {
	h0 = r*p.StrideH - p.PadTop
	w0 = c*p.StrideW - p.PadLeft
	h1, w1 = min(h0+p.KH, p.H), min(w0+p.KW, p.W)
	return max(h0, 0), h1, max(w0, 0), w1
}

// MaxPool2D sets y to the maximum of each window's real elements (0 for a
// window that holds none).
func MaxPool2D(p PoolParams, x, y []float32) {
	pool2D("MaxPool2D", p, x, y, true, func(p PoolParams, out []float32, n, h0, h1, w0, w1 int) {
		if h0 >= h1 || w0 >= w1 {
			clear(out)
			return
		}
		copy(out, x[((n*p.H+h0)*p.W+w0)*p.C:][:p.C])
		for ih := h0; ih < h1; ih++ {
			for iw := w0; iw < w1; iw++ {
				for i, v := range x[((n*p.H+ih)*p.W+iw)*p.C:][:p.C] {
					out[i] = max(out[i], v)
				}
			}
		}
	})
}

// pool2D is the frame of MaxPool2D and AvgPool2D (isMax says which): the
// checks, the assembly rows where they run, else pixel for every output
// pixel (p normalized, out its channels, n its image, [h0, h1) x [w0, w1)
// its clipped window), the output rows in parallel.
func pool2D(name string, p PoolParams, x, y []float32, isMax bool, pixel func(p PoolParams, out []float32, n, h0, h1, w0, w1 int)) {
	raceRead(x)
	raceWrite(y)
	p = p.norm(name, x, y)
	if poolFast(p) {
		poolRowsAsm(p, x, y, isMax)
		return
	}
	oh, ow := p.OutH(), p.OutW()
	parallel(p.N*oh, func(t int) {
		n, r := t/oh, t%oh
		for c := 0; c < ow; c++ {
			h0, h1, w0, w1 := p.window(r, c)
			pixel(p, y[((n*oh+r)*ow+c)*p.C:][:p.C], n, h0, h1, w0, w1)
		}
	})
}

// MaxPool2DBackward sets dx (overwritten) by routing each dy to the first
// position (in row-major window order) holding its window's maximum of x.
// Overlapping windows add up.
func MaxPool2DBackward(p PoolParams, x, dy, dx []float32) {
	raceRead(x, dy)
	raceWrite(dx)
	p = p.norm("MaxPool2DBackward", x, dy)
	checkLen("MaxPool2DBackward", "dx", dx, p.N*p.H*p.W*p.C)
	oh, ow := p.OutH(), p.OutW()
	if poolFast(p) {
		maxPoolBackwardAsm(p, x, dy, dx)
		return
	}
	// One task per image: windows of different images never overlap.
	parallel(p.N, func(n int) {
		clear(dx[n*p.H*p.W*p.C : (n+1)*p.H*p.W*p.C])
		best := make([]float32, p.C)
		arg := make([]int, p.C)
		for r := 0; r < oh; r++ {
			for c := 0; c < ow; c++ {
				h0, h1, w0, w1 := p.window(r, c)
				if h0 >= h1 || w0 >= w1 {
					continue
				}
				for i := range best {
					best[i] = float32(math.Inf(-1))
					arg[i] = -1
				}
				for ih := h0; ih < h1; ih++ {
					for iw := w0; iw < w1; iw++ {
						off := ((n*p.H+ih)*p.W + iw) * p.C
						for i, v := range x[off : off+p.C] {
							if v > best[i] || arg[i] < 0 {
								best[i], arg[i] = v, off+i
							}
						}
					}
				}
				for i, g := range dy[((n*oh+r)*ow+c)*p.C:][:p.C] {
					dx[arg[i]] += g
				}
			}
		}
	})
}

// AvgPool2D sets y to the mean of each window's real (unpadded) elements.
func AvgPool2D(p PoolParams, x, y []float32) {
	pool2D("AvgPool2D", p, x, y, false, func(p PoolParams, out []float32, n, h0, h1, w0, w1 int) {
		clear(out)
		cnt := (h1 - h0) * (w1 - w0)
		if h1 <= h0 || w1 <= w0 {
			return
		}
		for ih := h0; ih < h1; ih++ {
			for iw := w0; iw < w1; iw++ {
				for i, v := range x[((n*p.H+ih)*p.W+iw)*p.C:][:p.C] {
					out[i] += v
				}
			}
		}
		inv := 1 / float32(cnt)
		for i := range out {
			out[i] *= inv
		}
	})
}

// AvgPool2DBackward sets dx (overwritten): each dy is spread evenly over its
// window's real elements.
func AvgPool2DBackward(p PoolParams, dy, dx []float32) {
	raceRead(dy)
	raceWrite(dx)
	p = p.norm("AvgPool2DBackward", dx, dy)
	oh, ow := p.OutH(), p.OutW()
	parallel(p.N, func(n int) {
		clear(dx[n*p.H*p.W*p.C : (n+1)*p.H*p.W*p.C])
		for r := 0; r < oh; r++ {
			for c := 0; c < ow; c++ {
				h0, h1, w0, w1 := p.window(r, c)
				if h1 <= h0 || w1 <= w0 {
					continue
				}
				inv := 1 / float32((h1-h0)*(w1-w0))
				g := dy[((n*oh+r)*ow+c)*p.C:][:p.C]
				for ih := h0; ih < h1; ih++ {
					for iw := w0; iw < w1; iw++ {
						d := dx[((n*p.H+ih)*p.W+iw)*p.C:][:p.C]
						for i, v := range g {
							d[i] += v * inv
						}
					}
				}
			}
		}
	})
}

func checkGlobal(op string, n, hw, c int, x, y []float32) {
	if n < 0 || hw < 1 || c < 1 {
		panic(fmt.Sprintf("kernels: %s: bad shape n=%d hw=%d c=%d", op, n, hw, c))
	}
	checkLen(op, "x", x, n*hw*c)
	checkLen(op, "y", y, n*c)
}

// GlobalAvgPool sets y (N, C) to the mean over the hw spatial positions of x
// (N, hw, C).
func GlobalAvgPool(n, hw, c int, x, y []float32) {
	raceRead(x)
	raceWrite(y)
	checkGlobal("GlobalAvgPool", n, hw, c, x, y)
	var sc scratch
	sc.init(0, n*c)
	defer sc.free()
	accs := sc.f64(n * c)
	var sum64 func(x *float32, rows, c int, acc *float64)
	if active.elementwise != nil {
		sum64 = active.elementwise.colSum64
	}
	parallel(n, func(b int) {
		acc := accs[b*c : b*c+c]
		c0 := 0 // channels [0, c0) summed by the kernel
		if c8 := c &^ 7; sum64 != nil && c8 > 0 && hw > 0 {
			sum64(&x[b*hw*c], hw, c, &acc[0])
			c0 = c8
		}
		for s := 0; s < hw; s++ {
			for i, v := range x[(b*hw+s)*c+c0 : (b*hw+s)*c+c] {
				acc[c0+i] += float64(v)
			}
		}
		out := y[b*c : b*c+c]
		for i, v := range acc {
			out[i] = float32(v / float64(hw))
		}
	})
}

// GlobalAvgPoolBackward sets dx (N, hw, C) = dy / hw broadcast over space.
func GlobalAvgPoolBackward(n, hw, c int, dy, dx []float32) {
	raceRead(dy)
	raceWrite(dx)
	checkGlobal("GlobalAvgPoolBackward", n, hw, c, dx, dy)
	parallel(n, func(b int) {
		g := dy[b*c : b*c+c]
		inv := 1 / float32(hw)
		for s := 0; s < hw; s++ {
			d := dx[(b*hw+s)*c : (b*hw+s)*c+c]
			for i, v := range g {
				d[i] = v * inv
			}
		}
	})
}

// GlobalMaxPool sets y (N, C) to the maximum over the hw positions of x.
func GlobalMaxPool(n, hw, c int, x, y []float32) {
	checkGlobal("GlobalMaxPool", n, hw, c, x, y)
	parallel(n, func(b int) {
		out := y[b*c : b*c+c]
		copy(out, x[b*hw*c:b*hw*c+c])
		for s := 1; s < hw; s++ {
			for i, v := range x[(b*hw+s)*c : (b*hw+s)*c+c] {
				out[i] = max(out[i], v)
			}
		}
	})
}

// GlobalMaxPoolBackward sets dx (overwritten) to dy at the first position of
// each channel's maximum, 0 elsewhere.
func GlobalMaxPoolBackward(n, hw, c int, x, dy, dx []float32) {
	checkGlobal("GlobalMaxPoolBackward", n, hw, c, x, dy)
	checkLen("GlobalMaxPoolBackward", "dx", dx, n*hw*c)
	parallel(n, func(b int) {
		clear(dx[b*hw*c : (b+1)*hw*c])
		best := append([]float32(nil), x[b*hw*c:b*hw*c+c]...)
		arg := make([]int, c)
		for s := 1; s < hw; s++ {
			for i, v := range x[(b*hw+s)*c : (b*hw+s)*c+c] {
				if v > best[i] {
					best[i], arg[i] = v, s
				}
			}
		}
		for i, g := range dy[b*c : b*c+c] {
			dx[(b*hw+arg[i])*c+i] = g
		}
	})
}

// PadParams describes ZeroPad2D on NHWC data (N, H, W, C): Top rows above,
// Bottom below, Left and Right columns, giving (N, OutH(), OutW(), C).
type PadParams struct {
	N, H, W, C               int
	Top, Bottom, Left, Right int
}

// OutH is H + Top + Bottom.
func (p PadParams) OutH() int { return p.H + p.Top + p.Bottom }

// OutW is W + Left + Right.
func (p PadParams) OutW() int { return p.W + p.Left + p.Right }

func (p PadParams) check(op string, in, out []float32) {
	if p.N < 0 || p.H < 0 || p.W < 0 || p.C < 1 || p.Top < 0 || p.Bottom < 0 || p.Left < 0 || p.Right < 0 {
		panic(fmt.Sprintf("kernels: %s: bad parameters %+v", op, p))
	}
	checkLen(op, "input", in, p.N*p.H*p.W*p.C)
	checkLen(op, "output", out, p.N*p.OutH()*p.OutW()*p.C)
}

// ZeroPad2D copies x into the middle of y and zeroes the border.
func ZeroPad2D(p PadParams, x, y []float32) {
	raceRead(x)
	raceWrite(y)
	p.check("ZeroPad2D", x, y)
	oh, ow := p.OutH(), p.OutW()
	parallel(p.N*oh, func(t int) {
		n, r := t/oh, t%oh
		row := y[(n*oh+r)*ow*p.C : (n*oh+r+1)*ow*p.C]
		ih := r - p.Top
		if ih < 0 || ih >= p.H {
			clear(row)
			return
		}
		clear(row[:p.Left*p.C])
		copy(row[p.Left*p.C:], x[(n*p.H+ih)*p.W*p.C:(n*p.H+ih+1)*p.W*p.C])
		clear(row[(p.Left+p.W)*p.C:])
	})
}

// ZeroPad2DBackward sets dx to the middle of dy (the border's gradient is
// dropped).
func ZeroPad2DBackward(p PadParams, dy, dx []float32) {
	raceRead(dy)
	raceWrite(dx)
	p.check("ZeroPad2DBackward", dx, dy)
	oh, ow := p.OutH(), p.OutW()
	parallel(p.N*p.H, func(t int) {
		n, ih := t/p.H, t%p.H
		src := dy[((n*oh+ih+p.Top)*ow+p.Left)*p.C:][:p.W*p.C]
		copy(dx[(n*p.H+ih)*p.W*p.C:(n*p.H+ih+1)*p.W*p.C], src)
	})
}

// poolFast says whether the active table's pooling kernels take p: channels
// a multiple of 8, windows of at most 64 elements.
func poolFast(p PoolParams) bool {
	return active.pool != nil && p.C%8 == 0 && p.KH*p.KW <= 64
}

// poolRowsAsm runs max or average pooling with the row kernels: for each
// output pixel, the pointers to the window's real input pixels.
func poolRowsAsm(p PoolParams, x, y []float32, isMax bool) {
	pk := active.pool
	oh, ow := p.OutH(), p.OutW()
	parallel(p.N*oh, func(t int) {
		n, r := t/oh, t%oh
		var ptrs [64]*float32
		for c := 0; c < ow; c++ {
			out := y[((n*oh+r)*ow+c)*p.C:][:p.C]
			h0, h1, w0, w1 := p.window(r, c)
			k := 0
			for ih := h0; ih < h1; ih++ {
				for iw := w0; iw < w1; iw++ {
					ptrs[k] = &x[((n*p.H+ih)*p.W+iw)*p.C]
					k++
				}
			}
			switch {
			case k == 0:
				clear(out)
			case isMax:
				pk.maxRows(&ptrs[0], k, p.C, &out[0])
			default:
				pk.sumRows(&ptrs[0], k, p.C, 1/float32(k), &out[0])
			}
		}
	})
}

// maxPoolBackwardAsm routes each window's gradient with the maxGradRows kernel.
// Windows that cannot overlap (stride at least the window) run in parallel
// over output rows, others per image.
func maxPoolBackwardAsm(p PoolParams, x, dy, dx []float32) {
	pk := active.pool
	oh, ow := p.OutH(), p.OutW()
	forChunks(p.N*p.H*p.W*p.C, func(lo, hi int) { clear(dx[lo:hi]) })
	rowsOf := func(n, r int) {
		var xs, dxs [64]*float32
		for c := 0; c < ow; c++ {
			h0, h1, w0, w1 := p.window(r, c)
			k := 0
			for ih := h0; ih < h1; ih++ {
				for iw := w0; iw < w1; iw++ {
					off := ((n*p.H+ih)*p.W + iw) * p.C
					xs[k], dxs[k] = &x[off], &dx[off]
					k++
				}
			}
			if k > 0 {
				pk.maxGradRows(&xs[0], &dxs[0], k, p.C, &dy[((n*oh+r)*ow+c)*p.C])
			}
		}
	}
	if p.StrideH >= p.KH && p.StrideW >= p.KW {
		parallel(p.N*oh, func(t int) { rowsOf(t/oh, t%oh) })
		return
	}
	parallel(p.N, func(n int) {
		for r := 0; r < oh; r++ {
			rowsOf(n, r)
		}
	})
}
