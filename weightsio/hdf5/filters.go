package hdf5

// Filter identifiers of the pipeline message.
const (
	filterDeflate    = 1
	filterShuffle    = 2
	filterFletcher32 = 3
)

// filter is one stage of a chunked dataset's filter pipeline.
type filter struct {
	id     uint16
	flags  uint16
	params []uint32
	label  string
}

func (fl filter) name() string {
	switch fl.id {
	case filterDeflate:
		return "deflate"
	case filterShuffle:
		return "shuffle"
	case filterFletcher32:
		return "fletcher32"
	}
	if fl.label != "" {
		return fl.label
	}
	return "filter-" + itoa(int(fl.id))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// decodeFilters decodes a filter pipeline message (versions 1 and 2).
func (f *File) decodeFilters(b []byte) ([]filter, error) {
	c := f.cursor(b)
	version := c.u8()
	count := int(c.u8())
	if version == 1 {
		c.skip(6)
	} else if version != 2 {
		return nil, errf("filter pipeline version %d", version)
	}
	if count > 32 {
		return nil, errf("filter pipeline with %d filters", count)
	}
	out := make([]filter, 0, count)
	for i := 0; i < count && c.err == nil; i++ {
		fl := filter{id: c.u16()}
		nameLen := 0
		if version == 1 || fl.id >= 256 {
			nameLen = int(c.u16())
		}
		fl.flags = c.u16()
		nparams := int(c.u16())
		if nameLen > 0 {
			name := c.take(nameLen)
			if i := indexNUL(name); i >= 0 {
				name = name[:i]
			}
			fl.label = string(name) // version 1 pads the name to 8 bytes itself
		}
		if nparams > 64 {
			return nil, errf("filter %d with %d parameters", fl.id, nparams)
		}
		for j := 0; j < nparams; j++ {
			fl.params = append(fl.params, c.u32())
		}
		if version == 1 && nparams%2 == 1 {
			c.skip(4)
		}
		out = append(out, fl)
	}
	if c.err != nil {
		return nil, errf("filter pipeline: %v", c.err)
	}
	return out, nil
}
