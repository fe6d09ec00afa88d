package imagedata

import (
	"image"
	"image/color"
)

// toRGB converts a decoded image to RGB as PIL's convert('RGB') does: grey is
// replicated, alpha is dropped (never composited onto a background), palette
// entries are looked up ignoring their alpha, 16-bit colour keeps the high
// byte, and 16-bit grey is clipped to 255 as PIL's "I" -> "RGB" conversion
// clips. dst is reused when large enough. format is image.Decode's format name:
// WebP's YCbCr is limited range, JPEG's is full range.
func toRGB(src image.Image, format string, dst *Image) *Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst = reuse(dst, w, h)
	switch m := src.(type) {
	case *image.YCbCr:
		ycbcrToRGB(m, format == "webp", dst)
	case *image.NYCbCrA:
		ycbcrToRGB(&m.YCbCr, format == "webp", dst)
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			out := dst.Pix[3*y*w : 3*(y+1)*w]
			for x, v := range row {
				out[3*x], out[3*x+1], out[3*x+2] = v, v, v
			}
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+2*w]
			out := dst.Pix[3*y*w : 3*(y+1)*w]
			for x := 0; x < w; x++ {
				v := uint8(255)
				if row[2*x] == 0 {
					v = row[2*x+1]
				}
				out[3*x], out[3*x+1], out[3*x+2] = v, v, v
			}
		}
	case *image.NRGBA:
		copyDropAlpha(m.Pix, m.Stride, 1, w, h, dst)
	case *image.RGBA:
		if opaque(m.Pix, m.Stride, w, h) {
			copyDropAlpha(m.Pix, m.Stride, 1, w, h, dst)
		} else {
			generic(src, dst)
		}
	case *image.NRGBA64:
		copyDropAlpha(m.Pix, m.Stride, 2, w, h, dst)
	case *image.RGBA64:
		copyDropAlpha(m.Pix, m.Stride, 2, w, h, dst)
	case *image.Paletted:
		var lut [256][3]uint8
		for i, c := range m.Palette {
			lut[i] = paletteRGB(c)
		}
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			out := dst.Pix[3*y*w : 3*(y+1)*w]
			for x, idx := range row {
				p := lut[idx]
				out[3*x], out[3*x+1], out[3*x+2] = p[0], p[1], p[2]
			}
		}
	default:
		generic(src, dst)
	}
	return dst
}

// copyDropAlpha copies the colour of 4-channel pixels of bytesPer bytes per
// channel (big-endian, so the first byte is the high byte PIL keeps).
func copyDropAlpha(pix []uint8, stride, bytesPer, w, h int, dst *Image) {
	step := 4 * bytesPer
	for y := 0; y < h; y++ {
		row := pix[y*stride:]
		out := dst.Pix[3*y*w : 3*(y+1)*w]
		for x := 0; x < w; x++ {
			p := row[x*step:]
			out[3*x] = p[0]
			out[3*x+1] = p[bytesPer]
			out[3*x+2] = p[2*bytesPer]
		}
	}
}

func opaque(pix []uint8, stride, w, h int) bool {
	for y := 0; y < h; y++ {
		row := pix[y*stride : y*stride+4*w]
		for x := 3; x < len(row); x += 4 {
			if row[x] != 0xff {
				return false
			}
		}
	}
	return true
}

// paletteRGB is a palette entry's colour without its alpha.
func paletteRGB(c color.Color) [3]uint8 {
	switch c := c.(type) {
	case color.NRGBA:
		return [3]uint8{c.R, c.G, c.B}
	case color.RGBA:
		if c.A == 0xff || c.A == 0 {
			return [3]uint8{c.R, c.G, c.B}
		}
	}
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return [3]uint8{n.R, n.G, n.B}
}

// generic handles the rare remaining models (CMYK, premultiplied alpha) through
// the non-premultiplied colour model.
func generic(src image.Image, dst *Image) {
	b := src.Bounds()
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			n := color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2] = n.R, n.G, n.B
			i += 3
		}
	}
}
