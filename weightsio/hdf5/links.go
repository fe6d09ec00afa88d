package hdf5

import "sort"

// Link is one named member of a group.
type Link struct {
	Name string
	// SoftTarget is the path a soft link points to; empty for hard links.
	SoftTarget string
	// External is set for a link into another file, which is not followed.
	External bool

	addr uint64 // object header of a hard link's target
}

// IsHard reports a hard link, the only kind Open and Walk follow.
func (l Link) IsHard() bool { return l.SoftTarget == "" && !l.External }

// groupLinks lists a group's links sorted by name, from whichever storage the
// group uses: a symbol table (old style), link messages (compact), or a
// fractal heap indexed by a v2 B-tree (dense).
func (f *File) groupLinks(h *objectHeader) ([]Link, error) {
	f.mu.Lock()
	links, ok := f.links[h.addr]
	f.mu.Unlock()
	if ok {
		return links, nil
	}
	links, err := f.readGroupLinks(h)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.links[h.addr] = links
	f.mu.Unlock()
	return links, nil
}

func (f *File) readGroupLinks(h *objectHeader) ([]Link, error) {
	var links []Link
	if m := h.find(msgSymbolTable); m != nil {
		var err error
		if links, err = f.symbolTableLinks(m.data); err != nil {
			return nil, err
		}
	} else {
		for _, m := range h.all(msgLink) {
			l, err := f.decodeLink(m.data)
			if err != nil {
				return nil, err
			}
			links = append(links, l)
		}
		if m := h.find(msgLinkInfo); m != nil {
			dense, err := f.denseLinks(m.data)
			if err != nil {
				return nil, err
			}
			links = append(links, dense...)
		}
	}
	sort.SliceStable(links, func(i, j int) bool { return links[i].Name < links[j].Name })
	for i := 1; i < len(links); i++ {
		if links[i].Name == links[i-1].Name {
			return nil, errf("two links named %q", links[i].Name)
		}
	}
	return links, nil
}

// decodeLink decodes a link message (version 1).
func (f *File) decodeLink(b []byte) (Link, error) {
	c := f.cursor(b)
	if v := c.u8(); v != 1 {
		return Link{}, errf("link message version %d", v)
	}
	flags := c.u8()
	kind := uint8(0)
	if flags&0x08 != 0 {
		kind = c.u8()
	}
	if flags&0x04 != 0 {
		c.skip(8) // creation order
	}
	if flags&0x10 != 0 {
		c.skip(1) // name character set
	}
	nameLen := c.uN(1 << (flags & 0x03))
	if nameLen > uint64(c.remaining()) {
		return Link{}, errf("link name of %d bytes overruns its message", nameLen)
	}
	l := Link{Name: string(c.take(int(nameLen)))}
	switch kind {
	case 0:
		l.addr = c.addr()
	case 1:
		n := int(c.u16())
		l.SoftTarget = string(c.take(n))
		l.addr = undefinedAddress
	case 64:
		l.External = true
		l.addr = undefinedAddress
	default:
		return Link{}, errf("link %q of type %d", l.Name, kind)
	}
	if c.err != nil {
		return Link{}, errf("link message: %v", c.err)
	}
	return l, nil
}
