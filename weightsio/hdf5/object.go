package hdf5

import (
	"slices"
	"sort"
	"strings"
)

// Object is a group or a dataset.
type Object interface {
	// Path is the object's HDF5 path, like "/model_weights/conv1".
	Path() string
	// Attrs lists the object's attributes sorted by name.
	Attrs() ([]*Attribute, error)
	// Attr returns one attribute; the error wraps ErrNotFound when absent.
	Attr(name string) (*Attribute, error)
	// Address identifies the object within the file (its header address).
	Address() uint64
}

// node is what groups and datasets share.
type node struct {
	f    *File
	path string
	hdr  *objectHeader
}

func (n *node) Path() string      { return n.path }
func (n *node) Address() uint64   { return n.hdr.addr }
func (n *node) err(e error) error { return n.f.wrap(n.path, e) }

func (n *node) Attrs() ([]*Attribute, error) {
	var attrs []*Attribute
	for _, m := range n.hdr.all(msgAttribute) {
		a, err := n.f.decodeAttribute(m.data, n.path)
		if err != nil {
			return nil, n.err(err)
		}
		attrs = append(attrs, a)
	}
	if m := n.hdr.find(msgAttrInfo); m != nil {
		dense, err := n.f.denseAttributes(m.data, n.path)
		if err != nil {
			return nil, n.err(err)
		}
		attrs = append(attrs, dense...)
	}
	sort.SliceStable(attrs, func(i, j int) bool { return attrs[i].Name < attrs[j].Name })
	return attrs, nil
}

func (n *node) Attr(name string) (*Attribute, error) {
	attrs, err := n.Attrs()
	if err != nil {
		return nil, err
	}
	for _, a := range attrs {
		if a.Name == name {
			return a, nil
		}
	}
	return nil, n.err(errf("attribute %q %w", name, ErrNotFound))
}

// Group is a group: a set of named links to other objects.
type Group struct{ node }

// Dataset is an array of elements of one datatype.
type Dataset struct {
	node
	// Shape is the dataspace's dimensions; empty for a scalar.
	Shape []int
	Type  *Datatype
	// NullSpace is set for a dataset with no elements at all (h5py.Empty).
	NullSpace bool

	maxShape []int // -1 for unlimited dimensions; nil when not stored
	layout   *dataLayout
	filters  []filter
	fill     []byte // fill value of unwritten elements; nil for zeros
}

// Root returns the root group.
func (f *File) Root() (*Group, error) {
	obj, err := f.object(f.rootAddr, "/")
	if err != nil {
		return nil, err
	}
	g, ok := obj.(*Group)
	if !ok {
		return nil, f.wrap("/", errf("root object is not a group"))
	}
	return g, nil
}

// object decodes the object whose header is at addr.
func (f *File) object(addr uint64, path string) (Object, error) {
	h, err := f.header(addr)
	if err != nil {
		return nil, f.wrap(path, err)
	}
	n := node{f: f, path: path, hdr: h}
	if h.find(msgLayout) != nil {
		d, err := f.decodeDataset(n)
		if err != nil {
			return nil, f.wrap(path, err)
		}
		return d, nil
	}
	if h.find(msgSymbolTable) != nil || h.find(msgLinkInfo) != nil || h.find(msgLink) != nil || h.find(msgGroupInfo) != nil {
		return &Group{n}, nil
	}
	return nil, f.wrap(path, unsupportedf("object that is neither a group nor a dataset (committed datatype?)"))
}

// Links lists the group's members sorted by name (h5py's order).
func (g *Group) Links() ([]Link, error) {
	links, err := g.f.groupLinks(g.hdr)
	if err != nil {
		return nil, g.err(err)
	}
	return slices.Clone(links), nil // the cached list stays sorted for Open
}

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// Open returns the object at a path relative to the group ("a/b/c"); a path
// starting with "/" is taken from the root. Hard links only.
func (g *Group) Open(path string) (Object, error) {
	var cur Object = g
	if strings.HasPrefix(path, "/") {
		root, err := g.f.Root()
		if err != nil {
			return nil, err
		}
		cur = root
	}
	for _, name := range strings.Split(path, "/") {
		if name == "" || name == "." {
			continue
		}
		grp, ok := cur.(*Group)
		if !ok {
			return nil, g.f.wrap(cur.Path(), errf("is a dataset, cannot open %q in it", name))
		}
		links, err := grp.Links()
		if err != nil {
			return nil, err
		}
		i := sort.Search(len(links), func(i int) bool { return links[i].Name >= name })
		if i == len(links) || links[i].Name != name {
			return nil, g.f.wrap(grp.path, errf("member %q %w", name, ErrNotFound))
		}
		l := links[i]
		if !l.IsHard() {
			return nil, g.f.wrap(joinPath(grp.path, name), unsupportedf("following soft and external links"))
		}
		if cur, err = g.f.object(l.addr, joinPath(grp.path, name)); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

// Group opens a member group by relative path.
func (g *Group) Group(path string) (*Group, error) {
	obj, err := g.Open(path)
	if err != nil {
		return nil, err
	}
	sub, ok := obj.(*Group)
	if !ok {
		return nil, g.f.wrap(obj.Path(), errf("is a dataset, not a group"))
	}
	return sub, nil
}

// Dataset opens a member dataset by relative path.
func (g *Group) Dataset(path string) (*Dataset, error) {
	obj, err := g.Open(path)
	if err != nil {
		return nil, err
	}
	d, ok := obj.(*Dataset)
	if !ok {
		return nil, g.f.wrap(obj.Path(), errf("is a group, not a dataset"))
	}
	return d, nil
}

// maxWalkDepth bounds group nesting during a walk.
const maxWalkDepth = 256

// Walk calls fn for every object below the root (not the root itself), depth
// first, members in name order, each object once even when several hard links
// lead to it. Soft and external links are skipped. A non-nil error from fn
// stops the walk and is returned.
func (f *File) Walk(fn func(Object) error) error {
	root, err := f.Root()
	if err != nil {
		return err
	}
	seen := map[uint64]bool{root.Address(): true}
	var walk func(g *Group, depth int) error
	walk = func(g *Group, depth int) error {
		if depth > maxWalkDepth {
			return g.err(errf("groups nested more than %d deep", maxWalkDepth))
		}
		links, err := g.Links()
		if err != nil {
			return err
		}
		for _, l := range links {
			if !l.IsHard() || seen[l.addr] {
				continue
			}
			seen[l.addr] = true
			obj, err := f.object(l.addr, joinPath(g.path, l.Name))
			if err != nil {
				return err
			}
			if err := fn(obj); err != nil {
				return err
			}
			if sub, ok := obj.(*Group); ok {
				if err := walk(sub, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root, 0)
}
