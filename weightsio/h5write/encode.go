package h5write

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"syscall"
)

// File-format constants of what h5py writes by default.
const (
	superblockSize = 96
	undefinedAddr  = math.MaxUint64
	leafK          = 4  // symbol node: up to 2*leafK entries
	internalK      = 16 // group B-tree node: up to 2*internalK children
	snodSize       = 8 + 2*leafK*40
	btreeNodeSize  = 24 + (2*internalK+1)*8 + 2*internalK*8
	minHeapColl    = 4096 // smallest global heap collection libhdf5 writes
)

var le = binary.LittleEndian

// Save writes the file to path atomically: into a temporary file in the same
// directory, renamed over path only once it is complete and synced, so an
// interrupted save never leaves a broken file where a good one was. The
// directory is synced after the rename, so that once Save returns the new
// file survives a power loss too (a crash before then leaves the old file
// or the new one, never a mix). The file gets mode 0644, not the 0600 of a
// temporary file, so that a saved model is as readable as a created one.
func (f *File) Save(path string) error { return WriteFileAtomic(path, f) }

// WriteFileAtomic writes what w writes to path as Save writes an HDF5 file:
// atomically and durably, mode 0644.
func WriteFileAtomic(path string, w io.WriterTo) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("h5write: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = w.WriteTo(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("h5write: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("h5write: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("h5write: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("h5write: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename into dir durable. File systems that cannot sync a
// directory (some network and Windows file systems) report an error that
// is not one: the rename itself has happened.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("h5write: sync %s: %w", dir, err)
	}
	return nil
}

// WriteTo writes the whole file to w: the superblock, then every dataset's
// values, then the metadata (groups, headers, heaps).
func (f *File) WriteTo(w io.Writer) (int64, error) {
	if err := f.root.check("/"); err != nil {
		return 0, err
	}
	// Raw data first: its addresses are known from the sizes alone.
	var datasets []*Dataset
	next := uint64(superblockSize)
	f.root.walk(func(d *Dataset) {
		d.addr = next
		next += pad8(d.byteLen())
		datasets = append(datasets, d)
	})
	e := &encoder{base: next}
	e.collectStrings(f.root)
	rootHeader, rootBTree, rootHeap := e.group(f.root)
	eof := e.base + uint64(len(e.meta))

	bw := bufio.NewWriterSize(w, 1<<20)
	var n int64
	sb := superblock(rootHeader, rootBTree, rootHeap, eof)
	m, err := bw.Write(sb)
	n += int64(m)
	if err != nil {
		return n, err
	}
	var buf [4096]byte
	for _, d := range datasets {
		written := 0
		for i := 0; i < len(d.i8); {
			k := 0
			for ; k < len(buf) && i < len(d.i8); i, k = i+1, k+1 {
				buf[k] = byte(d.i8[i])
			}
			m, err := bw.Write(buf[:k])
			n += int64(m)
			written += m
			if err != nil {
				return n, err
			}
		}
		for i := 0; i < len(d.data); {
			k := 0
			for ; k+4 <= len(buf) && i < len(d.data); i++ {
				le.PutUint32(buf[k:], math.Float32bits(d.data[i]))
				k += 4
			}
			m, err := bw.Write(buf[:k])
			n += int64(m)
			written += m
			if err != nil {
				return n, err
			}
		}
		m, err := bw.Write(make([]byte, pad8(uint64(written))-uint64(written)))
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	m, err = bw.Write(e.meta)
	n += int64(m)
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// walk visits the datasets in the order their data is laid out.
func (g *Group) walk(fn func(*Dataset)) {
	for _, name := range g.members() {
		if sub, ok := g.groups[name]; ok {
			sub.walk(fn)
		} else {
			fn(g.datasets[name])
		}
	}
}

func superblock(rootHeader, rootBTree, rootHeap, eof uint64) []byte {
	b := make([]byte, 0, superblockSize)
	b = append(b, 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n')
	b = append(b, 0, 0, 0, 0, 0, 8, 8, 0) // versions 0; offsets and lengths 8 bytes
	b = le.AppendUint16(b, leafK)
	b = le.AppendUint16(b, internalK)
	b = le.AppendUint32(b, 0)             // consistency flags
	b = le.AppendUint64(b, 0)             // base address
	b = le.AppendUint64(b, undefinedAddr) // free-space info
	b = le.AppendUint64(b, eof)
	b = le.AppendUint64(b, undefinedAddr) // driver info
	return appendEntry(b, 0, rootHeader, rootBTree, rootHeap, true)
}

// appendEntry appends a 40-byte symbol table entry; a group's entry caches
// its B-tree and local heap addresses (cache type 1), as libhdf5 writes it.
func appendEntry(b []byte, nameOff, header, btree, heap uint64, isGroup bool) []byte {
	b = le.AppendUint64(b, nameOff)
	b = le.AppendUint64(b, header)
	if isGroup {
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint64(b, btree)
		return le.AppendUint64(b, heap)
	}
	return append(b, make([]byte, 24)...)
}

func pad8(n uint64) uint64 { return (n + 7) &^ 7 }

func padBytes(b []byte) []byte {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// encoder lays out the metadata after the raw data.
type encoder struct {
	base    uint64 // file address of meta[0]
	meta    []byte
	heap    uint64           // global heap collection holding the vlen strings
	strings map[*attr]uint32 // vlen attribute -> object index in the collection
}

// alloc appends b (padded to 8 bytes) to the metadata and returns its address.
func (e *encoder) alloc(b []byte) uint64 {
	addr := e.base + uint64(len(e.meta))
	e.meta = append(e.meta, padBytes(b)...)
	return addr
}

// collectStrings puts every variable-length string attribute into one global
// heap collection, the first block of the metadata.
func (e *encoder) collectStrings(root *Group) {
	e.strings = map[*attr]uint32{}
	var objs [][]byte
	var visit func(attrs []attr)
	visit = func(attrs []attr) {
		for i := range attrs {
			if attrs[i].kind == vlenString {
				objs = append(objs, []byte(attrs[i].strs[0]))
				e.strings[&attrs[i]] = uint32(len(objs))
			}
		}
	}
	var walk func(g *Group)
	walk = func(g *Group) {
		visit(g.attrs)
		for _, name := range g.members() {
			if sub, ok := g.groups[name]; ok {
				walk(sub)
			} else {
				visit(g.datasets[name].attrs)
			}
		}
	}
	walk(root)
	if len(objs) == 0 {
		return
	}
	size := uint64(16)
	for _, o := range objs {
		size += 16 + pad8(uint64(len(o)))
	}
	total := max(size+16, minHeapColl)
	b := make([]byte, 0, total)
	b = append(b, 'G', 'C', 'O', 'L', 1, 0, 0, 0)
	b = le.AppendUint64(b, total)
	for i, o := range objs {
		b = le.AppendUint16(b, uint16(i+1))
		b = le.AppendUint16(b, 0) // reference count
		b = le.AppendUint32(b, 0)
		b = le.AppendUint64(b, uint64(len(o)))
		b = padBytes(append(b, o...))
	}
	// The free-space object (index 0) covers the rest, its header included.
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, total-uint64(len(b))+8)
	b = append(b, make([]byte, total-uint64(len(b)))...)
	e.heap = e.alloc(b)
}

// group writes g's members, then its local heap, symbol nodes, B-tree and
// object header, and returns the addresses of the last three.
func (e *encoder) group(g *Group) (header, btree, heap uint64) {
	names := g.members()
	type entry struct {
		nameOff, header, btree, heap uint64
		isGroup                      bool
	}
	entries := make([]entry, len(names))
	// The local heap's data segment: "" at offset 0, then the names.
	seg := make([]byte, 8)
	for i, name := range names {
		entries[i].nameOff = uint64(len(seg))
		seg = padBytes(append(append(seg, name...), 0))
		if sub, ok := g.groups[name]; ok {
			entries[i].header, entries[i].btree, entries[i].heap = e.group(sub)
			entries[i].isGroup = true
		} else {
			entries[i].header = e.dataset(g.datasets[name])
		}
	}
	segAddr := e.alloc(seg)
	hb := []byte{'H', 'E', 'A', 'P', 0, 0, 0, 0}
	hb = le.AppendUint64(hb, uint64(len(seg)))
	hb = le.AppendUint64(hb, 1) // no free block: libhdf5's H5HL_FREE_NULL (not the undefined address)
	hb = le.AppendUint64(hb, segAddr)
	heap = e.alloc(hb)

	// Symbol nodes of up to 2*leafK entries, in name order.
	var children []uint64
	var lastKey []uint64 // heap offset of the last name in each child
	for lo := 0; lo < len(entries) || lo == 0 && len(entries) == 0; lo += 2 * leafK {
		if len(entries) == 0 {
			break
		}
		hi := min(len(entries), lo+2*leafK)
		b := []byte{'S', 'N', 'O', 'D', 1, 0}
		b = le.AppendUint16(b, uint16(hi-lo))
		for _, en := range entries[lo:hi] {
			b = appendEntry(b, en.nameOff, en.header, en.btree, en.heap, en.isGroup)
		}
		b = append(b, make([]byte, snodSize-len(b))...)
		children = append(children, e.alloc(b))
		lastKey = append(lastKey, entries[hi-1].nameOff)
	}
	btree = e.btree(0, children, lastKey)

	msgs := [][]byte{message(0x0011, 0, le.AppendUint64(le.AppendUint64(nil, btree), heap))}
	for i := range g.attrs {
		msgs = append(msgs, e.attribute(&g.attrs[i]))
	}
	return e.objectHeader(msgs), btree, heap
}

// btree writes the group B-tree over children (symbol nodes at level 0),
// adding levels while a node would hold more than 2*internalK children, and
// returns the root's address.
func (e *encoder) btree(level int, children, lastKey []uint64) uint64 {
	nodes := max(1, (len(children)+2*internalK-1)/(2*internalK))
	first := e.base + uint64(len(e.meta))
	var parents, parentKeys []uint64
	for i := 0; i < nodes; i++ {
		lo, hi := i*2*internalK, min(len(children), (i+1)*2*internalK)
		b := []byte{'T', 'R', 'E', 'E', 0, byte(level)}
		b = le.AppendUint16(b, uint16(hi-lo))
		left, right := uint64(undefinedAddr), uint64(undefinedAddr)
		if i > 0 {
			left = first + uint64(i-1)*btreeNodeSize
		}
		if i < nodes-1 {
			right = first + uint64(i+1)*btreeNodeSize
		}
		b = le.AppendUint64(b, left)
		b = le.AppendUint64(b, right)
		// key 0, child 0, key 1, ...: key i+1 is the last name under child i.
		b = le.AppendUint64(b, 0)
		for j := lo; j < hi; j++ {
			b = le.AppendUint64(b, children[j])
			b = le.AppendUint64(b, lastKey[j])
		}
		b = append(b, make([]byte, btreeNodeSize-len(b))...)
		parents = append(parents, e.alloc(b))
		if hi > lo {
			parentKeys = append(parentKeys, lastKey[hi-1])
		} else {
			parentKeys = append(parentKeys, 0)
		}
	}
	if nodes == 1 {
		return parents[0]
	}
	return e.btree(level+1, parents, parentKeys)
}

// dataset writes d's object header.
func (e *encoder) dataset(d *Dataset) uint64 {
	msgs := [][]byte{
		message(0x0001, 0, dataspace(d.shape, true)),
		message(0x0003, 1, d.datatype()),
		message(0x0005, 1, []byte{2, 2, 2, 1, 0, 0, 0, 0}), // fill: alloc late, write if set, default value
		message(0x0008, 0, contiguousLayout(d)),
	}
	for i := range d.attrs {
		msgs = append(msgs, e.attribute(&d.attrs[i]))
	}
	return e.objectHeader(msgs)
}

func contiguousLayout(d *Dataset) []byte {
	b := []byte{3, 1}
	size := d.byteLen()
	if size == 0 {
		b = le.AppendUint64(b, undefinedAddr)
	} else {
		b = le.AppendUint64(b, d.addr)
	}
	return le.AppendUint64(b, size)
}

// objectHeader writes a version-1 object header holding msgs.
func (e *encoder) objectHeader(msgs [][]byte) uint64 {
	size := 0
	for _, m := range msgs {
		size += len(m)
	}
	b := []byte{1, 0}
	b = le.AppendUint16(b, uint16(len(msgs)))
	b = le.AppendUint32(b, 1) // reference count
	b = le.AppendUint32(b, uint32(size))
	b = le.AppendUint32(b, 0) // alignment to 8
	for _, m := range msgs {
		b = append(b, m...)
	}
	return e.alloc(b)
}

// message frames a header message: type, size, flags, and data padded to 8.
func message(typ uint16, flags byte, data []byte) []byte {
	data = padBytes(append([]byte(nil), data...))
	b := le.AppendUint16(nil, typ)
	b = le.AppendUint16(b, uint16(len(data)))
	b = append(b, flags, 0, 0, 0)
	return append(b, data...)
}

// dataspace encodes a version-1 dataspace; rank 0 is a scalar.
func dataspace(shape []int, withMax bool) []byte {
	flags := byte(0)
	if withMax && len(shape) > 0 {
		flags = 1
	}
	b := []byte{1, byte(len(shape)), flags, 0, 0, 0, 0, 0}
	for _, d := range shape {
		b = le.AppendUint64(b, uint64(d))
	}
	if flags == 1 {
		for _, d := range shape {
			b = le.AppendUint64(b, uint64(d))
		}
	}
	return b
}

var (
	// IEEE little-endian float32 and float64 (class 1, version 1).
	float32Type = []byte{0x11, 0x20, 0x1f, 0x00, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 0x7f, 0, 0, 0}
	float64Type = []byte{0x11, 0x20, 0x3f, 0x00, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0}
	// Signed 8-bit little-endian integer (class 0, version 1, bit 3: signed),
	// offset 0, precision 8.
	int8Type = []byte{0x10, 0x08, 0x00, 0x00, 1, 0, 0, 0, 0, 0, 8, 0}
	// Variable-length ASCII string, NUL-terminated, over unsigned bytes.
	vlenStringType = []byte{0x19, 0x01, 0x00, 0x00, 16, 0, 0, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0}
	// vlenUTF8Type is vlenStringType with the UTF-8 character set (bits 8-11).
	vlenUTF8Type = []byte{0x19, 0x01, 0x01, 0x00, 16, 0, 0, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0}
)

// datatype is the dataset's element type message.
func (d *Dataset) datatype() []byte {
	if d.i8 != nil {
		return int8Type
	}
	return float32Type
}

// fixedStringType is a NUL-padded ASCII string of width bytes.
func fixedStringType(width int) []byte {
	return le.AppendUint32([]byte{0x13, 0x01, 0x00, 0x00}, uint32(width))
}

// attribute encodes a version-1 attribute message.
func (e *encoder) attribute(a *attr) []byte {
	var dt, ds, data []byte
	switch a.kind {
	case vlenString:
		dt, ds = vlenStringType, dataspace(nil, false)
		if a.utf8 {
			dt = vlenUTF8Type
		}
		data = le.AppendUint32(nil, uint32(len(a.strs[0])))
		data = le.AppendUint64(data, e.heap)
		data = le.AppendUint32(data, e.strings[a])
	case fixedStrings:
		dt, ds = fixedStringType(a.width), dataspace([]int{len(a.strs)}, false)
		for _, s := range a.strs {
			data = append(data, s...)
			data = append(data, make([]byte, a.width-len(s))...)
		}
	case emptyFloat64:
		dt, ds = float64Type, dataspace([]int{0}, false)
	}
	b := []byte{1, 0}
	b = le.AppendUint16(b, uint16(len(a.name)+1))
	b = le.AppendUint16(b, uint16(len(dt)))
	b = le.AppendUint16(b, uint16(len(ds)))
	b = padBytes(append(append(b, a.name...), 0))
	b = padBytes(append(b, dt...))
	b = padBytes(append(b, ds...))
	b = append(b, data...)
	return message(0x000C, 0, b)
}

// maxMessage is the largest header message a version-1 object header holds
// (its size field has 16 bits).
const maxMessage = 0xFFFF - 8

// check reports attributes too large for one header message. (Keras splits
// long name lists into name0, name1, ... itself; see weightsio.)
func (g *Group) check(path string) error {
	for _, a := range g.attrs {
		if n := a.encodedSize(); n > maxMessage {
			return fmt.Errorf("h5write: attribute %q of %s is %d bytes, more than an object header message holds (%d)", a.name, path, n, maxMessage)
		}
	}
	for _, name := range g.members() {
		if sub, ok := g.groups[name]; ok {
			if err := sub.check(path + name + "/"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a attr) encodedSize() int {
	n := 8 + int(pad8(uint64(len(a.name)+1))) + 24 + 16
	if a.kind == fixedStrings {
		n += a.width * len(a.strs)
	}
	return n
}
