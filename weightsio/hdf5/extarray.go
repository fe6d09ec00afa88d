package hdf5

import "bytes"

// extArray is a decoded extensible array header (spec III.H): the index of
// chunked datasets with one unlimited dimension.
type extArray struct {
	client      uint8
	elemSize    int
	maxBits     int
	iblockElems uint64
	dblockMin   uint64
	sblockMinPt uint64
	pageBits    int
	maxIndexSet uint64
	iblock      uint64
	// super blocks: data blocks and elements per data block, cumulative starts
	sblocks []eaSuperBlock
}

type eaSuperBlock struct {
	ndblocks, dblockElems, startIndex, startDblock uint64
}

// extensibleArrayChunks reads an extensible array chunk index: elements in
// the index block, then data blocks listed there, then data blocks reached
// through secondary blocks.
func (d *Dataset) extensibleArrayChunks(g *chunkGrid, fn func(chunkRef) error) error {
	f := d.f
	ea, err := f.readExtArrayHeader(d.layout.addr)
	if err != nil {
		return err
	}
	unlimited := -1
	for i, m := range d.maxShape {
		if m < 0 {
			unlimited = i
			break
		}
	}
	if unlimited < 0 {
		return errf("extensible array index without an unlimited dimension")
	}
	entrySize := ea.elemSize
	if entrySize < f.sizeOff || (ea.client == 1 && entrySize < f.sizeOff+5) || entrySize > f.sizeOff+12 {
		return errf("extensible array entries of %d bytes", entrySize)
	}
	// Chunks are numbered row-major with the unlimited dimension moved first.
	order := []int{unlimited}
	others := uint64(1)
	for i := range g.grid {
		if i != unlimited {
			order = append(order, i)
			others *= max(g.grid[i], 1)
		}
	}
	inShape := (g.shape[unlimited] + g.chunk[unlimited] - 1) / g.chunk[unlimited] * others
	n := min(ea.maxIndexSet, inShape)
	r := &eaReader{f: f, ea: ea, blocks: map[uint64][]byte{}}
	for i := uint64(0); i < n; i++ {
		entry, err := r.element(i)
		if err != nil {
			return err
		}
		if entry == nil {
			continue
		}
		ref := d.decodeChunkEntry(f.cursor(entry), ea.client == 1, entrySize, g)
		ref.offset = make([]uint64, len(g.grid))
		rest := i
		for k := len(order) - 1; k >= 1; k-- {
			dim := order[k]
			ref.offset[dim] = rest % max(g.grid[dim], 1) * g.chunk[dim]
			rest /= max(g.grid[dim], 1)
		}
		ref.offset[unlimited] = rest * g.chunk[unlimited]
		if err := fn(ref); err != nil {
			return err
		}
	}
	return nil
}

func (f *File) readExtArrayHeader(addr uint64) (*extArray, error) {
	b, err := f.readAt(addr, uint64(12+6*f.sizeLen+f.sizeOff+4), "extensible array header")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(b[:4], []byte("EAHD")) {
		return nil, errf("extensible array header: bad signature %q", b[:4])
	}
	if err := checkSum(b, "extensible array header"); err != nil {
		return nil, err
	}
	c := f.cursor(b)
	c.skip(5)
	ea := &extArray{client: c.u8(), elemSize: int(c.u8()), maxBits: int(c.u8()), iblockElems: uint64(c.u8()),
		dblockMin: uint64(c.u8()), sblockMinPt: uint64(c.u8()), pageBits: int(c.u8())}
	for i := 0; i < 4; i++ {
		c.length() // statistics
	}
	ea.maxIndexSet = c.length()
	c.length() // elements realized
	ea.iblock = c.addr()
	if ea.maxBits == 0 || ea.maxBits > 64 || ea.dblockMin == 0 || ea.sblockMinPt == 0 || ea.elemSize == 0 ||
		ea.dblockMin&(ea.dblockMin-1) != 0 || ea.sblockMinPt&(ea.sblockMinPt-1) != 0 || ea.pageBits > 32 ||
		log2(ea.dblockMin) > ea.maxBits {
		return nil, errf("extensible array header: parameters %+v", *ea)
	}
	// Super block u holds 2^(u/2) data blocks of 2^((u+1)/2) * dblockMin elements.
	nsblocks := 1 + ea.maxBits - log2(ea.dblockMin)
	var start, startDblock uint64
	for u := 0; u < nsblocks && u < 128; u++ {
		sb := eaSuperBlock{ndblocks: 1 << uint(u/2), dblockElems: (1 << uint((u+1)/2)) * ea.dblockMin, startIndex: start, startDblock: startDblock}
		ea.sblocks = append(ea.sblocks, sb)
		start += sb.ndblocks * sb.dblockElems
		startDblock += sb.ndblocks
	}
	return ea, nil
}

// eaReader finds elements, caching the blocks it has read.
type eaReader struct {
	f      *File
	ea     *extArray
	iblock []byte
	blocks map[uint64][]byte
	// index block layout
	iblockDblocks, iblockSblocks int
}

func (r *eaReader) prefix() int { return 4 + 2 + r.f.sizeOff }

