package hdf5

import "bytes"

// fractalHeap is a decoded fractal heap (spec III.G): its header fields and
// the direct blocks found below its root, by heap offset.
type fractalHeap struct {
	addr        uint64
	idLen       int
	filterLen   int
	flags       uint8
	tableWidth  int
	startBlock  uint64
	maxDirect   uint64
	maxHeapBits int
	rootAddr    uint64
	rootRows    int
	offsetSize  int // bytes of a block offset and of a managed ID's offset
	lengthSize  int // bytes of a managed ID's length
	blocks      []heapBlock
}

type heapBlock struct {
	offset uint64 // heap offset of the block's first byte
	data   []byte // the whole block, header included
}

// fractalHeap returns the (cached) fractal heap at addr.
func (f *File) fractalHeap(addr uint64) (*fractalHeap, error) {
	f.mu.Lock()
	h, ok := f.fractalHeaps[addr]
	f.mu.Unlock()
	if ok {
		return h, nil
	}
	h, err := f.readFractalHeap(addr)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.fractalHeaps[addr] = h
	f.mu.Unlock()
	return h, nil
}

func (f *File) readFractalHeap(addr uint64) (*fractalHeap, error) {
	size := uint64(4 + 1 + 2 + 2 + 1 + 4 + 12*8 + 2 + 2 + 2 + 2 + 8 + 8 + 4 + 8 + 8 + 4)
	if avail := uint64(f.size) - min(uint64(f.size), f.base+addr); size > avail {
		size = avail
	}
	b, err := f.readAt(addr, size, "fractal heap header")
	if err != nil {
		return nil, err
	}
	if len(b) < 4 || !bytes.Equal(b[:4], []byte("FRHP")) {
		return nil, errf("fractal heap at address %d: bad signature", addr)
	}
	c := f.cursor(b)
	c.skip(5)
	h := &fractalHeap{addr: addr, idLen: int(c.u16()), filterLen: int(c.u16()), flags: c.u8()}
	maxManaged := uint64(c.u32())
	c.length() // next huge ID
	c.addr()   // huge objects B-tree
	c.length() // free space
	c.addr()   // free-space manager
	c.length() // managed space
	c.length() // allocated managed space
	c.length() // direct block allocation iterator
	c.length() // managed objects
	c.length() // huge objects size
	c.length() // huge objects count
	c.length() // tiny objects size
	c.length() // tiny objects count
	h.tableWidth = int(c.u16())
	h.startBlock = c.length()
	h.maxDirect = c.length()
	h.maxHeapBits = int(c.u16())
	c.u16() // starting rows of the root indirect block
	h.rootAddr = c.addr()
	h.rootRows = int(c.u16())
	if h.filterLen > 0 {
		return nil, unsupportedf("fractal heap with I/O filters")
	}
	end := c.off
	c.u32()
	if c.err != nil {
		return nil, errf("fractal heap header at address %d truncated", addr)
	}
	if err := checkSum(b[:end+4], "fractal heap header"); err != nil {
		return nil, err
	}
	if h.tableWidth == 0 || h.tableWidth > 1<<16 || h.startBlock == 0 || h.maxDirect < h.startBlock ||
		h.maxDirect > 1<<40 || h.maxHeapBits == 0 || h.maxHeapBits > 64 || h.idLen == 0 {
		return nil, errf("fractal heap at address %d: table width %d, block sizes %d..%d, %d offset bits",
			addr, h.tableWidth, h.startBlock, h.maxDirect, h.maxHeapBits)
	}
	h.offsetSize = (h.maxHeapBits + 7) / 8
	h.lengthSize = min(encSize(h.maxDirect), encSize(maxManaged))
	if h.rootAddr == undefinedAddress {
		return h, nil
	}
	if h.rootRows == 0 {
		err = h.addDirect(f, h.rootAddr, 0, h.startBlock)
	} else {
		err = h.addIndirect(f, h.rootAddr, 0, h.rootRows, map[uint64]bool{}, 0)
	}
	return h, err
}

