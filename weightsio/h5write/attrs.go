package h5write

import "fmt"

// attr is one attribute: a name, the encoded datatype and dataspace, and the
// raw data (with placeholders for global-heap references filled at layout).
type attr struct {
	name  string
	kind  attrKind
	strs  []string // string values
	width int      // fixed-length strings: bytes per string
	utf8  bool     // a vlenString in UTF-8 (h5py's str), not ASCII
}

type attrKind int

const (
	vlenString   attrKind = iota // scalar variable-length ASCII string
	fixedStrings                 // 1-D array of NUL-padded fixed-length ASCII strings
	emptyFloat64                 // 1-D float64 array of length 0
)

type attrHolder interface{ addAttr(a attr) }

func (g *Group) addAttr(a attr)   { g.attrs = setAttr(g.attrs, a) }
func (d *Dataset) addAttr(a attr) { d.attrs = setAttr(d.attrs, a) }

func setAttr(list []attr, a attr) []attr {
	for i := range list {
		if list[i].name == a.name {
			list[i] = a
			return list
		}
	}
	return append(list, a)
}

// SetString sets a scalar variable-length ASCII string attribute, the type of
// Keras' keras_version, backend and model_config.
func (g *Group) SetString(name, value string) {
	g.addAttr(attr{name: name, kind: vlenString, strs: []string{value}})
}

// SetUTF8String sets a scalar variable-length UTF-8 string attribute, what
// h5py writes for a Python str (Keras 3's vars group names).
func (g *Group) SetUTF8String(name, value string) {
	g.addAttr(attr{name: name, kind: vlenString, strs: []string{value}, utf8: true})
}

// SetStrings sets a 1-D array of fixed-length NUL-padded strings, as wide as
// the longest value (at least 1 byte), the type of Keras' layer_names and
// weight_names. An empty list is stored as Keras stores it: an empty float64
// array.
func (g *Group) SetStrings(name string, values []string) {
	if len(values) == 0 {
		g.addAttr(attr{name: name, kind: emptyFloat64})
		return
	}
	w := 1
	for _, v := range values {
		w = max(w, len(v))
	}
	g.addAttr(attr{name: name, kind: fixedStrings, strs: append([]string(nil), values...), width: w})
}

// SetStringsWidth is SetStrings with every string stored width bytes wide
// (values longer than width are an error).
func (g *Group) SetStringsWidth(name string, values []string, width int) error {
	for _, v := range values {
		if len(v) > width {
			return fmt.Errorf("h5write: attribute %q: %q is longer than %d bytes", name, v, width)
		}
	}
	if len(values) == 0 {
		g.addAttr(attr{name: name, kind: emptyFloat64})
		return nil
	}
	g.addAttr(attr{name: name, kind: fixedStrings, strs: append([]string(nil), values...), width: max(width, 1)})
	return nil
}

// SetString on a dataset, as on a group.
func (d *Dataset) SetString(name, value string) {
	d.addAttr(attr{name: name, kind: vlenString, strs: []string{value}})
}

var _ = []attrHolder{&Group{}, &Dataset{}}
