package hdf5

import (
	"math"
	"strings"
)

// Attribute is a named value attached to a group or dataset.
type Attribute struct {
	Name  string
	Type  *Datatype
	Shape []int // nil for a scalar
	Null  bool  // an empty (null-dataspace) attribute

	f    *File
	path string // owner's path, for errors
	raw  []byte // the stored elements
}

// decodeAttribute decodes attribute messages of versions 1 to 3.
func (f *File) decodeAttribute(b []byte, owner string) (*Attribute, error) {
	c := f.cursor(b)
	version := c.u8()
	flags := c.u8()
	nameLen := int(c.u16())
	typeLen := int(c.u16())
	spaceLen := int(c.u16())
	if version == 3 {
		c.skip(1) // name character set
	}
	if version < 1 || version > 3 {
		return nil, errf("attribute message version %d", version)
	}
	pad := func(n int) int {
		if version == 1 {
			return (n + 7) &^ 7
		}
		return n
	}
	name := c.take(pad(nameLen))
	typeBytes := c.take(pad(typeLen))
	spaceBytes := c.take(pad(spaceLen))
	if c.err != nil {
		return nil, errf("attribute truncated: %v", c.err)
	}
	if i := indexNUL(name); i >= 0 {
		name = name[:i]
	}
	a := &Attribute{Name: string(name), f: f, path: owner}
	var err error
	if flags&0x01 != 0 {
		if typeBytes, err = f.sharedMessage(msgDatatype, typeBytes, 0); err != nil {
			return nil, errf("attribute %q: %v", a.Name, err)
		}
	}
	if flags&0x02 != 0 {
		if spaceBytes, err = f.sharedMessage(msgDataspace, spaceBytes, 0); err != nil {
			return nil, errf("attribute %q: %v", a.Name, err)
		}
	}
	if a.Type, err = f.decodeDatatype(typeBytes); err != nil {
		return nil, errf("attribute %q: %v", a.Name, err)
	}
	space, err := f.decodeDataspace(spaceBytes)
	if err != nil {
		return nil, errf("attribute %q: %v", a.Name, err)
	}
	a.Shape, a.Null = space.shape, space.null
	n := space.elements()
	if n > uint64(c.remaining())/uint64(a.Type.Size) {
		return nil, errf("attribute %q: %d elements of %d bytes, but %d bytes stored", a.Name, n, a.Type.Size, c.remaining())
	}
	a.raw = c.take(int(n) * a.Type.Size)
	return a, nil
}

func indexNUL(b []byte) int {
	for i, x := range b {
		if x == 0 {
			return i
		}
	}
	return -1
}

// Len is the number of elements.
func (a *Attribute) Len() int { return len(a.raw) / a.Type.Size }

func (a *Attribute) err(err error) error {
	return a.f.wrap(a.path, errf("attribute %q: %v", a.Name, err))
}

// Strings decodes a string attribute (fixed or variable length, scalar or
// array) into its elements.
func (a *Attribute) Strings() ([]string, error) {
	if !a.Type.IsString() {
		return nil, a.err(errf("is %s, not a string", a.Type.Name()))
	}
	out := make([]string, a.Len())
	for i := range out {
		elem := a.raw[i*a.Type.Size : (i+1)*a.Type.Size]
		if a.Type.VarString {
			s, err := a.f.readVarString(elem)
			if err != nil {
				return nil, a.err(err)
			}
			out[i] = s
			continue
		}
		out[i] = fixedString(elem, a.Type.Padding)
	}
	return out, nil
}

// fixedString trims a fixed-length string the way numpy does.
func fixedString(b []byte, padding int) string {
	if i := indexNUL(b); i >= 0 {
		b = b[:i]
	}
	s := string(b)
	if padding == 2 {
		s = strings.TrimRight(s, " ")
	}
	return s
}

// String decodes a scalar (or one-element) string attribute.
func (a *Attribute) String() (string, error) {
	s, err := a.Strings()
	if err != nil {
		return "", err
	}
	if len(s) != 1 {
		return "", a.err(errf("holds %d strings, want one", len(s)))
	}
	return s[0], nil
}

// Float64s decodes a numeric attribute (floats or integers).
func (a *Attribute) Float64s() ([]float64, error) {
	t := a.Type
	out := make([]float64, a.Len())
	for i := range out {
		elem := a.raw[i*t.Size : (i+1)*t.Size]
		switch {
		case t.IsFloat():
			out[i] = decodeFloat64(elem, t)
		case t.IsInteger():
			v := decodeUint(elem, t.BigEndian)
			if t.Signed {
				out[i] = float64(signExtend(v, t.Size))
			} else {
				out[i] = float64(v)
			}
		default:
			return nil, a.err(errf("is %s, not numeric", t.Name()))
		}
	}
	return out, nil
}

// Value decodes the attribute into a Go value: string or []string for
// strings, int64/[]int64 for signed integers (uint64 for unsigned), float64 or
// []float64 for floats. Scalars give the plain type, arrays the slice; a null
// attribute gives nil.
func (a *Attribute) Value() (any, error) {
	if a.Null {
		return nil, nil
	}
	scalar := a.Shape == nil
	t := a.Type
	switch {
	case t.IsString():
		s, err := a.Strings()
		if err != nil || !scalar {
			return s, err
		}
		return s[0], nil
	case t.IsFloat():
		v, err := a.Float64s()
		if err != nil || !scalar {
			return v, err
		}
		return v[0], nil
	case t.IsInteger() && t.Signed:
		out := make([]int64, a.Len())
		for i := range out {
			out[i] = signExtend(decodeUint(a.raw[i*t.Size:(i+1)*t.Size], t.BigEndian), t.Size)
		}
		if scalar {
			return out[0], nil
		}
		return out, nil
	case t.IsInteger():
		out := make([]uint64, a.Len())
		for i := range out {
			out[i] = decodeUint(a.raw[i*t.Size:(i+1)*t.Size], t.BigEndian)
		}
		if scalar {
			return out[0], nil
		}
		return out, nil
	case t.Class == ClassEnum && t.Base != nil && t.Base.IsInteger():
		out := make([]int64, a.Len())
		for i := range out {
			out[i] = signExtend(decodeUint(a.raw[i*t.Size:(i+1)*t.Size], t.Base.BigEndian), t.Size)
		}
		if scalar {
			return out[0], nil
		}
		return out, nil
	}
	return nil, a.err(unsupportedf("decoding %s values", t.Name()))
}

func decodeUint(b []byte, bigEndian bool) uint64 {
	var v uint64
	if bigEndian {
		for _, x := range b {
			v = v<<8 | uint64(x)
		}
		return v
	}
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func signExtend(v uint64, size int) int64 {
	shift := uint(64 - 8*size)
	return int64(v<<shift) >> shift
}

// decodeFloat64 decodes one IEEE float of 2, 4 or 8 bytes exactly.
func decodeFloat64(b []byte, t *Datatype) float64 {
	bits := decodeUint(b, t.BigEndian)
	switch t.Size {
	case 2:
		return float64(halfToFloat32(uint16(bits)))
	case 4:
		return float64(math.Float32frombits(uint32(bits)))
	default:
		return math.Float64frombits(bits)
	}
}
