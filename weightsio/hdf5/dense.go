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
	c.addr() // name index B-tree
	if c.err != nil {
		return nil, errf("link info message: %v", c.err)
	}
	if heap == undefinedAddress {
		return nil, nil
	}
	return nil, unsupportedf("dense link storage (fractal heap)")
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
	c.addr() // name index B-tree
	if c.err != nil {
		return nil, errf("attribute info message: %v", c.err)
	}
	if heap == undefinedAddress {
		return nil, nil
	}
	return nil, unsupportedf("dense attribute storage (fractal heap)")
}