// element returns the bytes of element i, or nil when its block was never
// allocated.
func (r *eaReader) element(i uint64) ([]byte, error) {
	f, ea := r.f, r.ea
	size := uint64(ea.elemSize)
	if r.iblock == nil {
		if ea.iblock == undefinedAddress {
			return nil, nil
		}
		r.iblockDblocks = int(2 * (ea.sblockMinPt - 1))
		r.iblockSblocks = len(ea.sblocks) - 2*log2(ea.sblockMinPt)
		if r.iblockSblocks < 0 {
			return nil, errf("extensible array: %d super blocks", len(ea.sblocks))
		}
		n := uint64(r.prefix()) + ea.iblockElems*size + uint64(r.iblockDblocks+r.iblockSblocks)*uint64(f.sizeOff) + 4
		b, err := f.readAt(ea.iblock, n, "extensible array index block")
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(b[:4], []byte("EAIB")) {
			return nil, errf("extensible array index block: bad signature")
		}
		if err := checkSum(b, "extensible array index block"); err != nil {
			return nil, err
		}
		r.iblock = b
	}
	if i < ea.iblockElems {
		at := uint64(r.prefix()) + i*size
		return r.iblock[at : at+size], nil
	}
	i -= ea.iblockElems
	u := 0
	for u < len(ea.sblocks) && i >= ea.sblocks[u].startIndex+ea.sblocks[u].ndblocks*ea.sblocks[u].dblockElems {
		u++
	}
	if u == len(ea.sblocks) {
		return nil, errf("extensible array element %d beyond its super blocks", i)
	}
	sb := ea.sblocks[u]
	dblock := (i - sb.startIndex) / sb.dblockElems
	within := (i - sb.startIndex) % sb.dblockElems
	ptrs := r.iblock[uint64(r.prefix())+ea.iblockElems*size:]
	c := f.cursor(ptrs)
	var addr uint64
	if u < 2*log2(ea.sblockMinPt) {
		c.skip(int(sb.startDblock+dblock) * f.sizeOff)
		addr = c.addr()
	} else {
		c.skip((r.iblockDblocks + u - 2*log2(ea.sblockMinPt)) * f.sizeOff)
		sblock := c.addr()
		if c.err != nil {
			return nil, errf("extensible array index block truncated")
		}
		if sblock == undefinedAddress {
			return nil, nil
		}
		var err error
		if addr, err = r.secondaryPointer(sblock, sb, dblock); err != nil {
			return nil, err
		}
	}
	if c.err != nil {
		return nil, errf("extensible array index block truncated")
	}
	if addr == undefinedAddress {
		return nil, nil
	}
	return r.dataBlockElement(addr, sb.dblockElems, within)
}

func (r *eaReader) offsetSize() int { return (r.ea.maxBits + 7) / 8 }

// paged reports whether data blocks of n elements are split in pages.
func (r *eaReader) paged(n uint64) bool { return n > 1<<uint(r.ea.pageBits) }

func (r *eaReader) secondaryPointer(addr uint64, sb eaSuperBlock, dblock uint64) (uint64, error) {
	f := r.f
	b, ok := r.blocks[addr]
	if !ok {
		bitmap := uint64(0)
		if r.paged(sb.dblockElems) {
			pages := sb.dblockElems >> uint(r.ea.pageBits)
			bitmap = (sb.ndblocks*pages + 7) / 8
		}
		n := uint64(r.prefix()+r.offsetSize()) + bitmap + sb.ndblocks*uint64(f.sizeOff) + 4
		var err error
		if b, err = f.readAt(addr, n, "extensible array secondary block"); err != nil {
			return 0, err
		}
		if !bytes.Equal(b[:4], []byte("EASB")) {
			return 0, errf("extensible array secondary block: bad signature")
		}
		if err := checkSum(b, "extensible array secondary block"); err != nil {
			return 0, err
		}
		b = b[uint64(r.prefix()+r.offsetSize())+bitmap : len(b)-4]
		r.blocks[addr] = b
	}
	c := f.cursor(b)
	c.skip(int(dblock) * f.sizeOff)
	a := c.addr()
	if c.err != nil {
		return 0, errf("extensible array secondary block truncated")
	}
	return a, nil
}

func (r *eaReader) dataBlockElement(addr, nelems, within uint64) ([]byte, error) {
	f := r.f
	size := uint64(r.ea.elemSize)
	head := uint64(r.prefix() + r.offsetSize())
	if !r.paged(nelems) {
		b, ok := r.blocks[addr]
		if !ok {
			var err error
			if b, err = f.readAt(addr, head+nelems*size+4, "extensible array data block"); err != nil {
				return nil, err
			}
			if !bytes.Equal(b[:4], []byte("EADB")) {
				return nil, errf("extensible array data block: bad signature")
			}
			if err := checkSum(b, "extensible array data block"); err != nil {
				return nil, err
			}
			r.blocks[addr] = b
		}
		at := head + within*size
		return b[at : at+size], nil
	}
	pageElems := uint64(1) << uint(r.ea.pageBits)
	page := within / pageElems
	pageAddr := addr + head + 4 + page*(pageElems*size+4)
	b, ok := r.blocks[pageAddr]
	if !ok {
		var err error
		if b, err = f.readAt(pageAddr, pageElems*size+4, "extensible array data block page"); err != nil {
			return nil, err
		}
		if err := checkSum(b, "extensible array data block page"); err != nil {
			return nil, err
		}
		r.blocks[pageAddr] = b
	}
	at := within % pageElems * size
	return b[at : at+size], nil
}
