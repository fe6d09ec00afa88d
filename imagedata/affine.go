package imagedata

import "math"

// affine resamples x (h x w, 3 channels) into dst as scipy.ndimage's
// affine_transform(order=1) does for each channel with Keras' matrix m: the
// input coordinate of output (r, c) is m[:2,:2]·(r, c) + m[:2,2]; the
// coordinate is first mapped into the input by the fill mode, then the two
// taps of each axis are read (a tap past the edge reflected in reflect mode,
// clamped otherwise, where its weight is zero), and the four weighted taps are
// summed in float64 in scipy's order.
func affine(dst, x []float32, h, w int, m [3][3]float64, mode FillMode, cval float64) {
	cv := float32(cval)
	lastR, lastC := float64(h-1), float64(w-1)
	for r := 0; r < h; r++ {
		out := dst[3*r*w : 3*(r+1)*w]
		for c := 0; c < w; c++ {
			fr, fc := float64(r), float64(c)
			ir := float64(float64(fr*m[0][0])+float64(fc*m[0][1])) + m[0][2]
			ic := float64(float64(fr*m[1][0])+float64(fc*m[1][1])) + m[1][2]
			o := out[3*c : 3*c+3]
			if ir >= 0 && ir < lastR && ic >= 0 && ic < lastC {
				// Inside: no mapping, both taps in range (the common case).
				r0, c0 := int(ir), int(ic)
				wr1, wc1 := ir-float64(r0), ic-float64(c0)
				wr0, wc0 := 1-wr1, 1-wc1
				i00 := 3 * (r0*w + c0)
				i10 := i00 + 3*w
				p00, p01 := x[i00:i00+3:i00+3], x[i00+3:i00+6:i00+6]
				p10, p11 := x[i10:i10+3:i10+3], x[i10+3:i10+6:i10+6]
				for k := range 3 {
					v := float64(float64(float64(p00[k])*wr0) * wc0)
					v += float64(float64(float64(p01[k])*wr0) * wc1)
					v += float64(float64(float64(p10[k])*wr1) * wc0)
					v += float64(float64(float64(p11[k])*wr1) * wc1)
					o[k] = float32(v)
				}
				continue
			}
			r0, r1, wr0, wr1, okR := taps(ir, h, mode)
			c0, c1, wc0, wc1, okC := taps(ic, w, mode)
			if !okR || !okC {
				o[0], o[1], o[2] = cv, cv, cv
				continue
			}
			sample(o, x, w, r0, r1, c0, c1, wr0, wr1, wc0, wc1)
		}
	}
}

// sample writes the bilinear blend of four pixels, summed as scipy sums them.
func sample(o, x []float32, w, r0, r1, c0, c1 int, wr0, wr1, wc0, wc1 float64) {
	p00 := x[3*(r0*w+c0):]
	p01 := x[3*(r0*w+c1):]
	p10 := x[3*(r1*w+c0):]
	p11 := x[3*(r1*w+c1):]
	for k := 0; k < 3; k++ {
		v := float64(float64(float64(p00[k])*wr0) * wc0)
		v += float64(float64(float64(p01[k])*wr0) * wc1)
		v += float64(float64(float64(p10[k])*wr1) * wc0)
		v += float64(float64(float64(p11[k])*wr1) * wc1)
		o[k] = float32(v)
	}
}

// taps maps coordinate v on an axis of length n to the two sample indices and
// their linear weights. ok is false when the point takes the constant value.
func taps(v float64, n int, mode FillMode) (i0, i1 int, w0, w1 float64, ok bool) {
	v = mapCoordinate(v, n, mode)
	if mode == FillConstant && v <= -1 {
		return 0, 0, 0, 0, false
	}
	start := math.Floor(v)
	f := v - start
	s := int(start)
	return tapIndex(s, n, mode), tapIndex(s+1, n, mode), 1 - f, f, true
}

// mapCoordinate is scipy's map_coordinate for order-1 interpolation: it brings
// an outside coordinate inside according to the mode, or to -1 for constant.
func mapCoordinate(in float64, n int, mode FillMode) float64 {
	last := float64(n - 1)
	if in < 0 {
		switch mode {
		case FillNearest:
			return 0
		case FillConstant:
			return -1
		case FillReflect:
			if n <= 1 {
				return 0
			}
			sz2 := float64(2 * n)
			if in < -sz2 {
				in = sz2*float64(int64(-in/sz2)) + in
			}
			if in < -float64(n) {
				return in + sz2
			}
			if in > -1e-15 {
				return 1e-15 - 1
			}
			return -in - 1
		case FillWrap:
			if n <= 1 {
				return 0
			}
			sz := float64(n - 1)
			return in + sz*float64(int64(-in/sz)+1)
		}
	} else if in > last {
		switch mode {
		case FillNearest:
			return last
		case FillConstant:
			return -1
		case FillReflect:
			if n <= 1 {
				return 0
			}
			sz2 := float64(2 * n)
			in -= sz2 * float64(int64(in/sz2))
			if in >= float64(n) {
				in = sz2 - in - 1
			}
			return in
		case FillWrap:
			if n <= 1 {
				return 0
			}
			sz := float64(n - 1)
			return in - sz*float64(int64(in/sz))
		}
	}
	return in
}

// tapIndex brings a filter tap one step outside the input back in. Only
// reflect mode gives such a tap a non-zero weight (a coordinate in (-1, 0) or
// (n-1, n)); scipy (1.6 and later) reflects it as the mode says.
func tapIndex(i, n int, mode FillMode) int {
	if i < 0 {
		if mode == FillReflect {
			return min(-i-1, n-1)
		}
		return 0
	}
	if i >= n {
		if mode == FillReflect {
			return max(2*n-1-i, 0)
		}
		return n - 1
	}
	return i
}
