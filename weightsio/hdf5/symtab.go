package hdf5

import "bytes"

// symbolEntry is a symbol table entry: a name in the local heap and the
// object header it points to.
type symbolEntry struct {
	nameOffset uint64
	header     uint64
	cacheType  uint32
	scratch    []byte
}

func (f *File) decodeSymbolEntry(c *cursor) symbolEntry {
	e := symbolEntry{nameOffset: c.length(), header: c.addr(), cacheType: c.u32()}
	c.skip(4)
	e.scratch = c.take(16)
	return e
}

// maxBtreeLevel bounds a v1 B-tree's height; real files have 0 to 3 levels.
const maxBtreeLevel = 64

// symbolTableLinks lists a symbol-table group's links: the v1 B-tree (type 0)
// leads to symbol nodes, whose entries name objects through the local heap.
func (f *File) symbolTableLinks(msg []byte) ([]Link, error) {
	c := f.cursor(msg)
	btree := c.addr()
	heapAddr := c.addr()
	if c.err != nil {
		return nil, errf("symbol table message truncated")
	}
	heap, err := f.localHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	var links []Link
	visited := map[uint64]bool{}
	var walk func(addr uint64, wantLevel int) error
	walk = func(addr uint64, wantLevel int) error {
		if visited[addr] {
			return errf("group B-tree node at address %d reached twice (cycle)", addr)
		}
		visited[addr] = true
		level, _, children, err := f.btreeV1Node(addr, 0, 0)
		if err != nil {
			return err
		}
		if wantLevel >= 0 && level != wantLevel {
			return errf("group B-tree node at address %d has level %d, want %d", addr, level, wantLevel)
		}
		for _, child := range children {
			if level == 0 {
				if err := f.symbolNode(child, heap, &links); err != nil {
					return err
				}
				continue
			}
			if err := walk(child, level-1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(btree, -1); err != nil {
		return nil, err
	}
	return links, nil
}

// btreeV1Node reads one v1 B-tree node of the given type and returns its
// level, keys (key i precedes child i) and child addresses. keySize is 0 for
// group nodes (a heap offset) and 8 + 8*(rank+1) for chunk nodes.
func (f *File) btreeV1Node(addr uint64, nodeType uint8, keySize int) (int, [][]byte, []uint64, error) {
	headLen := uint64(8 + 2*f.sizeOff)
	head, err := f.readAt(addr, headLen, "B-tree node")
	if err != nil {
		return 0, nil, nil, err
	}
	if !bytes.Equal(head[:4], []byte("TREE")) {
		return 0, nil, nil, errf("B-tree node at address %d: bad signature %q", addr, head[:4])
	}
	if head[4] != nodeType {
		return 0, nil, nil, errf("B-tree node at address %d has type %d, want %d", addr, head[4], nodeType)
	}
	level := int(head[5])
	if level > maxBtreeLevel {
		return 0, nil, nil, errf("B-tree node at address %d: level %d", addr, level)
	}
	entries := uint64(head[6]) | uint64(head[7])<<8
	if keySize == 0 {
		keySize = f.sizeLen
	}
	body, err := f.readAt(addr+headLen, entries*uint64(keySize+f.sizeOff)+uint64(keySize), "B-tree node entries")
	if err != nil {
		return 0, nil, nil, err
	}
	c := f.cursor(body)
	keys := make([][]byte, entries)
	children := make([]uint64, entries)
	for i := range children {
		keys[i] = c.take(keySize)
		children[i] = c.addr()
	}
	if c.err != nil {
		return 0, nil, nil, errf("B-tree node at address %d: %v", addr, c.err)
	}
	return level, keys, children, nil
}

// symbolNode appends the entries of one "SNOD" symbol node.
func (f *File) symbolNode(addr uint64, heap []byte, links *[]Link) error {
	head, err := f.readAt(addr, 8, "symbol table node")
	if err != nil {
		return err
	}
	if !bytes.Equal(head[:4], []byte("SNOD")) {
		return errf("symbol table node at address %d: bad signature %q", addr, head[:4])
	}
	n := uint64(head[6]) | uint64(head[7])<<8
	entrySize := uint64(2*f.sizeOff + 24)
	body, err := f.readAt(addr+8, n*entrySize, "symbol table node entries")
	if err != nil {
		return err
	}
	c := f.cursor(body)
	for i := uint64(0); i < n; i++ {
		e := f.decodeSymbolEntry(c)
		if c.err != nil {
			return errf("symbol table node at address %d: %v", addr, c.err)
		}
		name, err := heapString(heap, e.nameOffset)
		if err != nil {
			return errf("symbol table node at address %d: %v", addr, err)
		}
		link := Link{Name: name, addr: e.header}
		if e.cacheType == 2 { // soft link: the scratch pad holds the target's heap offset
			off := uint64(e.scratch[0]) | uint64(e.scratch[1])<<8 | uint64(e.scratch[2])<<16 | uint64(e.scratch[3])<<24
			if link.SoftTarget, err = heapString(heap, off); err != nil {
				return errf("soft link %q: %v", name, err)
			}
			link.addr = undefinedAddress
		}
		*links = append(*links, link)
	}
	return nil
}

// localHeap returns the data segment of the local heap at addr.
func (f *File) localHeap(addr uint64) ([]byte, error) {
	f.mu.Lock()
	data, ok := f.localHeaps[addr]
	f.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err := f.readLocalHeap(addr)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.localHeaps[addr] = data
	f.mu.Unlock()
	return data, nil
}

func (f *File) readLocalHeap(addr uint64) ([]byte, error) {
	head, err := f.readAt(addr, uint64(8+2*f.sizeLen+f.sizeOff), "local heap")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(head[:4], []byte("HEAP")) {
		return nil, errf("local heap at address %d: bad signature %q", addr, head[:4])
	}
	c := f.cursor(head)
	c.skip(8)
	size := c.length()
	c.length() // free list head
	data := c.addr()
	return f.readAt(data, size, "local heap data segment")
}

// heapString reads a NUL-terminated name at off in a local heap.
func heapString(heap []byte, off uint64) (string, error) {
	if off >= uint64(len(heap)) {
		return "", errf("name offset %d outside the %d-byte local heap", off, len(heap))
	}
	b := heap[off:]
	i := indexNUL(b)
	if i < 0 {
		return "", errf("unterminated name at local heap offset %d", off)
	}
	return string(b[:i]), nil
}
