package hdf5

import "bytes"

// Message types used here (spec section IV.A.2).
const (
	msgNil          = 0x0000
	msgDataspace    = 0x0001
	msgLinkInfo     = 0x0002
	msgDatatype     = 0x0003
	msgFillValueOld = 0x0004
	msgFillValue    = 0x0005
	msgLink         = 0x0006
	msgLayout       = 0x0008
	msgGroupInfo    = 0x000A
	msgFilters      = 0x000B
	msgAttribute    = 0x000C
	msgContinuation = 0x0010
	msgSymbolTable  = 0x0011
	msgAttrInfo     = 0x0015
)

const (
	msgFlagShared = 0x02
	// maxHeaderBlocks bounds the continuation chain of one object header.
	maxHeaderBlocks = 1 << 14
)

// message is one header message, its data still encoded.
type message struct {
	typ   uint16
	flags uint8
	data  []byte
}

// objectHeader is a decoded object header: all messages of all its blocks.
type objectHeader struct {
	addr     uint64
	version  int
	v2flags  uint8 // OHDR flags, needed to decode its continuation blocks
	messages []message
}

func (h *objectHeader) find(typ uint16) *message {
	for i := range h.messages {
		if h.messages[i].typ == typ {
			return &h.messages[i]
		}
	}
	return nil
}

func (h *objectHeader) all(typ uint16) []*message {
	var out []*message
	for i := range h.messages {
		if h.messages[i].typ == typ {
			out = append(out, &h.messages[i])
		}
	}
	return out
}

// header reads (or returns the cached) object header at addr.
func (f *File) header(addr uint64) (*objectHeader, error) {
	f.mu.Lock()
	h, ok := f.headers[addr]
	f.mu.Unlock()
	if ok {
		return h, nil
	}
	h, err := f.readHeader(addr)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.headers[addr] = h
	f.mu.Unlock()
	return h, nil
}

// continuation is a pending header block: where it is and how long.
type continuation struct{ addr, length uint64 }

func (f *File) readHeader(addr uint64) (*objectHeader, error) {
	sig, err := f.readAt(addr, 4, "object header")
	if err != nil {
		return nil, err
	}
	h := &objectHeader{addr: addr}
	var pending []continuation
	if bytes.Equal(sig, []byte("OHDR")) {
		h.version = 2
		pending, err = f.readHeaderV2Prefix(h)
	} else {
		h.version = int(sig[0])
		if h.version != 1 {
			return nil, errf("object header at address %d: version %d, want 1 or an OHDR signature", addr, h.version)
		}
		pending, err = f.readHeaderV1Prefix(h)
	}
	if err != nil {
		return nil, err
	}
	visited := map[uint64]bool{}
	var total uint64
	for blocks := 0; len(pending) > 0; blocks++ {
		cont := pending[0]
		pending = pending[1:]
		if visited[cont.addr] {
			return nil, errf("object header at address %d: continuation block %d is referenced twice (cycle)", addr, cont.addr)
		}
		visited[cont.addr] = true
		total += cont.length
		if blocks >= maxHeaderBlocks || total > uint64(f.size) {
			return nil, errf("object header at address %d: too many continuation blocks", addr)
		}
		block, err := f.readAt(cont.addr, cont.length, "object header continuation block")
		if err != nil {
			return nil, err
		}
		var more []continuation
		if h.version == 1 {
			more, err = f.parseMessagesV1(h, block)
		} else {
			more, err = f.parseContinuationV2(h, block)
		}
		if err != nil {
			return nil, errf("object header at address %d: %v", addr, err)
		}
		pending = append(pending, more...)
	}
	return h, nil
}

// readHeaderV1Prefix reads a version-1 header: a 16-byte prefix (version,
// reserved, message count, reference count, size, padding) and its first block.
func (f *File) readHeaderV1Prefix(h *objectHeader) ([]continuation, error) {
	prefix, err := f.readAt(h.addr, 16, "object header")
	if err != nil {
		return nil, err
	}
	c := f.cursor(prefix)
	c.skip(8)
	size := uint64(c.u32())
	block, err := f.readAt(h.addr+16, size, "object header messages")
	if err != nil {
		return nil, err
	}
	more, err := f.parseMessagesV1(h, block)
	if err != nil {
		return nil, errf("object header at address %d: %v", h.addr, err)
	}
	return more, nil
}

// parseMessagesV1 decodes the 8-byte-aligned messages of one v1 block.
func (f *File) parseMessagesV1(h *objectHeader, block []byte) ([]continuation, error) {
	c := f.cursor(block)
	var more []continuation
	for c.remaining() >= 8 {
		typ := c.u16()
		size := int(c.u16())
		flags := c.u8()
		c.skip(3)
		data := c.take(size)
		if c.err != nil {
			return nil, errf("message of type %#x: %v", typ, c.err)
		}
		c.align(8)
		c.err = nil // the last message may end the block unaligned
		if cont, ok, err := f.addMessage(h, typ, flags, data); err != nil {
			return nil, err
		} else if ok {
			more = append(more, cont)
		}
	}
	return more, nil
}

// addMessage stores a message, or returns the continuation it points to.
func (f *File) addMessage(h *objectHeader, typ uint16, flags uint8, data []byte) (continuation, bool, error) {
	switch typ {
	case msgNil:
		return continuation{}, false, nil
	case msgContinuation:
		c := f.cursor(data)
		cont := continuation{c.addr(), c.length()}
		if c.err != nil {
			return continuation{}, false, errf("continuation message: %v", c.err)
		}
		return cont, true, nil
	}
	h.messages = append(h.messages, message{typ: typ, flags: flags, data: data})
	return continuation{}, false, nil
}

// sharedMessage resolves a message stored in another object header (a
// committed datatype, for instance): data is the shared-message encoding.
func (f *File) sharedMessage(typ uint16, data []byte, depth int) ([]byte, error) {
	if depth > 4 {
		return nil, errf("shared message chain too deep")
	}
	c := f.cursor(data)
	version := c.u8()
	kind := c.u8()
	switch version {
	case 1:
		c.skip(6)
	case 2, 3:
		if kind == 1 {
			return nil, unsupportedf("shared message in the shared-message heap")
		}
	default:
		return nil, errf("shared message version %d", version)
	}
	addr := c.addr()
	if c.err != nil {
		return nil, errf("shared message: %v", c.err)
	}
	h, err := f.header(addr)
	if err != nil {
		return nil, err
	}
	m := h.find(typ)
	if m == nil {
		return nil, errf("shared message: object at address %d has no message of type %#x", addr, typ)
	}
	if m.flags&msgFlagShared != 0 {
		return f.sharedMessage(typ, m.data, depth+1)
	}
	return m.data, nil
}

// messageData returns a message's own encoding, following a shared message.
func (f *File) messageData(m *message) ([]byte, error) {
	if m.flags&msgFlagShared != 0 {
		return f.sharedMessage(m.typ, m.data, 0)
	}
	return m.data, nil
}
