package hdf5

import "bytes"

// btree2 is a version-2 B-tree header (spec III.A.2), enough to visit every
// record in order.
type btree2 struct {
	addr       uint64
	typ        uint8
	nodeSize   uint32
	recordSize int
	depth      int
	root       uint64
	rootRecs   int
	// per depth: bytes of the "number of records" and "total records" fields
	maxNrecSize int
	cumSize     []int
}

// btree2Prefix is signature, version, type and checksum of every node.
const btree2Prefix = 10

func (f *File) readBtree2(addr uint64) (*btree2, error) {
	size := uint64(4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + f.sizeOff + 2 + f.sizeLen + 4)
	b, err := f.readAt(addr, size, "v2 B-tree header")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(b[:4], []byte("BTHD")) {
		return nil, errf("v2 B-tree header at address %d: bad signature %q", addr, b[:4])
	}
	if err := checkSum(b, "v2 B-tree header"); err != nil {
		return nil, err
	}
	c := f.cursor(b)
	c.skip(5)
	t := &btree2{addr: addr, typ: c.u8(), nodeSize: c.u32(), recordSize: int(c.u16()), depth: int(c.u16())}
	c.skip(2)
	t.root = c.addr()
	t.rootRecs = int(c.u16())
	if t.recordSize == 0 || t.nodeSize <= btree2Prefix || uint64(t.nodeSize) > uint64(f.size) || t.depth > maxBtreeLevel {
		return nil, errf("v2 B-tree at address %d: node size %d, record size %d, depth %d", addr, t.nodeSize, t.recordSize, t.depth)
	}
	// Field widths, as libhdf5's H5B2__hdr_init derives them.
	leafMax := uint64(t.nodeSize-btree2Prefix) / uint64(t.recordSize)
	t.maxNrecSize = encSize(leafMax)
	cum := []uint64{leafMax}
	t.cumSize = []int{0}
	for d := 1; d <= t.depth; d++ {
		ptr := uint64(f.sizeOff + t.maxNrecSize)
		if d > 1 {
			ptr += uint64(t.cumSize[d-1])
		}
		if uint64(t.nodeSize-btree2Prefix) < ptr {
			return nil, errf("v2 B-tree at address %d: nodes too small for depth %d", addr, t.depth)
		}
		max := (uint64(t.nodeSize-btree2Prefix) - ptr) / (uint64(t.recordSize) + ptr)
		next := (max+1)*cum[d-1] + max
		if next < cum[d-1] { // overflow: absurd depth
			return nil, errf("v2 B-tree at address %d: depth %d", addr, t.depth)
		}
		cum = append(cum, next)
		t.cumSize = append(t.cumSize, encSize(next))
	}
	return t, nil
}

// encSize is the bytes needed to encode n (H5VM_limit_enc_size).
func encSize(n uint64) int {
	bits := 0
	for n > 0 {
		bits++
		n >>= 1
	}
	if bits == 0 {
		return 1
	}
	return (bits-1)/8 + 1
}

// records calls fn with every record of the tree, in key order.
func (f *File) btree2Records(t *btree2, fn func(rec []byte) error) error {
	if t.root == undefinedAddress || t.rootRecs == 0 {
		return nil
	}
	visited := map[uint64]bool{}
	var visit func(addr uint64, nrec, depth int) error
	visit = func(addr uint64, nrec, depth int) error {
		if visited[addr] {
			return errf("v2 B-tree node at address %d reached twice (cycle)", addr)
		}
		visited[addr] = true
		b, err := f.readAt(addr, uint64(t.nodeSize), "v2 B-tree node")
		if err != nil {
			return err
		}
		sig := "BTLF"
		if depth > 0 {
			sig = "BTIN"
		}
		if !bytes.Equal(b[:4], []byte(sig)) {
			return errf("v2 B-tree node at address %d: signature %q, want %s", addr, b[:4], sig)
		}
		c := f.cursor(b)
		c.skip(6)
		records := c.take(nrec * t.recordSize)
		if c.err != nil {
			return errf("v2 B-tree node at address %d: %d records overrun it", addr, nrec)
		}
		// The checksum covers the used part of the node.
		type child struct {
			addr uint64
			nrec int
		}
		var children []child
		if depth > 0 {
			for i := 0; i <= nrec; i++ {
				ch := child{addr: c.addr(), nrec: int(c.uN(t.maxNrecSize))}
				if depth > 1 {
					c.uN(t.cumSize[depth-1])
				}
				children = append(children, ch)
			}
		}
		if c.err != nil {
			return errf("v2 B-tree node at address %d: %v", addr, c.err)
		}
		if err := checkSum(b[:c.off+4], "v2 B-tree node"); err != nil {
			return err
		}
		for i := 0; i <= nrec; i++ {
			if depth > 0 {
				if err := visit(children[i].addr, children[i].nrec, depth-1); err != nil {
					return err
				}
			}
			if i < nrec {
				if err := fn(records[i*t.recordSize : (i+1)*t.recordSize]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return visit(t.root, t.rootRecs, t.depth)
}
