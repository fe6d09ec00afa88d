package hdf5

// Storage layouts of a dataset's raw data.
const (
	layoutCompact    = 0
	layoutContiguous = 1
	layoutChunked    = 2
	layoutVirtual    = 3
)

var layoutNames = [...]string{"compact", "contiguous", "chunked", "virtual"}

// dataLayout is a decoded data layout message.
type dataLayout struct {
	version int
	class   int
	addr    uint64 // contiguous data or chunk index address
	size    uint64 // contiguous data bytes (version 3+; computed otherwise)
	hasSize bool
	compact []byte // compact data, inside the object header
	// chunked: chunk dimensions (without the element-size dimension of v1-3)
	chunk []uint64
	// v1-3 chunked: the B-tree key has rank+1 offsets.
	chunkIndexType int
	chunkFlags     uint8
	indexInfo      []byte // v4 index-type-specific fields
}

func (l *dataLayout) className() string {
	if l.class >= 0 && l.class < len(layoutNames) {
		return layoutNames[l.class]
	}
	return "unknown"
}

// decodeLayout decodes data layout messages of versions 1 to 4.
func (f *File) decodeLayout(b []byte) (*dataLayout, error) {
	c := f.cursor(b)
	l := &dataLayout{version: int(c.u8())}
	switch l.version {
	case 1, 2:
		rank := int(c.u8())
		l.class = int(c.u8())
		c.skip(5)
		if rank > maxRank+1 {
			return nil, errf("layout dimensionality %d", rank)
		}
		if l.class != layoutCompact {
			l.addr = c.addr()
		}
		dims := make([]uint64, rank)
		for i := range dims {
			dims[i] = uint64(c.u32())
		}
		switch l.class {
		case layoutCompact:
			n := int(c.u32())
			l.compact = c.take(n)
		case layoutChunked:
			if rank > 0 {
				l.chunk = dims[:rank-1]
			}
		}
	case 3, 4:
		l.class = int(c.u8())
		switch l.class {
		case layoutCompact:
			n := int(c.u16())
			l.compact = c.take(n)
		case layoutContiguous:
			l.addr = c.addr()
			l.size = c.length()
			l.hasSize = true
		case layoutChunked:
			if err := f.decodeChunkedLayout(c, l); err != nil {
				return nil, err
			}
		case layoutVirtual:
			return nil, unsupportedf("virtual dataset layout")
		default:
			return nil, errf("layout class %d", l.class)
		}
	default:
		return nil, errf("data layout message version %d", l.version)
	}
	if c.err != nil {
		return nil, errf("%s layout: %v", l.className(), c.err)
	}
	return l, nil
}

func (f *File) decodeChunkedLayout(c *cursor, l *dataLayout) error {
	if l.version == 3 {
		rank := int(c.u8())
		if rank < 1 || rank > maxRank+1 {
			return errf("chunked layout dimensionality %d", rank)
		}
		l.addr = c.addr()
		l.chunk = make([]uint64, rank-1)
		for i := range l.chunk {
			l.chunk[i] = uint64(c.u32())
		}
		c.u32() // element size
		return nil
	}
	l.chunkFlags = c.u8()
	rank := int(c.u8())
	width := int(c.u8())
	if rank < 1 || rank > maxRank+1 || width < 1 || width > 8 {
		return errf("chunked layout dimensionality %d, size width %d", rank, width)
	}
	l.chunk = make([]uint64, rank-1)
	for i := range l.chunk {
		l.chunk[i] = c.uN(width)
	}
	c.uN(width) // element size
	l.chunkIndexType = int(c.u8())
	start := c.off
	switch l.chunkIndexType {
	case 1: // single chunk
		if l.chunkFlags&0x02 != 0 {
			c.length() // filtered chunk size
			c.u32()    // filter mask
		}
	case 2: // implicit
	case 3: // fixed array
		c.skip(1)
	case 4: // extensible array
		c.skip(5)
	case 5: // v2 B-tree
		c.skip(6)
	default:
		return errf("chunk index type %d", l.chunkIndexType)
	}
	if c.err == nil {
		l.indexInfo = c.b[start:c.off]
	}
	l.addr = c.addr()
	return nil
}
