package hdf5

import (
	"bytes"
	"io"
	"sync"

	"github.com/keelml/keel/internal/openfile"
)

// DefaultMaxDataBytes bounds the memory one dataset or attribute value may
// take unless File.MaxDataBytes says otherwise.
const DefaultMaxDataBytes = 4 << 30

// signature starts every HDF5 superblock.
var signature = []byte("\x89HDF\r\n\x1a\n")

// File is an open HDF5 file. Its methods are safe for concurrent use.
type File struct {
	// MaxDataBytes bounds the bytes of any single dataset or attribute value
	// the reader will allocate (DefaultMaxDataBytes when zero).
	MaxDataBytes int64

	name   string
	r      io.ReaderAt
	size   int64
	closer io.Closer

	superblockVersion int
	sizeOff, sizeLen  int
	base              uint64 // base address: file addresses are relative to it
	rootAddr          uint64

	mu      sync.Mutex
	headers map[uint64]*objectHeader
	gheaps  map[uint64]*globalHeap
	links   map[uint64][]Link // by group header address, sorted by name
	// Heaps shared by many objects are decoded once.
	localHeaps   map[uint64][]byte
	fractalHeaps map[uint64]*fractalHeap
}

// Open opens the HDF5 file at path.
func Open(path string) (*File, error) {
	return openfile.Open(path, NewFile, func(f *File, c io.Closer) { f.closer = c })
}

// NewFile reads an HDF5 file of size bytes from r; name is used in errors.
func NewFile(r io.ReaderAt, size int64, name string) (*File, error) {
	f := &File{
		name:    name,
		r:       r,
		size:    size,
		headers: map[uint64]*objectHeader{},
		gheaps:  map[uint64]*globalHeap{},
		links:   map[uint64][]Link{},

		localHeaps:   map[uint64][]byte{},
		fractalHeaps: map[uint64]*fractalHeap{},
	}
	if err := f.readSuperblock(); err != nil {
		return nil, f.wrap("", err)
	}
	return f, nil
}

// Close closes the underlying file when the File was made by Open.
func (f *File) Close() error {
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

// Name is the path or name the file was opened with.
func (f *File) Name() string { return f.name }

// Size is the file's length in bytes.
func (f *File) Size() int64 { return f.size }

// SuperblockVersion is the version of the file's superblock (0 to 3).
func (f *File) SuperblockVersion() int { return f.superblockVersion }

func (f *File) wrap(path string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*Error); ok {
		return err
	}
	return &Error{File: f.name, Path: path, Err: err}
}

func (f *File) maxData() int64 {
	if f.MaxDataBytes > 0 {
		return f.MaxDataBytes
	}
	return DefaultMaxDataBytes
}

// checkRange verifies that n bytes at address addr lie inside the file and
// returns the absolute offset.
func (f *File) checkRange(addr, n uint64, what string) (int64, error) {
	if addr == undefinedAddress {
		return 0, errf("%s has no address", what)
	}
	abs := f.base + addr
	if abs < addr || abs > uint64(f.size) || n > uint64(f.size)-abs {
		return 0, errf("%s at address %d, %d bytes, lies outside the %d-byte file", what, addr, n, f.size)
	}
	return int64(abs), nil
}

// readAt reads n bytes of metadata at address addr (relative to the base).
func (f *File) readAt(addr, n uint64, what string) ([]byte, error) {
	abs, err := f.checkRange(addr, n, what)
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, abs); err != nil && !(err == io.EOF && n == 0) {
		return nil, errf("reading %s at address %d: %v", what, addr, err)
	}
	return b, nil
}

// readSuperblock finds the superblock (at 0, 512, 1024, ... after a user
// block) and decodes it.
func (f *File) readSuperblock() error {
	var at int64 = -1
	sig := make([]byte, len(signature))
	for off := int64(0); off+int64(len(signature)) <= f.size; off = nextSuperblockOffset(off) {
		if _, err := f.r.ReadAt(sig, off); err != nil {
			return errf("reading superblock signature at %d: %v", off, err)
		}
		if bytes.Equal(sig, signature) {
			at = off
			break
		}
	}
	if at < 0 {
		return errf("not an HDF5 file (no superblock signature)")
	}
	// The fixed part is at most 8+8+ (4 addresses + root entry) * 8 bytes.
	n := f.size - at
	if n > 256 {
		n = 256
	}
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, at); err != nil && err != io.EOF {
		return errf("reading superblock: %v", err)
	}
	c := &cursor{b: b}
	c.skip(len(signature))
	f.superblockVersion = int(c.u8())
	switch f.superblockVersion {
	case 0, 1:
		return f.decodeSuperblockV0(c, at)
	case 2, 3:
		return f.decodeSuperblockV2(c, at)
	default:
		return unsupportedf("superblock version %d", f.superblockVersion)
	}
}

func nextSuperblockOffset(off int64) int64 {
	if off == 0 {
		return 512
	}
	return off * 2
}

func (f *File) setSizes(sizeOff, sizeLen int) error {
	for _, s := range []int{sizeOff, sizeLen} {
		if s != 2 && s != 4 && s != 8 {
			return errf("superblock: size of offsets %d / lengths %d not 2, 4 or 8", sizeOff, sizeLen)
		}
	}
	f.sizeOff, f.sizeLen = sizeOff, sizeLen
	return nil
}

func (f *File) decodeSuperblockV0(c *cursor, at int64) error {
	c.skip(3) // free-space, root symbol table entry, reserved
	c.skip(1) // shared header message format version
	sizeOff, sizeLen := int(c.u8()), int(c.u8())
	c.skip(1)
	if c.err != nil {
		return errf("superblock truncated")
	}
	if err := f.setSizes(sizeOff, sizeLen); err != nil {
		return err
	}
	c.sizeOff, c.sizeLen = sizeOff, sizeLen
	c.skip(4) // group leaf / internal node K
	c.skip(4) // file consistency flags
	if f.superblockVersion == 1 {
		c.skip(4) // indexed storage internal node K, reserved
	}
	f.base = c.addr()
	c.addr() // free-space info
	c.addr() // end of file
	c.addr() // driver info
	entry := f.decodeSymbolEntry(c)
	if c.err != nil {
		return errf("superblock truncated: %v", c.err)
	}
	if f.base == undefinedAddress {
		return errf("superblock: undefined base address")
	}
	// Like libhdf5, trust where the superblock was found over the stored
	// base address (they differ only in files moved behind a user block).
	f.base = uint64(at)
	f.rootAddr = entry.header
	return nil
}

func (f *File) decodeSuperblockV2(c *cursor, at int64) error {
	sizeOff, sizeLen := int(c.u8()), int(c.u8())
	if c.err != nil {
		return errf("superblock truncated")
	}
	if err := f.setSizes(sizeOff, sizeLen); err != nil {
		return err
	}
	c.sizeOff, c.sizeLen = sizeOff, sizeLen
	c.skip(1) // file consistency flags
	f.base = c.addr()
	c.addr() // superblock extension
	c.addr() // end of file
	f.rootAddr = c.addr()
	end := c.off
	sum := c.u32()
	if c.err != nil {
		return errf("superblock truncated: %v", c.err)
	}
	if got := lookup3(c.b[:end]); got != sum {
		return errf("superblock checksum %#x, computed %#x", sum, got)
	}
	if f.base == undefinedAddress {
		return errf("superblock: undefined base address")
	}
	f.base = uint64(at)
	return nil
}
