package hdf5

import "encoding/binary"

// undefinedAddress is the "no address" value (all bits set), whatever the
// file's size of offsets.
const undefinedAddress = ^uint64(0)

// cursor decodes little-endian fields from a block of metadata. Instead of
// returning an error from every call it records the first overrun, so parsers
// read a whole structure and check c.err once.
type cursor struct {
	b       []byte
	off     int
	err     error
	sizeOff int // bytes per address ("size of offsets" in the superblock)
	sizeLen int // bytes per length ("size of lengths")
}

func (f *File) cursor(b []byte) *cursor {
	return &cursor{b: b, sizeOff: f.sizeOff, sizeLen: f.sizeLen}
}

func (c *cursor) remaining() int { return len(c.b) - c.off }

// take returns the next n bytes, or nil after recording an overrun.
func (c *cursor) take(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > len(c.b)-c.off {
		c.err = errf("structure truncated: need %d bytes at offset %d of a %d-byte block", n, c.off, len(c.b))
		return nil
	}
	p := c.b[c.off : c.off+n]
	c.off += n
	return p
}

func (c *cursor) skip(n int) { c.take(n) }

func (c *cursor) u8() uint8 {
	p := c.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (c *cursor) u16() uint16 {
	p := c.take(2)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(p)
}

func (c *cursor) u32() uint32 {
	p := c.take(4)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(p)
}

// uN decodes an n-byte little-endian unsigned integer (n <= 8).
func (c *cursor) uN(n int) uint64 {
	if n > 8 {
		c.err = errf("integer field of %d bytes", n)
		return 0
	}
	p := c.take(n)
	var v uint64
	for i := len(p) - 1; i >= 0; i-- {
		v = v<<8 | uint64(p[i])
	}
	return v
}

// addr decodes an address; all bits set becomes undefinedAddress.
func (c *cursor) addr() uint64 {
	v := c.uN(c.sizeOff)
	if c.sizeOff < 8 && v == 1<<(8*uint(c.sizeOff))-1 {
		return undefinedAddress
	}
	return v
}

func (c *cursor) length() uint64 { return c.uN(c.sizeLen) }

// align moves to the next multiple of n from the block's start.
func (c *cursor) align(n int) {
	if r := c.off % n; r != 0 {
		c.skip(n - r)
	}
}

// cstring reads a NUL-terminated string, consuming the NUL.
func (c *cursor) cstring() string {
	if c.err != nil {
		return ""
	}
	for i := c.off; i < len(c.b); i++ {
		if c.b[i] == 0 {
			s := string(c.b[c.off:i])
			c.off = i + 1
			return s
		}
	}
	c.err = errf("unterminated name at offset %d", c.off)
	return ""
}
