package imagedata

import "image"

// JPEG colour conversion as libjpeg's jdcolor.c does it (16-bit fixed point,
// tables indexed by the chroma sample), so that decoded pixels agree with PIL,
// which reads JPEG through libjpeg-turbo.
var (
	crToR, cbToB [256]int32
	crToG, cbToG [256]int32
)

func init() {
	const one = 1 << 16
	fix := func(x float64) int32 { return int32(x*one + 0.5) }
	for i := range 256 {
		x := int32(i - 128)
		crToR[i] = (fix(1.40200)*x + one/2) >> 16
		cbToB[i] = (fix(1.77200)*x + one/2) >> 16
		crToG[i] = -fix(0.71414) * x
		cbToG[i] = -fix(0.34414)*x + one/2
	}
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ycbcrToRGB upsamples the chroma planes with libjpeg's default "fancy"
// (triangle-filter) upsampling and converts to RGB. limited selects WebP's
// studio-swing BT.601 conversion (libwebp's yuv.h) instead of JFIF full range.
func ycbcrToRGB(m *image.YCbCr, limited bool, dst *Image) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	if m.Rect.Min != (image.Point{}) {
		generic(m, dst)
		return
	}
	cb := make([]uint8, w+2)
	cr := make([]uint8, w+2)
	cw := (w + 1) / 2
	ch := (h + 1) / 2
	for y := 0; y < h; y++ {
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio444:
			copy(cb, m.Cb[y*m.CStride:y*m.CStride+w])
			copy(cr, m.Cr[y*m.CStride:y*m.CStride+w])
		case image.YCbCrSubsampleRatio422:
			fancyH2V1(cb, m.Cb[y*m.CStride:], cw)
			fancyH2V1(cr, m.Cr[y*m.CStride:], cw)
		case image.YCbCrSubsampleRatio420:
			near, far := y/2, y/2-1 // even output rows lean on the chroma row above
			if y%2 == 1 {
				far = y/2 + 1
			}
			far = max(0, min(far, ch-1))
			upsample := fancyH2V2
			if limited {
				upsample = webpFancy
			}
			upsample(cb, m.Cb[near*m.CStride:], m.Cb[far*m.CStride:], cw)
			upsample(cr, m.Cr[near*m.CStride:], m.Cr[far*m.CStride:], cw)
		case image.YCbCrSubsampleRatio440:
			near, far, bias := y/2, y/2-1, 1
			if y%2 == 1 {
				far, bias = y/2+1, 2
			}
			far = max(0, min(far, ch-1))
			fancyH1V2(cb, m.Cb[near*m.CStride:], m.Cb[far*m.CStride:], w, bias)
			fancyH1V2(cr, m.Cr[near*m.CStride:], m.Cr[far*m.CStride:], w, bias)
		default: // 4:1:1 and 4:1:0: libjpeg replicates samples for these
			for x := 0; x < w; x++ {
				ci := m.COffset(x, y)
				cb[x], cr[x] = m.Cb[ci], m.Cr[ci]
			}
		}
		yrow := m.Y[y*m.YStride : y*m.YStride+w]
		out := dst.Pix[3*y*w : 3*(y+1)*w]
		if limited {
			webpRow(out, yrow, cb, cr)
			continue
		}
		for x, yv := range yrow {
			Y := int32(yv)
			u, v := cb[x], cr[x]
			out[3*x] = clamp8(Y + crToR[v])
			out[3*x+1] = clamp8(Y + (cbToG[u]+crToG[v])>>16)
			out[3*x+2] = clamp8(Y + cbToB[u])
		}
	}
}

// fancyH2V1 is libjpeg's h2v1_fancy_upsample: 3/4 nearer + 1/4 further sample.
func fancyH2V1(out, in []uint8, cw int) {
	if cw == 1 {
		out[0], out[1] = in[0], in[0]
		return
	}
	out[0] = in[0]
	out[1] = uint8((3*int(in[0]) + int(in[1]) + 2) >> 2)
	for c := 1; c < cw-1; c++ {
		v := 3 * int(in[c])
		out[2*c] = uint8((v + int(in[c-1]) + 1) >> 2)
		out[2*c+1] = uint8((v + int(in[c+1]) + 2) >> 2)
	}
	c := cw - 1
	out[2*c] = uint8((3*int(in[c]) + int(in[c-1]) + 1) >> 2)
	out[2*c+1] = in[c]
}

// fancyH2V2 is libjpeg's h2v2_fancy_upsample: a triangle filter with weights
// 9/16, 3/16, 3/16, 1/16 and libjpeg's alternating rounding biases (8 and 7).
func fancyH2V2(out, near, far []uint8, cw int) {
	sum := func(c int) int { return 3*int(near[c]) + int(far[c]) }
	if cw == 1 {
		s := sum(0)
		out[0] = uint8((4*s + 8) >> 4)
		out[1] = uint8((4*s + 7) >> 4)
		return
	}
	last, this := 0, sum(0)
	next := sum(1)
	out[0] = uint8((this*4 + 8) >> 4)
	out[1] = uint8((this*3 + next + 7) >> 4)
	last, this = this, next
	for c := 1; c < cw-1; c++ {
		next = sum(c + 1)
		out[2*c] = uint8((this*3 + last + 8) >> 4)
		out[2*c+1] = uint8((this*3 + next + 7) >> 4)
		last, this = this, next
	}
	c := cw - 1
	out[2*c] = uint8((this*3 + last + 8) >> 4)
	out[2*c+1] = uint8((this*4 + 7) >> 4)
}

// webpFancy is libwebp's fancy upsampler (UpsampleRgbLinePair) for one output
// row: weights 9/16, 3/16, 3/16, 1/16 computed through libwebp's two-step
// diagonal averages, whose rounding differs from libjpeg's.
func webpFancy(out, near, far []uint8, cw int) {
	out[0] = uint8((3*int(near[0]) + int(far[0]) + 2) >> 2)
	for x := 1; x < cw; x++ {
		tl, t := int(near[x-1]), int(near[x])
		l, c := int(far[x-1]), int(far[x])
		avg := tl + t + l + c + 8
		out[2*x-1] = uint8(((avg+2*(t+l))>>3 + tl) >> 1)
		out[2*x] = uint8(((avg+2*(tl+c))>>3 + t) >> 1)
	}
	last := cw - 1
	out[2*last+1] = uint8((3*int(near[last]) + int(far[last]) + 2) >> 2)
}

// fancyH1V2 is libjpeg-turbo's h1v2_fancy_upsample (vertical triangle filter).
func fancyH1V2(out, near, far []uint8, w, bias int) {
	for x := 0; x < w; x++ {
		out[x] = uint8((3*int(near[x]) + int(far[x]) + bias) >> 2)
	}
}

// webpRow converts limited-range BT.601 as libwebp's VP8YUVToR/G/B do
// (14-bit fixed point, results in 1/64 steps).
func webpRow(out, yrow, cb, cr []uint8) {
	multHi := func(v uint8, c int32) int32 { return int32(v) * c >> 8 }
	clip := func(v int32) uint8 {
		if v&^(256<<6-1) == 0 {
			return uint8(v >> 6)
		}
		if v < 0 {
			return 0
		}
		return 255
	}
	for x, yv := range yrow {
		u, v := cb[x], cr[x]
		yy := multHi(yv, 19077)
		out[3*x] = clip(yy + multHi(v, 26149) - 14234)
		out[3*x+1] = clip(yy - multHi(u, 6419) - multHi(v, 13320) + 8708)
		out[3*x+2] = clip(yy + multHi(u, 33050) - 17685)
	}
}
