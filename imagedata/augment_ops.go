package imagedata

import "math"

// channelShift is apply_channel_shift: every channel moves by the same
// intensity, clipped to the image's own minimum and maximum (over all
// channels). numpy adds a float64 scalar to a float32 array in float32.
func channelShift(x []float32, intensity float64) {
	lo, hi := minMax(x)
	d := float32(intensity)
	for i, v := range x {
		x[i] = min(max(v+d, lo), hi)
	}
}

func minMax(x []float32) (lo, hi float32) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// brightness is Keras' apply_brightness_shift: array_to_img with scale=True
// (shift up if negative, then stretch so the maximum is 255, in float32, and
// truncate to uint8), PIL's ImageEnhance.Brightness (a blend with black in
// float32, truncated, clipped only when the factor is outside [0, 1]), and
// back to float32. The stretch is Keras' behaviour, kept on purpose: it also
// raises the contrast of any image whose maximum is below 255.
func brightness(x []float32, factor float64) {
	lo, _ := minMax(x)
	shift := max(-lo, 0)
	hi := float32(math.Inf(-1))
	for i := range x {
		x[i] += shift
		hi = max(hi, x[i])
	}
	alpha := float32(factor)
	for i, v := range x {
		if hi != 0 {
			v /= hi
		}
		p := float32(uint8(v * 255))
		switch {
		case alpha == 0:
			x[i] = 0
		case alpha == 1:
			x[i] = p
		case alpha > 0 && alpha < 1:
			x[i] = float32(uint8(alpha * p))
		default:
			b := alpha * p
			switch {
			case b <= 0:
				x[i] = 0
			case b >= 255:
				x[i] = 255
			default:
				x[i] = float32(uint8(b))
			}
		}
	}
}

// flipColumns mirrors left-right (flip_axis on the column axis).
func flipColumns(x []float32, h, w int) {
	for y := 0; y < h; y++ {
		row := x[3*y*w : 3*(y+1)*w]
		for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
			for c := 0; c < 3; c++ {
				row[3*i+c], row[3*j+c] = row[3*j+c], row[3*i+c]
			}
		}
	}
}

// flipRows mirrors top-bottom.
func flipRows(x []float32, h, w int) {
	n := 3 * w
	for i, j := 0, h-1; i < j; i, j = i+1, j-1 {
		a, b := x[i*n:(i+1)*n], x[j*n:(j+1)*n]
		for k := range a {
			a[k], b[k] = b[k], a[k]
		}
	}
}
