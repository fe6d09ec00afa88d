package hdf5

import (
	"encoding/binary"
	"io"
	"math"
	"unsafe"
)

// decodeDataset gathers what reading a dataset needs from its header.
func (f *File) decodeDataset(n node) (*Dataset, error) {
	d := &Dataset{node: n}
	space := n.hdr.find(msgDataspace)
	dtype := n.hdr.find(msgDatatype)
	if space == nil || dtype == nil {
		return nil, errf("dataset without a dataspace or datatype message")
	}
	b, err := f.messageData(space)
	if err != nil {
		return nil, err
	}
	s, err := f.decodeDataspace(b)
	if err != nil {
		return nil, err
	}
	d.Shape, d.NullSpace, d.maxShape = s.shape, s.null, s.maxShape
	if d.Shape == nil {
		d.Shape = []int{}
	}
	if b, err = f.messageData(dtype); err != nil {
		return nil, err
	}
	if d.Type, err = f.decodeDatatype(b); err != nil {
		return nil, err
	}
	if d.layout, err = f.decodeLayout(n.hdr.find(msgLayout).data); err != nil {
		return nil, err
	}
	d.fill = f.decodeFillValue(n.hdr, d.Type.Size)
	if m := n.hdr.find(msgFilters); m != nil {
		if d.filters, err = f.decodeFilters(m.data); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Len is the number of elements.
func (d *Dataset) Len() int {
	if d.NullSpace {
		return 0
	}
	n := 1
	for _, x := range d.Shape {
		n *= x
	}
	return n
}

// Layout names the storage layout: compact, contiguous or chunked.
func (d *Dataset) Layout() string { return d.layout.className() }

// Filters names the filters of a chunked dataset's pipeline (deflate, ...).
func (d *Dataset) Filters() []string {
	var names []string
	for _, fl := range d.filters {
		names = append(names, fl.name())
	}
	return names
}

// byteSize is the size of all elements, checked against the memory limit.
func (d *Dataset) byteSize() (int, error) {
	n := uint64(d.Len())
	size := uint64(d.Type.Size)
	if n != 0 && size > uint64(d.f.maxData())/n {
		return 0, d.err(errf("%d elements of %d bytes exceed the %d-byte limit", n, size, d.f.maxData()))
	}
	return int(n * size), nil
}

// rawReader returns the dataset's stored bytes as a ReaderAt over exactly
// size bytes, without reading them yet when they are contiguous.
func (d *Dataset) rawReader(size int) (io.ReaderAt, error) {
	l := d.layout
	switch l.class {
	case layoutCompact:
		if len(l.compact) < size {
			return nil, d.err(errf("compact data holds %d bytes, want %d", len(l.compact), size))
		}
		return bytesReaderAt(l.compact[:size]), nil
	case layoutContiguous:
		if l.addr == undefinedAddress { // never written: the fill value
			if d.fill != nil {
				return fillReaderAt(d.fill), nil
			}
			return zeroReaderAt{}, nil
		}
		if l.hasSize && l.size < uint64(size) {
			return nil, d.err(errf("contiguous data holds %d bytes, want %d", l.size, size))
		}
		abs, err := d.f.checkRange(l.addr, uint64(size), "contiguous data")
		if err != nil {
			return nil, d.err(err)
		}
		return io.NewSectionReader(d.f.r, abs, int64(size)), nil
	case layoutChunked:
		b, err := d.readChunked(size)
		if err != nil {
			return nil, d.err(err)
		}
		return bytesReaderAt(b), nil
	}
	return nil, d.err(unsupportedf("%s layout", l.className()))
}

// ReadRaw returns the stored bytes of all elements, in the file's byte order.
func (d *Dataset) ReadRaw() ([]byte, error) {
	size, err := d.byteSize()
	if err != nil {
		return nil, err
	}
	r, err := d.rawReader(size)
	if err != nil {
		return nil, err
	}
	b := make([]byte, size)
	if err := readFull(r, b, 0); err != nil {
		return nil, d.err(err)
	}
	return b, nil
}

// ReadRawLE returns the bytes of all elements in little-endian order: for
// integers and floats stored big-endian each element is byte-swapped.
func (d *Dataset) ReadRawLE() ([]byte, error) {
	b, err := d.ReadRaw()
	if err != nil {
		return nil, err
	}
	if d.Type.BigEndian && (d.Type.Class == ClassInteger || d.Type.Class == ClassFloat) {
		swapElements(b, d.Type.Size)
	}
	return b, nil
}

func swapElements(b []byte, size int) {
	for i := 0; i+size <= len(b); i += size {
		e := b[i : i+size]
		for l, r := 0, size-1; l < r; l, r = l+1, r-1 {
			e[l], e[r] = e[r], e[l]
		}
	}
}

// ReadFloat32 reads a numeric dataset into a new float32 slice in C order.
func (d *Dataset) ReadFloat32() ([]float32, error) {
	r, err := d.numericReader()
	if err != nil {
		return nil, err
	}
	// Allocated only once the data is known to lie inside the file.
	dst := make([]float32, d.Len())
	return dst, d.readFloat32(dst, r)
}

// numericReader checks that the dataset converts to float32 and returns its
// stored bytes.
func (d *Dataset) numericReader() (io.ReaderAt, error) {
	if !d.Type.IsFloat() && !d.Type.IsInteger() {
		return nil, d.err(errf("holds %s values, which do not convert to float32", d.Type.Name()))
	}
	size, err := d.byteSize()
	if err != nil {
		return nil, err
	}
	return d.rawReader(size)
}

// convertBlock is how many bytes are converted at a time when the file's
// type is not the host's float32.
const convertBlock = 64 << 10

// ReadFloat32Into reads a numeric dataset into dst (len(dst) == d.Len()):
// float16 and float64 are rounded to nearest even, integers converted. Little-
// endian float32 data is read straight into dst, with no copy.
func (d *Dataset) ReadFloat32Into(dst []float32) error {
	if len(dst) != d.Len() {
		return d.err(errf("destination holds %d values, dataset %d", len(dst), d.Len()))
	}
	r, err := d.numericReader()
	if err != nil {
		return err
	}
	return d.readFloat32(dst, r)
}

func (d *Dataset) readFloat32(dst []float32, r io.ReaderAt) error {
	t := d.Type
	if t.IsFloat() && t.Size == 4 && !t.BigEndian && hostLittleEndian {
		return d.err(readFull(r, float32Bytes(dst), 0))
	}
	elems := convertBlock / t.Size
	buf := make([]byte, min(len(dst), elems)*t.Size)
	for start := 0; start < len(dst); start += elems {
		n := min(elems, len(dst)-start)
		b := buf[:n*t.Size]
		if err := readFull(r, b, int64(start*t.Size)); err != nil {
			return d.err(err)
		}
		convertToFloat32(dst[start:start+n], b, t)
	}
	return nil
}

// convertToFloat32 converts len(dst) elements of type t from src.
func convertToFloat32(dst []float32, src []byte, t *Datatype) {
	var order binary.ByteOrder = binary.LittleEndian
	if t.BigEndian {
		order = binary.BigEndian
	}
	switch {
	case t.IsFloat() && t.Size == 2:
		for i := range dst {
			dst[i] = halfToFloat32(order.Uint16(src[2*i:]))
		}
	case t.IsFloat() && t.Size == 4:
		for i := range dst {
			dst[i] = math.Float32frombits(order.Uint32(src[4*i:]))
		}
	case t.IsFloat() && t.Size == 8:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(order.Uint64(src[8*i:])))
		}
	case t.Signed:
		for i := range dst {
			dst[i] = float32(signExtend(decodeUint(src[i*t.Size:(i+1)*t.Size], t.BigEndian), t.Size))
		}
	default:
		for i := range dst {
			dst[i] = float32(decodeUint(src[i*t.Size:(i+1)*t.Size], t.BigEndian))
		}
	}
}

var hostLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// float32Bytes views a float32 slice as its bytes (host order).
func float32Bytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

// Float32LE returns the little-endian bytes of v (a view on little-endian
// hosts), the input of the sha256_f32le checksum.
func Float32LE(v []float32) []byte {
	if hostLittleEndian {
		return float32Bytes(v)
	}
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func readFull(r io.ReaderAt, b []byte, off int64) error {
	if len(b) == 0 {
		return nil
	}
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return errf("reading data: %v", err)
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

type zeroReaderAt struct{}

func (zeroReaderAt) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	return len(p), nil
}
