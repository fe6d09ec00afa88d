package hdf5

import "fmt"

// Class is an HDF5 datatype class.
type Class uint8

// The datatype classes of the specification.
const (
	ClassInteger   Class = 0
	ClassFloat     Class = 1
	ClassTime      Class = 2
	ClassString    Class = 3
	ClassBitfield  Class = 4
	ClassOpaque    Class = 5
	ClassCompound  Class = 6
	ClassReference Class = 7
	ClassEnum      Class = 8
	ClassVarLen    Class = 9
	ClassArray     Class = 10
)

var classNames = [...]string{"integer", "float", "time", "string", "bitfield", "opaque", "compound", "reference", "enum", "variable-length", "array"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class %d", uint8(c))
}

// Datatype describes the type of a dataset's or attribute's elements.
type Datatype struct {
	Class     Class
	Size      int  // bytes per element as stored
	BigEndian bool // integers and floats
	Signed    bool // integers
	// ExponentBits and MantissaBits describe a float (5/10, 8/23, 11/52 for IEEE).
	ExponentBits, MantissaBits int
	// VarString is set for a variable-length string (Class ClassVarLen).
	VarString bool
	// UTF8 is the character set of a string: ASCII when false.
	UTF8 bool
	// Padding of a fixed string: 0 NUL-terminated, 1 NUL-padded, 2 space-padded.
	Padding int
	// Base is the element type of an enum, variable-length sequence or array.
	Base *Datatype
	// EnumNames lists an enum's member names (h5py stores bool as FALSE/TRUE).
	EnumNames []string
}

// IsFloat reports an IEEE float of 16, 32 or 64 bits, which the reader converts.
func (t *Datatype) IsFloat() bool {
	switch {
	case t.Class != ClassFloat:
		return false
	case t.Size == 2:
		return t.ExponentBits == 5 && t.MantissaBits == 10
	case t.Size == 4:
		return t.ExponentBits == 8 && t.MantissaBits == 23
	case t.Size == 8:
		return t.ExponentBits == 11 && t.MantissaBits == 52
	}
	return false
}

// IsInteger reports a plain integer of 1, 2, 4 or 8 bytes.
func (t *Datatype) IsInteger() bool {
	return t.Class == ClassInteger && (t.Size == 1 || t.Size == 2 || t.Size == 4 || t.Size == 8)
}

// IsString reports a fixed- or variable-length string.
func (t *Datatype) IsString() bool { return t.Class == ClassString || t.VarString }

// Name is numpy's name for the type as h5py would report it: float32, int64,
// uint8, bool, S12 for a 12-byte fixed string, object for a variable-length
// string.
func (t *Datatype) Name() string {
	switch {
	case t.IsFloat():
		return fmt.Sprintf("float%d", 8*t.Size)
	case t.IsInteger() && t.Signed:
		return fmt.Sprintf("int%d", 8*t.Size)
	case t.IsInteger():
		return fmt.Sprintf("uint%d", 8*t.Size)
	case t.Class == ClassString:
		return fmt.Sprintf("S%d", t.Size)
	case t.VarString:
		return "object"
	case t.Class == ClassEnum && len(t.EnumNames) == 2 && t.EnumNames[0] == "FALSE" && t.EnumNames[1] == "TRUE":
		return "bool"
	}
	return fmt.Sprintf("%s%d", t.Class, 8*t.Size)
}

// maxTypeDepth bounds the nesting of enum/vlen/array base types.
const maxTypeDepth = 8

// decodeDatatype decodes a datatype message, returning the bytes it used.
func (f *File) decodeDatatype(b []byte) (*Datatype, error) {
	t, _, err := f.decodeDatatypeAt(b, 0)
	return t, err
}

func (f *File) decodeDatatypeAt(b []byte, depth int) (*Datatype, int, error) {
	if depth > maxTypeDepth {
		return nil, 0, errf("datatype nested too deeply")
	}
	c := f.cursor(b)
	head := c.u8()
	bits := uint32(c.u8()) | uint32(c.u8())<<8 | uint32(c.u8())<<16
	t := &Datatype{Class: Class(head & 0x0f), Size: int(c.u32())}
	version := head >> 4
	if c.err != nil {
		return nil, 0, errf("datatype truncated")
	}
	if t.Size <= 0 || t.Size > 1<<20 {
		return nil, 0, errf("datatype size %d", t.Size)
	}
	switch t.Class {
	case ClassInteger, ClassBitfield:
		t.BigEndian = bits&1 != 0
		t.Signed = bits&0x08 != 0
		c.skip(4) // bit offset, precision
	case ClassFloat:
		t.BigEndian = bits&1 != 0
		if bits&0x40 != 0 {
			return nil, 0, unsupportedf("VAX float byte order")
		}
		c.skip(4) // bit offset, precision
		c.skip(1) // exponent location
		t.ExponentBits = int(c.u8())
		c.skip(1) // mantissa location
		t.MantissaBits = int(c.u8())
		c.skip(4) // exponent bias
	case ClassTime:
		c.skip(2)
	case ClassString:
		t.Padding = int(bits & 0x0f)
		t.UTF8 = (bits>>4)&0x0f == 1
	case ClassOpaque:
		c.take(int(bits & 0xff)) // tag, padded to 8 bytes
	case ClassReference:
	case ClassVarLen:
		t.VarString = bits&0x0f == 1
		t.Padding = int(bits>>4) & 0x0f
		t.UTF8 = (bits>>8)&0x0f == 1
		base, n, err := f.decodeDatatypeAt(b[c.off:], depth+1)
		if err != nil {
			return nil, 0, err
		}
		c.skip(n)
		t.Base = base
	case ClassEnum:
		base, n, err := f.decodeDatatypeAt(b[c.off:], depth+1)
		if err != nil {
			return nil, 0, err
		}
		c.skip(n)
		t.Base = base
		members := int(bits & 0xffff)
		for i := 0; i < members && c.err == nil; i++ {
			start := c.off
			t.EnumNames = append(t.EnumNames, c.cstring())
			if version < 3 {
				c.skip((8 - (c.off-start)%8) % 8)
			}
		}
		c.skip(members * base.Size)
	case ClassArray:
		rank := int(c.u8())
		if version < 3 {
			c.skip(3)
		}
		if rank > maxRank {
			return nil, 0, errf("array datatype rank %d", rank)
		}
		c.skip(4 * rank) // dimension sizes
		if version < 3 {
			c.skip(4 * rank) // permutation indices
		}
		if c.err != nil {
			break
		}
		base, n, err := f.decodeDatatypeAt(b[c.off:], depth+1)
		if err != nil {
			return nil, 0, err
		}
		c.skip(n)
		t.Base = base
	case ClassCompound:
		if depth > 0 {
			return nil, 0, unsupportedf("compound datatype nested in another type")
		}
		// Top level: the message's own length bounds it; members are not decoded.
		c.off = len(b)
	default:
		return nil, 0, errf("datatype class %d", t.Class)
	}
	if c.err != nil {
		return nil, 0, errf("%s datatype: %v", t.Class, c.err)
	}
	return t, c.off, nil
}
