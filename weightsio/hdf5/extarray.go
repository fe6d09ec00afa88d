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
	r := &eaReader{f: f, ea: ea, blocks: map[uint64][]byte{}}
	return r.each(min(ea.maxIndexSet, inShape), func(i uint64, entry []byte) error {
		ref := d.decodeChunkEntry(f.cursor(entry), ea.client == 1, entrySize, g)
		ref.offset = make([]uint64, len(g.grid))
		rest := i
		for k := len(order) - 1; k >= 1; k-- {
			dim := order[k]
			ref.offset[dim] = rest % max(g.grid[dim], 1) * g.chunk[dim]
			rest /= max(g.grid[dim], 1)
		}
		ref.offset[unlimited] = rest * g.chunk[unlimited]
		return fn(ref)
	})
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
	blocks map[uint64][]byte
}

func (r *eaReader) prefix() int { return 4 + 2 + r.f.sizeOff }

// each calls fn with the index and bytes of every element below n that
// lies in an allocated block, skipping unallocated blocks whole so the work
// follows what the file holds, not the indexes it claims.
func (r *eaReader) each(n uint64, fn func(i uint64, entry []byte) error) error {
	f, ea := r.f, r.ea
	if ea.iblock == undefinedAddress || n == 0 {
		return nil
	}
	size := uint64(ea.elemSize)
	direct := 2 * log2(ea.sblockMinPt) // super blocks whose data blocks the index block lists
	ndirect := int(2 * (ea.sblockMinPt - 1))
	nsecondary := len(ea.sblocks) - direct
	if nsecondary < 0 {
		return errf("extensible array: %d super blocks", len(ea.sblocks))
	}
	blen := uint64(r.prefix()) + ea.iblockElems*size + uint64(ndirect+nsecondary)*uint64(f.sizeOff) + 4
	b, err := f.readAt(ea.iblock, blen, "extensible array index block")
	if err != nil {
		return err
	}
	if !bytes.Equal(b[:4], []byte("EAIB")) {
		return errf("extensible array index block: bad signature")
	}
	if err := checkSum(b, "extensible array index block"); err != nil {
		return err
	}
	c := f.cursor(b)
	c.skip(r.prefix())
	for i := uint64(0); i < ea.iblockElems && i < n; i++ {
		if err := fn(i, c.take(int(size))); err != nil {
			return err
		}
	}
	c.off = r.prefix() + int(ea.iblockElems*size)
	directAddrs := make([]uint64, ndirect)
	for k := range directAddrs {
		directAddrs[k] = c.addr()
	}
	secondary := make([]uint64, nsecondary)
	for k := range secondary {
		secondary[k] = c.addr()
	}
	if c.err != nil {
		return errf("extensible array index block: %v", c.err)
	}
	for u, sb := range ea.sblocks {
		first := ea.iblockElems + sb.startIndex
		if first >= n {
			return nil
		}
		if u >= direct && secondary[u-direct] == undefinedAddress {
			continue // the whole super block was never allocated
		}
		for k := uint64(0); k < sb.ndblocks && first+k*sb.dblockElems < n; k++ {
			var addr uint64
			switch {
			case u < direct:
				if sb.startDblock+k >= uint64(ndirect) {
					return errf("extensible array: data block %d beyond the index block", sb.startDblock+k)
				}
				addr = directAddrs[sb.startDblock+k]
			default:
				if addr, err = r.secondaryPointer(secondary[u-direct], sb, k); err != nil {
					return err
				}
			}
			start := first + k*sb.dblockElems
			if addr == undefinedAddress {
				continue
			}
			count := min(sb.dblockElems, n-start)
			for j := uint64(0); j < count; j++ {
				entry, err := r.dataBlockElement(addr, sb.dblockElems, j)
				if err != nil {
					return err
				}
				if err := fn(start+j, entry); err != nil {
					return err
				}
			}
		}
	}
	return nil
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
