package imagedata

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
