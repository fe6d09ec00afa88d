package hdf5

import "bytes"

// fixedArrayChunks reads a fixed array index ("FAHD" header, "FADB" data
// block, optionally split in pages): one entry per chunk, in grid order.
func (d *Dataset) fixedArrayChunks(g *chunkGrid, fn func(chunkRef) error) error {
	f := d.f
	hdr, err := f.readAt(d.layout.addr, uint64(4+4+f.sizeLen+f.sizeOff+4), "fixed array header")
	if err != nil {
		return err
	}
	if !bytes.Equal(hdr[:4], []byte("FAHD")) {
		return errf("fixed array header: bad signature %q", hdr[:4])
	}
	if err := checkSum(hdr, "fixed array header"); err != nil {
		return err
	}
	c := f.cursor(hdr)
	c.skip(5)
	client := c.u8()
	entrySize := int(c.u8())
	pageBits := int(c.u8())
	n := c.length()
	block := c.addr()
	if entrySize < f.sizeOff || (client == 1 && entrySize < f.sizeOff+5) || entrySize > f.sizeOff+12 || pageBits > 32 {
		return errf("fixed array: entry size %d, page bits %d", entrySize, pageBits)
	}
	if n > g.gridCount() || n > uint64(f.size)/uint64(entrySize) {
		return errf("fixed array of %d entries for %d chunks", n, g.gridCount())
	}
	if block == undefinedAddress {
		return nil
	}
	prefix := uint64(4 + 2 + f.sizeOff)
	head, err := f.readAt(block, prefix, "fixed array data block")
	if err != nil {
		return err
	}
	if !bytes.Equal(head[:4], []byte("FADB")) {
		return errf("fixed array data block: bad signature %q", head[:4])
	}
	pageSize := uint64(1) << uint(pageBits)
	var entries []byte
	if n <= pageSize {
		b, err := f.readAt(block, prefix+n*uint64(entrySize)+4, "fixed array data block")
		if err != nil {
			return err
		}
		if err := checkSum(b, "fixed array data block"); err != nil {
			return err
		}
		entries = b[prefix : len(b)-4]
	} else {
		pages := (n + pageSize - 1) / pageSize
		bitmap := (pages + 7) / 8
		at := block + prefix + bitmap + 4
		for p := uint64(0); p < pages; p++ {
			count := min(pageSize, n-p*pageSize)
			b, err := f.readAt(at, count*uint64(entrySize)+4, "fixed array page")
			if err != nil {
				return err
			}
			if err := checkSum(b, "fixed array page"); err != nil {
				return err
			}
			entries = append(entries, b[:len(b)-4]...)
			at += pageSize*uint64(entrySize) + 4
		}
	}
	ec := f.cursor(entries)
	for i := uint64(0); i < n; i++ {
		ref := d.decodeChunkEntry(ec, client == 1, entrySize, g)
		if ec.err != nil {
			return errf("fixed array entries truncated")
		}
		ref.offset = g.linearOffset(i)
		if err := fn(ref); err != nil {
			return err
		}
	}
	return nil
}

// btree2Chunks reads a v2 B-tree chunk index: records of type 10 (address,
// scaled offsets) or 11 (address, size, filter mask, scaled offsets).
func (d *Dataset) btree2Chunks(g *chunkGrid, fn func(chunkRef) error) error {
	t, err := d.f.readBtree2(d.layout.addr)
	if err != nil {
		return err
	}
	rank := len(g.shape)
	filtered := t.typ == 11
	if t.typ != 10 && t.typ != 11 {
		return errf("chunk index B-tree of type %d", t.typ)
	}
	entrySize := t.recordSize - 8*rank
	if entrySize < d.f.sizeOff || (filtered && entrySize < d.f.sizeOff+5) || (filtered && entrySize > d.f.sizeOff+12) {
		return errf("chunk index B-tree records of %d bytes for rank %d", t.recordSize, rank)
	}
	return d.f.btree2Records(t, func(rec []byte) error {
		c := d.f.cursor(rec)
		ref := d.decodeChunkEntry(c, filtered, entrySize, g)
		for i := 0; i < rank; i++ {
			scaled := c.uN(8)
			if scaled > 1<<40 {
				return errf("chunk index record with scaled offset %d", scaled)
			}
			ref.offset = append(ref.offset, scaled*g.chunk[i])
		}
		if c.err != nil {
			return errf("chunk index record: %v", c.err)
		}
		return fn(ref)
	})
}
