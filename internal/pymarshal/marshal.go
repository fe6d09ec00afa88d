// Package pymarshal decodes the code objects that Python 3's marshal module
// writes, as Keras 2 stores a Lambda layer's function (func_dump:
// base64(marshal.dumps(func.__code__))). It reads only what a code object
// holds (ints, floats, strings, bytes, tuples, None, booleans, nested code),
// bounded in depth and size, and never runs anything.
package pymarshal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Layout is the field layout of a code object, which changed with Python
// versions; marshal data does not say which wrote it.
type Layout int

// The code object layouts.
const (
	Py35to37  Layout = iota // argcount, kwonlyargcount, nlocals, stacksize, flags, ...
	Py38to310               // posonlyargcount added
	Py311                   // localsplusnames and kinds, qualname, exceptiontable
)

func (l Layout) String() string {
	return [...]string{"Python 3.5-3.7", "Python 3.8-3.10", "Python 3.11"}[l]
}

// Code is a decoded code object.
type Code struct {
	Layout   Layout
	ArgCount int
	Flags    uint32
	Bytecode []byte
	// Consts are the constants: nil (None), bool, int64, float64, string,
	// []byte, []any (tuples) or *Code.
	Consts   []any
	Names    []string
	VarNames []string // locals (Python 3.11: all of localsplusnames)
	FreeVars []string // closure variables (before 3.11)
	Name     string
}

// Limits bound what one decode may build.
const (
	maxDepth   = 16
	maxObjects = 1 << 14
)

// Decode reads one code object. Each layout is tried in turn; the first
// that reads the whole input as a code object wins (the layouts differ
// early, in where the bytecode's bytes object starts).
func Decode(b []byte) (*Code, error) {
	var errs []error
	for _, layout := range []Layout{Py38to310, Py35to37, Py311} {
		d := &decoder{b: b, layout: layout}
		v, err := d.object(0)
		if err == nil && d.pos != len(b) {
			err = fmt.Errorf("%d bytes left after the code object", len(b)-d.pos)
		}
		if err == nil {
			if c, ok := v.(*Code); ok {
				return c, nil
			}
			err = errors.New("not a code object")
		}
		errs = append(errs, fmt.Errorf("as %v: %w", layout, err))
	}
	return nil, fmt.Errorf("pymarshal: %w", errors.Join(errs...))
}

type decoder struct {
	b       []byte
	pos     int
	layout  Layout
	refs    []any
	objects int
}

var errShort = errors.New("unexpected end of data")

func (d *decoder) byte() (byte, error) {
	if d.pos >= len(d.b) {
		return 0, errShort
	}
	d.pos++
	return d.b[d.pos-1], nil
}

func (d *decoder) int32() (int32, error) {
	if len(d.b)-d.pos < 4 {
		return 0, errShort
	}
	v := int32(binary.LittleEndian.Uint32(d.b[d.pos:]))
	d.pos += 4
	return v, nil
}

func (d *decoder) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(d.b)-d.pos {
		return nil, errShort
	}
	out := d.b[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return out, nil
}

// count reads a 4-byte length (small: 1 byte) that cannot exceed what is left.
func (d *decoder) count(small bool) (int, error) {
	if small {
		n, err := d.byte()
		return int(n), err
	}
	n, err := d.int32()
	if err != nil {
		return 0, err
	}
	if n < 0 || int(n) > len(d.b)-d.pos {
		return 0, fmt.Errorf("length %d past the end", n)
	}
	return int(n), nil
}

const flagRef = 0x80

func (d *decoder) object(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("nested too deep")
	}
	if d.objects++; d.objects > maxObjects {
		return nil, errors.New("too many objects")
	}
	t, err := d.byte()
	if err != nil {
		return nil, err
	}
	ref := t&flagRef != 0
	slot := -1
	if ref { // reserve the slot first: a container's children may refer to it
		slot = len(d.refs)
		d.refs = append(d.refs, nil)
	}
	v, err := d.value(t&^flagRef, depth)
	if err != nil {
		return nil, err
	}
	if ref {
		d.refs[slot] = v
	}
	return v, nil
}

func (d *decoder) value(t byte, depth int) (any, error) {
	switch t {
	case 'N':
		return nil, nil
	case 'T':
		return true, nil
	case 'F':
		return false, nil
	case 'i':
		v, err := d.int32()
		return int64(v), err
	case 'g':
		b, err := d.bytes(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
	case 's':
		n, err := d.count(false)
		if err != nil {
			return nil, err
		}
		return d.bytes(n)
	case 'u', 't', 'a', 'A', 'z', 'Z':
		n, err := d.count(t == 'z' || t == 'Z')
		if err != nil {
			return nil, err
		}
		b, err := d.bytes(n)
		return string(b), err
	case '(', ')':
		n, err := d.count(t == ')')
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, min(n, 64))
		for range n {
			v, err := d.object(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case 'r':
		i, err := d.int32()
		if err != nil {
			return nil, err
		}
		// None, True and False are never written with a reference, so a
		// nil slot is an object still being read: a cycle.
		if i < 0 || int(i) >= len(d.refs) || d.refs[i] == nil {
			return nil, fmt.Errorf("reference %d to no object", i)
		}
		return d.refs[i], nil
	case 'c':
		return d.code(depth)
	}
	return nil, fmt.Errorf("marshal type %q not read", rune(t))
}

func (d *decoder) code(depth int) (*Code, error) {
	c := &Code{Layout: d.layout}
	nInts := 5
	if d.layout == Py38to310 {
		nInts = 6
	}
	ints := make([]int32, nInts)
	for i := range ints {
		v, err := d.int32()
		if err != nil {
			return nil, err
		}
		ints[i] = v
	}
	c.ArgCount, c.Flags = int(ints[0]), uint32(ints[nInts-1])
	var err error
	field := func(what string, into func(any) bool) {
		if err != nil {
			return
		}
		var v any
		if v, err = d.object(depth + 1); err == nil && !into(v) {
			err = fmt.Errorf("code object's %s is %T", what, v)
		}
	}
	asBytes := func(dst *[]byte) func(any) bool {
		return func(v any) bool { b, ok := v.([]byte); *dst = b; return ok }
	}
	asStrings := func(dst *[]string) func(any) bool {
		return func(v any) bool {
			list, ok := v.([]any)
			for _, x := range list {
				s, isStr := x.(string)
				ok = ok && isStr
				*dst = append(*dst, s)
			}
			return ok
		}
	}
	asString := func(dst *string) func(any) bool {
		return func(v any) bool { s, ok := v.(string); *dst = s; return ok }
	}
	var skipBytes []byte
	var skipStrings []string
	var skipString string
	field("bytecode", asBytes(&c.Bytecode))
	field("constants", func(v any) bool { list, ok := v.([]any); c.Consts = list; return ok })
	field("names", asStrings(&c.Names))
	field("variable names", asStrings(&c.VarNames))
	if d.layout == Py311 {
		field("local kinds", asBytes(&skipBytes))
	} else {
		field("free variables", asStrings(&c.FreeVars))
		field("cell variables", asStrings(&skipStrings))
	}
	field("file name", asString(&skipString))
	field("name", asString(&c.Name))
	if d.layout == Py311 {
		field("qualified name", asString(&skipString))
	}
	if err != nil {
		return nil, err
	}
	if _, err := d.int32(); err != nil { // first line number
		return nil, err
	}
	field("line table", asBytes(&skipBytes))
	if d.layout == Py311 {
		field("exception table", asBytes(&skipBytes))
	}
	return c, err
}