// rowSize is the block size of a row of an indirect block.
func (h *fractalHeap) rowSize(row int) uint64 {
	if row <= 1 {
		return h.startBlock
	}
	return h.startBlock << uint(row-1)
}

// maxDirectRows is how many rows of an indirect block hold direct blocks.
func (h *fractalHeap) maxDirectRows() int {
	return log2(h.maxDirect) - log2(h.startBlock) + 2
}

func log2(n uint64) int {
	r := -1
	for n > 0 {
		r++
		n >>= 1
	}
	return r
}

func (h *fractalHeap) addDirect(f *File, addr, offset, size uint64) error {
	if len(h.blocks) > 1<<20 {
		return errf("fractal heap at address %d: too many direct blocks", h.addr)
	}
	b, err := f.readAt(addr, size, "fractal heap direct block")
	if err != nil {
		return err
	}
	if !bytes.Equal(b[:4], []byte("FHDB")) {
		return errf("fractal heap direct block at address %d: bad signature", addr)
	}
	h.blocks = append(h.blocks, heapBlock{offset: offset, data: b})
	return nil
}

func (h *fractalHeap) addIndirect(f *File, addr, offset uint64, rows int, visited map[uint64]bool, depth int) error {
	if visited[addr] || depth > 64 {
		return errf("fractal heap indirect block at address %d reached twice or too deep", addr)
	}
	visited[addr] = true
	if rows > 64 {
		return errf("fractal heap indirect block at address %d: %d rows", addr, rows)
	}
	directRows := min(rows, h.maxDirectRows())
	entries := rows * h.tableWidth
	size := uint64(4+1+f.sizeOff+h.offsetSize) + uint64(entries*f.sizeOff) + 4
	b, err := f.readAt(addr, size, "fractal heap indirect block")
	if err != nil {
		return err
	}
	if !bytes.Equal(b[:4], []byte("FHIB")) {
		return errf("fractal heap indirect block at address %d: bad signature", addr)
	}
	if err := checkSum(b, "fractal heap indirect block"); err != nil {
		return err
	}
	c := f.cursor(b)
	c.skip(5 + f.sizeOff + h.offsetSize)
	for row := 0; row < rows; row++ {
		for col := 0; col < h.tableWidth; col++ {
			child := c.addr()
			blockSize := h.rowSize(row)
			if child != undefinedAddress {
				var err error
				if row < directRows {
					err = h.addDirect(f, child, offset, blockSize)
				} else {
					// A child indirect block spans rowSize(row) bytes of heap.
					childRows := log2(blockSize) - log2(h.startBlock*uint64(h.tableWidth)) + 1
					err = h.addIndirect(f, child, offset, childRows, visited, depth+1)
				}
				if err != nil {
					return err
				}
			}
			offset += blockSize
		}
	}
	return c.err
}

// object returns the bytes a heap ID names: managed objects live in direct
// blocks, tiny ones inside the ID itself.
func (h *fractalHeap) object(id []byte) ([]byte, error) {
	if len(id) < 1 {
		return nil, errf("empty fractal heap ID")
	}
	switch kind := (id[0] >> 4) & 0x03; kind {
	case 0:
		c := &cursor{b: id[1:]}
		off := c.uN(h.offsetSize)
		n := c.uN(h.lengthSize)
		if c.err != nil {
			return nil, errf("fractal heap ID truncated")
		}
		for _, blk := range h.blocks {
			if off >= blk.offset && off-blk.offset < uint64(len(blk.data)) {
				start := off - blk.offset
				if n > uint64(len(blk.data))-start {
					return nil, errf("fractal heap object at offset %d, %d bytes, overruns its block", off, n)
				}
				return blk.data[start : start+n], nil
			}
		}
		return nil, errf("fractal heap has no block at offset %d", off)
	case 2:
		n := int(id[0]&0x0f) + 1
		if 1+n > len(id) {
			return nil, errf("tiny fractal heap object of %d bytes in a %d-byte ID", n, len(id))
		}
		return id[1 : 1+n], nil
	default:
		return nil, unsupportedf("huge fractal heap objects")
	}
}
