package hdf5

// denseLinks lists the links a link info message keeps in dense storage
// (a fractal heap indexed by a v2 B-tree); none when the heap is undefined.
func (f *File) denseLinks(b []byte) ([]Link, error) {
	c := f.cursor(b)
	if v := c.u8(); v != 0 {
		return nil, errf("link info message version %d", v)
	}
	flags := c.u8()
	if flags&0x01 != 0 {
		c.skip(8) // maximum creation index
	}
	heap := c.addr()
	index := c.addr() // name index B-tree
	if c.err != nil {
		return nil, errf("link info message: %v", c.err)
	}
	if heap == undefinedAddress {
		return nil, nil
	}
	var links []Link
	err := f.denseRecords(heap, index, 5, func(obj []byte) error {
		l, err := f.decodeLink(obj)
		links = append(links, l)
		return err
	})
	return links, err
}

// denseAttributes lists the attributes an attribute info message keeps in
// dense storage; none when the heap is undefined.
func (f *File) denseAttributes(b []byte, owner string) ([]*Attribute, error) {
	c := f.cursor(b)
	if v := c.u8(); v != 0 {
		return nil, errf("attribute info message version %d", v)
	}
	flags := c.u8()
	if flags&0x01 != 0 {
		c.skip(2) // maximum creation index
	}
	heap := c.addr()
	index := c.addr() // name index B-tree
	if c.err != nil {
		return nil, errf("attribute info message: %v", c.err)
	}
	if heap == undefinedAddress {
		return nil, nil
	}
	var attrs []*Attribute
	err := f.denseRecords(heap, index, 8, func(obj []byte) error {
		a, err := f.decodeAttribute(obj, owner)
		attrs = append(attrs, a)
		return err
	})
	return attrs, err
}

// denseRecords visits the objects of a fractal heap through the records of
// its name index, a v2 B-tree of type 5 (links: hash, heap ID) or 8
// (attributes: heap ID, flags, creation order, hash).
func (f *File) denseRecords(heapAddr, indexAddr uint64, wantType uint8, fn func([]byte) error) error {
	heap, err := f.fractalHeap(heapAddr)
	if err != nil {
		return err
	}
	tree, err := f.readBtree2(indexAddr)
	if err != nil {
		return err
	}
	if tree.typ != wantType {
		return errf("name index B-tree at address %d has type %d, want %d", indexAddr, tree.typ, wantType)
	}
	return f.btree2Records(tree, func(rec []byte) error {
		var id []byte
		if wantType == 5 {
			if len(rec) < 4+heap.idLen {
				return errf("link name record of %d bytes", len(rec))
			}
			id = rec[4 : 4+heap.idLen]
		} else {
			if len(rec) < heap.idLen {
				return errf("attribute name record of %d bytes", len(rec))
			}
			id = rec[:heap.idLen]
		}
		obj, err := heap.object(id)
		if err != nil {
			return err
		}
		return fn(obj)
	})
}
