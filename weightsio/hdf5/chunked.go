package hdf5

import "encoding/binary"

// chunkRef is one stored chunk: where it is, its size on disk, the filters
// skipped for it (bit i: filter i), and its first element's coordinates.
type chunkRef struct {
	addr   uint64
	size   uint64
	mask   uint32
	offset []uint64
}

// chunkGrid describes how a dataset is cut into chunks.
type chunkGrid struct {
	shape, chunk []uint64
	// grid is the number of chunks per dimension over the maximum
	// dimensions (unlimited ones: the current size), as the v4 indexes
	// number chunks.
	grid       []uint64
	elem       int
	chunkBytes uint64
}

func (d *Dataset) chunkGrid() (*chunkGrid, error) {
	l := d.layout
	rank := len(d.Shape)
	if len(l.chunk) != rank || rank == 0 {
		return nil, errf("chunk rank %d for a dataset of rank %d", len(l.chunk), rank)
	}
	g := &chunkGrid{elem: d.Type.Size, chunkBytes: uint64(d.Type.Size)}
	for i, c := range l.chunk {
		if c == 0 || c > 1<<32 {
			return nil, errf("chunk dimension %d is %d", i, c)
		}
		g.chunk = append(g.chunk, c)
		g.shape = append(g.shape, uint64(d.Shape[i]))
		if g.chunkBytes > uint64(d.f.maxData())/c {
			return nil, errf("chunks of more than %d bytes", d.f.maxData())
		}
		g.chunkBytes *= c
		extent := uint64(d.Shape[i])
		if d.maxShape != nil && d.maxShape[i] > d.Shape[i] {
			extent = uint64(d.maxShape[i])
		}
		g.grid = append(g.grid, (extent+c-1)/c)
	}
	return g, nil
}

// linearOffset turns a chunk number (row-major over the grid) into element
// coordinates.
func (g *chunkGrid) linearOffset(n uint64) []uint64 {
	off := make([]uint64, len(g.grid))
	for i := len(g.grid) - 1; i >= 0; i-- {
		if g.grid[i] == 0 {
			return nil
		}
		off[i] = n % g.grid[i] * g.chunk[i]
		n /= g.grid[i]
	}
	return off
}

// gridCount is the number of chunks in the grid, saturating.
func (g *chunkGrid) gridCount() uint64 {
	n := uint64(1)
	for _, x := range g.grid {
		if x != 0 && n > (1<<62)/x {
			return 1 << 62
		}
		n *= x
	}
	return n
}

// readChunked assembles a chunked dataset's size bytes; chunks never written
// read as the fill value.
func (d *Dataset) readChunked(size int) ([]byte, error) {
	g, err := d.chunkGrid()
	if err != nil {
		return nil, err
	}
	out := make([]byte, size)
	if d.fill != nil {
		fill(out, d.fill, 0)
	}
	if size == 0 || d.layout.addr == undefinedAddress {
		return out, nil
	}
	// Each chunk position is decoded once, which bounds the work by the
	// dataset's size however many index entries point at it.
	done := map[string]bool{}
	err = d.chunkRefs(g, func(ref chunkRef) error {
		if ref.addr == undefinedAddress || !g.inside(ref.offset) {
			return nil
		}
		key := offsetKey(ref.offset)
		if done[key] {
			return nil
		}
		done[key] = true
		data, err := d.readChunk(ref, g)
		if err != nil {
			return errf("chunk at %v: %v", ref.offset, err)
		}
		g.copyChunk(out, data, ref.offset)
		return nil
	})
	return out, err
}

func offsetKey(off []uint64) string {
	b := make([]byte, 0, 8*len(off))
	for _, x := range off {
		b = binary.LittleEndian.AppendUint64(b, x)
	}
	return string(b)
}

// inside reports a chunk that starts on the grid within the current shape.
func (g *chunkGrid) inside(off []uint64) bool {
	if len(off) != len(g.shape) {
		return false
	}
	for i, o := range off {
		if o%g.chunk[i] != 0 || o >= g.shape[i] {
			return false
		}
	}
	return true
}

