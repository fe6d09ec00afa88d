package h5write

import (
	"fmt"
	"sort"
	"strings"
)

// File is an HDF5 file being built.
type File struct{ root *Group }

// New returns an empty file: a root group with no members.
func New() *File { return &File{root: &Group{}} }

// Root is the root group "/".
func (f *File) Root() *Group { return f.root }

// Group is an HDF5 group: attributes and named members.
type Group struct {
	attrs    []attr
	groups   map[string]*Group
	datasets map[string]*Dataset
}

// Dataset is a contiguous float32 (or, made by DatasetInt8, int8) dataset.
type Dataset struct {
	shape []int
	data  []float32
	i8    []int8 // the values of an int8 dataset (then data is nil)
	attrs []attr
	addr  uint64 // where its data goes, assigned when the file is laid out
}

// Group returns the member group called name, creating it if needed. A name
// with "/" makes nested groups, as h5py does.
func (g *Group) Group(name string) *Group {
	parts := strings.Split(name, "/")
	for _, p := range parts {
		if p == "" {
			continue
		}
		if g.groups == nil {
			g.groups = map[string]*Group{}
		}
		next, ok := g.groups[p]
		if !ok {
			next = &Group{}
			g.groups[p] = next
		}
		g = next
	}
	return g
}

// Dataset adds a float32 dataset of the given shape (nil or empty for a
// scalar) holding data, which is not copied and must not change until the
// file is saved. A name with "/" creates the groups on its path.
func (g *Group) Dataset(name string, shape []int, data []float32) (*Dataset, error) {
	return g.dataset(name, shape, len(data), &Dataset{data: data})
}

// DatasetInt8 adds a signed 8-bit integer dataset (numpy's int8), as
// Dataset does a float32 one: quantized weights are stored so.
func (g *Group) DatasetInt8(name string, shape []int, data []int8) (*Dataset, error) {
	return g.dataset(name, shape, len(data), &Dataset{i8: data})
}

func (g *Group) dataset(name string, shape []int, values int, d *Dataset) (*Dataset, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("h5write: dataset %q: negative dimension in %v", name, shape)
		}
		n *= d
	}
	if n != values {
		return nil, fmt.Errorf("h5write: dataset %q: %d values for shape %v", name, values, shape)
	}
	dir, base := "", name
	if i := strings.LastIndex(name, "/"); i >= 0 {
		dir, base = name[:i], name[i+1:]
	}
	if base == "" {
		return nil, fmt.Errorf("h5write: dataset name %q is empty", name)
	}
	parent := g.Group(dir)
	if parent.datasets == nil {
		parent.datasets = map[string]*Dataset{}
	}
	if _, dup := parent.groups[base]; dup {
		return nil, fmt.Errorf("h5write: %q is already a group", name)
	}
	d.shape = append([]int(nil), shape...)
	parent.datasets[base] = d
	return d, nil
}

// byteLen is the size of the dataset's raw data.
func (d *Dataset) byteLen() uint64 {
	if d.i8 != nil {
		return uint64(len(d.i8))
	}
	return uint64(4 * len(d.data))
}

// members lists the member names in HDF5's order (byte order of the names),
// each with its group or dataset.
func (g *Group) members() []string {
	var names []string
	for n := range g.groups {
		names = append(names, n)
	}
	for n := range g.datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
