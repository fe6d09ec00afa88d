package hdf5

// decodeFillValue returns the fill value of unwritten elements from a fill
// value message (versions 1 to 3) or the old fill value message, or nil for
// the default (zeros) and for values that do not match the element size.
func (f *File) decodeFillValue(h *objectHeader, elemSize int) []byte {
	var value []byte
	if m := h.find(msgFillValue); m != nil {
		c := f.cursor(m.data)
		switch version := c.u8(); version {
		case 1, 2:
			c.skip(2) // allocation and write times
			defined := c.u8()
			if version == 1 || defined != 0 {
				n := int(c.u32())
				value = c.take(n)
			}
		case 3:
			if flags := c.u8(); flags&0x20 != 0 {
				n := int(c.u32())
				value = c.take(n)
			}
		}
		if c.err != nil {
			return nil
		}
	} else if m := h.find(msgFillValueOld); m != nil {
		c := f.cursor(m.data)
		n := int(c.u32())
		value = c.take(n)
	}
	if len(value) != elemSize {
		return nil
	}
	for _, b := range value {
		if b != 0 {
			return value
		}
	}
	return nil // all zeros: the default
}

// fillReaderAt reads as a repetition of one element.
type fillReaderAt []byte

func (p fillReaderAt) ReadAt(b []byte, off int64) (int, error) {
	fill(b, p, int(off%int64(len(p))))
	return len(b), nil
}

// fill repeats pattern over b, starting at phase bytes into the pattern.
func fill(b, pattern []byte, phase int) {
	for i := range b {
		b[i] = pattern[(phase+i)%len(pattern)]
	}
}
