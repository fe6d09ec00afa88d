package imagedata

import "image"

// nearestYCbCr is toRGB followed by a PIL nearest resize of the region crop,
// fused for JPEG's
// common layouts: only the sampled pixels are upsampled and converted, which
// for a 500x375 photo going to 224x224 is a quarter of them. The result is
// identical to the two steps. ok is false for layouts it does not handle.
func nearestYCbCr(m *image.YCbCr, limited bool, crop image.Rectangle, dst *Image) (ok bool) {
	ratio := m.SubsampleRatio
	if m.Rect.Min != (image.Point{}) || limited || (ratio != image.YCbCrSubsampleRatio444 &&
		ratio != image.YCbCrSubsampleRatio420 && ratio != image.YCbCrSubsampleRatio422) {
		return false
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	xs := nearestTable(span{w, crop.Min.X, crop.Max.X}, dst.W)
	ys := nearestTable(span{h, crop.Min.Y, crop.Max.Y}, dst.H)
	cw, ch := (w+1)/2, (h+1)/2
	for oy, y := range ys {
		yrow := m.Y[y*m.YStride:]
		out := dst.Pix[3*oy*dst.W : 3*(oy+1)*dst.W]
		var near, far int // chroma rows for 4:2:0
		if ratio == image.YCbCrSubsampleRatio420 {
			near, far = y/2, y/2-1
			if y%2 == 1 {
				far = y/2 + 1
			}
			far = max(0, min(far, ch-1))
		}
		for ox, x := range xs {
			var u, v uint8
			switch ratio {
			case image.YCbCrSubsampleRatio444:
				u, v = m.Cb[y*m.CStride+x], m.Cr[y*m.CStride+x]
			case image.YCbCrSubsampleRatio422:
				row := y * m.CStride
				u = fancyH2V1At(m.Cb[row:row+cw], x)
				v = fancyH2V1At(m.Cr[row:row+cw], x)
			default:
				u = fancyH2V2At(m.Cb[near*m.CStride:near*m.CStride+cw], m.Cb[far*m.CStride:far*m.CStride+cw], x)
				v = fancyH2V2At(m.Cr[near*m.CStride:near*m.CStride+cw], m.Cr[far*m.CStride:far*m.CStride+cw], x)
			}
			Y := int32(yrow[x])
			out[3*ox] = clamp8(Y + crToR[v])
			out[3*ox+1] = clamp8(Y + (cbToG[u]+crToG[v])>>16)
			out[3*ox+2] = clamp8(Y + cbToB[u])
		}
	}
	return true
}

// fancyH2V1At is fancyH2V1's output at column x.
func fancyH2V1At(in []uint8, x int) uint8 {
	c, cw := x/2, len(in)
	if cw == 1 {
		return in[0]
	}
	if x%2 == 0 {
		if c == 0 {
			return in[0]
		}
		return uint8((3*int(in[c]) + int(in[c-1]) + 1) >> 2)
	}
	if c == cw-1 {
		return in[c]
	}
	return uint8((3*int(in[c]) + int(in[c+1]) + 2) >> 2)
}

// fancyH2V2At is fancyH2V2's output at column x.
func fancyH2V2At(near, far []uint8, x int) uint8 {
	c, cw := x/2, len(near)
	this := 3*int(near[c]) + int(far[c])
	if x%2 == 0 {
		if c == 0 {
			return uint8((this*4 + 8) >> 4)
		}
		return uint8((this*3 + 3*int(near[c-1]) + int(far[c-1]) + 8) >> 4)
	}
	if c == cw-1 {
		return uint8((this*4 + 7) >> 4)
	}
	return uint8((this*3 + 3*int(near[c+1]) + int(far[c+1]) + 7) >> 4)
}
