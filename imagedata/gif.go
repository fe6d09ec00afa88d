package imagedata

import "image"

// gifTransparentRGB finds the colour-table entry of the first frame's
// transparent index. Go's GIF decoder replaces that entry with transparent
// black; PIL keeps the stored colour, and convert('RGB') shows it. ok is false
// when the file has no transparent index or is not laid out as expected.
func gifTransparentRGB(data []byte) (idx uint8, rgb [3]uint8, ok bool) {
	if len(data) < 13 {
		return 0, rgb, false
	}
	flags := data[10]
	var global []byte
	p := 13
	if flags&0x80 != 0 {
		n := 3 << (flags&7 + 1)
		if p+n > len(data) {
			return 0, rgb, false
		}
		global, p = data[p:p+n], p+n
	}
	hasTrans := false
	for p < len(data) {
		switch data[p] {
		case 0x21: // extension: label, then sub-blocks
			if p+2 > len(data) {
				return 0, rgb, false
			}
			label := data[p+1]
			p += 2
			if label == 0xf9 && p+5 <= len(data) && data[p] == 4 {
				hasTrans = data[p+1]&1 != 0
				idx = data[p+4]
			}
			for p < len(data) && data[p] != 0 {
				p += int(data[p]) + 1
			}
			p++
		case 0x2c: // image descriptor: the first frame
			if !hasTrans || p+10 > len(data) {
				return 0, rgb, false
			}
			table := global
			if f := data[p+9]; f&0x80 != 0 {
				n := 3 << (f&7 + 1)
				if p+10+n > len(data) {
					return 0, rgb, false
				}
				table = data[p+10 : p+10+n]
			}
			if 3*int(idx)+3 > len(table) {
				return 0, rgb, false
			}
			copy(rgb[:], table[3*int(idx):])
			return idx, rgb, true
		default:
			return 0, rgb, false
		}
	}
	return 0, rgb, false
}

// gifOnScreen places the first frame on the logical screen as PIL does: PIL's
// image has the screen's size, and pixels outside the frame take palette index
// 0, or the frame's transparent index when it has one. Go returns the frame
// alone, at its offset.
func gifOnScreen(frame *image.Paletted, screenW, screenH int, transparent int) *image.Paletted {
	screen := image.Rect(0, 0, screenW, screenH)
	if frame.Rect == screen {
		return frame
	}
	out := image.NewPaletted(screen, frame.Palette)
	if transparent > 0 {
		for i := range out.Pix {
			out.Pix[i] = uint8(transparent)
		}
	}
	r := frame.Rect.Intersect(screen)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(out.Pix[out.PixOffset(r.Min.X, y):out.PixOffset(r.Max.X, y)], frame.Pix[frame.PixOffset(r.Min.X, y):])
	}
	return out
}
