package hdf5

import "bytes"

// globalHeap is one decoded global heap collection: object index -> bytes.
type globalHeap struct {
	objects map[uint16][]byte
}

// globalHeapAt reads (or returns the cached) collection at addr.
func (f *File) globalHeapAt(addr uint64) (*globalHeap, error) {
	f.mu.Lock()
	h, ok := f.gheaps[addr]
	f.mu.Unlock()
	if ok {
		return h, nil
	}
	head, err := f.readAt(addr, uint64(8+f.sizeLen), "global heap collection")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(head[:4], []byte("GCOL")) {
		return nil, errf("global heap collection at address %d: bad signature %q", addr, head[:4])
	}
	c := f.cursor(head)
	c.skip(8)
	size := c.length()
	if size < uint64(len(head)) {
		return nil, errf("global heap collection at address %d: size %d", addr, size)
	}
	b, err := f.readAt(addr, size, "global heap collection")
	if err != nil {
		return nil, err
	}
	h = &globalHeap{objects: map[uint16][]byte{}}
	c = f.cursor(b)
	c.skip(len(head))
	// Each object: index, reference count, reserved, size, data padded to 8.
	for c.remaining() >= 8+f.sizeLen {
		index := c.u16()
		c.skip(6)
		n := c.length()
		if index == 0 { // free space: the rest of the collection
			break
		}
		if n > uint64(c.remaining()) {
			return nil, errf("global heap collection at address %d: object %d of %d bytes overruns it", addr, index, n)
		}
		h.objects[index] = c.take(int(n))
		c.align(8)
		c.err = nil
	}
	f.mu.Lock()
	f.gheaps[addr] = h
	f.mu.Unlock()
	return h, nil
}

// readVarString decodes one variable-length string element: a length, then a
// global heap ID (collection address, object index).
func (f *File) readVarString(elem []byte) (string, error) {
	c := f.cursor(elem)
	n := uint64(c.u32())
	addr := c.addr()
	index := c.u32()
	if c.err != nil {
		return "", errf("variable-length string reference truncated")
	}
	if n == 0 || addr == 0 || addr == undefinedAddress {
		return "", nil
	}
	h, err := f.globalHeapAt(addr)
	if err != nil {
		return "", err
	}
	obj, ok := h.objects[uint16(index)]
	if !ok || index > 0xffff {
		return "", errf("global heap collection at address %d has no object %d", addr, index)
	}
	if n > uint64(len(obj)) {
		return "", errf("variable-length string of %d bytes in a %d-byte heap object", n, len(obj))
	}
	return string(obj[:n]), nil
}
