package hdf5

import (
	"bytes"
	"encoding/binary"
)

// Version-2 object header flags.
const (
	ohdrChunkSizeMask = 0x03
	ohdrCreationOrder = 0x04 // messages carry a creation order field
	ohdrStorePhase    = 0x10 // attribute phase-change values present
	ohdrTimes         = 0x20 // access/modification/change/birth times present
)

// readHeaderV2Prefix reads an "OHDR" header and its first chunk.
func (f *File) readHeaderV2Prefix(h *objectHeader) ([]continuation, error) {
	// Signature, version, flags, up to 16+4 optional bytes, up to 8 size bytes.
	n := uint64(4 + 2 + 16 + 4 + 8)
	if avail := uint64(f.size) - (f.base + h.addr); n > avail {
		n = avail
	}
	prefix, err := f.readAt(h.addr, n, "object header")
	if err != nil {
		return nil, err
	}
	c := f.cursor(prefix)
	c.skip(4)
	if v := c.u8(); v != 2 {
		return nil, errf("object header at address %d: OHDR version %d", h.addr, v)
	}
	flags := c.u8()
	if flags&ohdrTimes != 0 {
		c.skip(16)
	}
	if flags&ohdrStorePhase != 0 {
		c.skip(4)
	}
	chunkSize := c.uN(1 << (flags & ohdrChunkSizeMask))
	if c.err != nil {
		return nil, errf("object header at address %d: %v", h.addr, c.err)
	}
	if chunkSize > uint64(f.size) {
		return nil, errf("object header at address %d: first chunk of %d bytes in a %d-byte file", h.addr, chunkSize, f.size)
	}
	start := uint64(c.off)
	whole, err := f.readAt(h.addr, start+chunkSize+4, "object header")
	if err != nil {
		return nil, err
	}
	if err := checkSum(whole, "object header"); err != nil {
		return nil, errf("object header at address %d: %v", h.addr, err)
	}
	more, err := f.parseMessagesV2(h, whole[start:start+chunkSize], flags)
	if err != nil {
		return nil, errf("object header at address %d: %v", h.addr, err)
	}
	h.v2flags = flags
	return more, nil
}

// parseContinuationV2 decodes an "OCHK" continuation block.
func (f *File) parseContinuationV2(h *objectHeader, block []byte) ([]continuation, error) {
	if len(block) < 8 || !bytes.Equal(block[:4], []byte("OCHK")) {
		return nil, errf("continuation block without OCHK signature")
	}
	if err := checkSum(block, "continuation block"); err != nil {
		return nil, err
	}
	return f.parseMessagesV2(h, block[4:len(block)-4], h.v2flags)
}

func (f *File) parseMessagesV2(h *objectHeader, block []byte, flags uint8) ([]continuation, error) {
	c := f.cursor(block)
	hdrSize := 4
	if flags&ohdrCreationOrder != 0 {
		hdrSize = 6
	}
	var more []continuation
	for c.remaining() >= hdrSize {
		typ := uint16(c.u8())
		size := int(c.u16())
		mflags := c.u8()
		if flags&ohdrCreationOrder != 0 {
			c.skip(2)
		}
		data := c.take(size)
		if c.err != nil {
			return nil, errf("message of type %#x: %v", typ, c.err)
		}
		if cont, ok, err := f.addMessage(h, typ, mflags, data); err != nil {
			return nil, err
		} else if ok {
			more = append(more, cont)
		}
	}
	return more, nil
}

// checkSum verifies the trailing lookup3 checksum of a v2 metadata block.
func checkSum(b []byte, what string) error {
	if len(b) < 4 {
		return errf("%s too short for its checksum", what)
	}
	want := binary.LittleEndian.Uint32(b[len(b)-4:])
	if got := lookup3(b[:len(b)-4]); got != want {
		return errf("%s checksum %#x, computed %#x", what, want, got)
	}
	return nil
}