// copyChunk copies the part of a decoded chunk inside the dataset to out.
func (g *chunkGrid) copyChunk(out, data []byte, off []uint64) {
	rank := len(g.shape)
	// extent of the chunk inside the dataset, per dimension
	ext := make([]uint64, rank)
	for i := range ext {
		ext[i] = min(g.chunk[i], g.shape[i]-off[i])
	}
	run := int(ext[rank-1]) * g.elem
	idx := make([]uint64, rank) // position inside the chunk; last stays 0
	for {
		var src, dst uint64
		for i := 0; i < rank; i++ {
			src = src*g.chunk[i] + idx[i]
			dst = dst*g.shape[i] + off[i] + idx[i]
		}
		src *= uint64(g.elem)
		dst *= uint64(g.elem)
		copy(out[dst:dst+uint64(run)], data[src:src+uint64(run)])
		i := rank - 2
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < ext[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// readChunk reads one chunk and undoes its filters.
func (d *Dataset) readChunk(ref chunkRef, g *chunkGrid) ([]byte, error) {
	filtered := false
	for i := range d.filters {
		filtered = filtered || i >= 32 || ref.mask&(1<<uint(i)) == 0
	}
	// Bound what one chunk may read from the file, so that an index pointing
	// many chunks at one large block cannot multiply the work: unfiltered
	// chunks are exactly chunkBytes, filtered ones a little more at most.
	switch {
	case !filtered && ref.size < g.chunkBytes:
		return nil, errf("unfiltered chunk of %d bytes, want %d", ref.size, g.chunkBytes)
	case !filtered:
		ref.size = g.chunkBytes
	case ref.size > g.chunkBytes+g.chunkBytes/2+64:
		return nil, errf("filtered chunk of %d bytes for %d bytes of data", ref.size, g.chunkBytes)
	}
	data, err := d.f.readAt(ref.addr, ref.size, "chunk")
	if err != nil {
		return nil, err
	}
	for i := len(d.filters) - 1; i >= 0; i-- {
		if i < 32 && ref.mask&(1<<uint(i)) != 0 {
			continue
		}
		if data, err = d.filters[i].decode(data, g); err != nil {
			return nil, err
		}
	}
	if uint64(len(data)) < g.chunkBytes {
		return nil, errf("chunk holds %d bytes, want %d", len(data), g.chunkBytes)
	}
	return data, nil
}

// chunkRefs calls fn for every chunk the dataset's index lists.
func (d *Dataset) chunkRefs(g *chunkGrid, fn func(chunkRef) error) error {
	l := d.layout
	if l.version < 4 {
		return d.f.btreeV1Chunks(l.addr, len(g.shape), fn)
	}
	switch l.chunkIndexType {
	case 1: // single chunk
		ref := chunkRef{addr: l.addr, size: g.chunkBytes, offset: make([]uint64, len(g.shape))}
		if l.chunkFlags&0x02 != 0 {
			c := d.f.cursor(l.indexInfo)
			ref.size = c.length()
			ref.mask = c.u32()
			if c.err != nil {
				return errf("single-chunk index truncated")
			}
		}
		return fn(ref)
	case 2: // implicit: every chunk, in order, unfiltered
		n := g.gridCount()
		if n > uint64(d.f.size)/max(g.chunkBytes, 1)+1 {
			return errf("implicit index of %d chunks of %d bytes in a %d-byte file", n, g.chunkBytes, d.f.size)
		}
		for i := uint64(0); i < n; i++ {
			if err := fn(chunkRef{addr: l.addr + i*g.chunkBytes, size: g.chunkBytes, offset: g.linearOffset(i)}); err != nil {
				return err
			}
		}
		return nil
	case 3:
		return d.fixedArrayChunks(g, fn)
	case 4:
		return d.extensibleArrayChunks(g, fn)
	case 5:
		return d.btree2Chunks(g, fn)
	}
	return errf("chunk index type %d", l.chunkIndexType)
}

// btreeV1Chunks walks a version-1 B-tree of type 1 (layout versions 1-3):
// each key holds the chunk's size, filter mask and element offsets.
func (f *File) btreeV1Chunks(root uint64, rank int, fn func(chunkRef) error) error {
	keySize := 8 + 8*(rank+1)
	visited := map[uint64]bool{}
	var walk func(addr uint64, wantLevel int) error
	walk = func(addr uint64, wantLevel int) error {
		if visited[addr] {
			return errf("chunk B-tree node at address %d reached twice (cycle)", addr)
		}
		visited[addr] = true
		level, keys, children, err := f.btreeV1Node(addr, 1, keySize)
		if err != nil {
			return err
		}
		if wantLevel >= 0 && level != wantLevel {
			return errf("chunk B-tree node at address %d has level %d, want %d", addr, level, wantLevel)
		}
		for i, child := range children {
			if level > 0 {
				if err := walk(child, level-1); err != nil {
					return err
				}
				continue
			}
			c := f.cursor(keys[i])
			ref := chunkRef{addr: child, size: uint64(c.u32()), mask: c.u32()}
			for j := 0; j < rank; j++ {
				ref.offset = append(ref.offset, c.uN(8))
			}
			if err := fn(ref); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root, -1)
}

// decodeChunkEntry decodes an index entry: the chunk address, and for
// filtered chunks (client 1) its size and filter mask.
func (d *Dataset) decodeChunkEntry(c *cursor, filtered bool, entrySize int, g *chunkGrid) chunkRef {
	ref := chunkRef{addr: c.addr(), size: g.chunkBytes}
	if filtered {
		ref.size = c.uN(entrySize - d.f.sizeOff - 4)
		ref.mask = c.u32()
	}
	return ref
}
