// Package npy reads and writes NumPy .npy files holding little-endian float32
// arrays in C order, the format of Keel's golden test data. Other dtypes
// (float64, int32, int64) are converted to float32 on reading.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/keelml/keel/internal/sizes"
)

var (
	descrRE = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	orderRE = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	shapeRE = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// maxHeader bounds the header's length (numpy's reader accepts 10000 bytes
// by default).
const maxHeader = 1 << 20

// chunk is how much data Decode reads at a time from a reader of unknown
// length, so that memory grows with the bytes that arrive, not with the
// shape a header declares.
const chunk = 1 << 20

// Read reads the .npy file at path. The shape its header declares is checked
// against the file's length before anything is allocated for the data.
func Read(path string) (shape []int, data []float32, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	shape, data, err = decode(bufio.NewReader(f), st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	return shape, data, nil
}

// Decode reads one array in .npy format from r, reading the data in chunks:
// a header declaring more than r holds is an error once r ends, having
// allocated about what r held.
func Decode(r io.Reader) (shape []int, data []float32, err error) { return decode(r, -1) }

// dtypes are the element types read, by descr.
var dtypes = map[string]struct {
	name string
	size int
	conv func([]byte) float32
}{
	"<f4": {"float32", 4, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }},
	"<f8": {"float64", 8, func(b []byte) float32 { return float32(math.Float64frombits(binary.LittleEndian.Uint64(b))) }},
	"<i4": {"int32", 4, func(b []byte) float32 { return float32(int32(binary.LittleEndian.Uint32(b))) }},
	"<i8": {"int64", 8, func(b []byte) float32 { return float32(int64(binary.LittleEndian.Uint64(b))) }},
}

// decode reads from r, which holds size bytes in all (-1: unknown).
func decode(r io.Reader, size int64) (shape []int, data []float32, err error) {
	var magic [8]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, nil, err
	}
	if !bytes.Equal(magic[:6], []byte("\x93NUMPY")) {
		return nil, nil, fmt.Errorf("not an .npy file (magic %q)", magic[:6])
	}
	var hlen int
	pre := int64(10)
	switch magic[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, nil, err
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, nil, err
		}
		hlen, pre = int(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return nil, nil, fmt.Errorf("unsupported .npy version %d", magic[6])
	}
	switch {
	case size >= 0 && int64(hlen) > size-pre:
		return nil, nil, fmt.Errorf("header declares %d bytes, the file holds %d after the header length", hlen, max(size-pre, 0))
	case hlen > maxHeader:
		return nil, nil, fmt.Errorf("header declares %d bytes, more than the %d accepted", hlen, maxHeader)
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, nil, err
	}
	h := string(header)
	m := descrRE.FindStringSubmatch(h)
	if m == nil {
		return nil, nil, fmt.Errorf("header without descr: %q", h)
	}
	dt, ok := dtypes[m[1]]
	if !ok {
		return nil, nil, fmt.Errorf("unsupported dtype %q (want little-endian f4, f8, i4 or i8)", m[1])
	}
	if m := orderRE.FindStringSubmatch(h); m != nil && m[1] == "True" {
		return nil, nil, fmt.Errorf("fortran_order arrays are not supported")
	}
	m = shapeRE.FindStringSubmatch(h)
	if m == nil {
		return nil, nil, fmt.Errorf("header without shape: %q", h)
	}
	shape = []int{}
	for _, s := range strings.Split(m[1], ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		d, err := strconv.Atoi(s)
		if err != nil || d < 0 {
			return nil, nil, fmt.Errorf("bad shape %q", m[1])
		}
		shape = append(shape, d)
	}
	// The product in float64 neither overflows nor wraps; an exact count
	// follows once it is known to fit.
	want := sizes.Product(shape) * float64(dt.size)
	avail := size - pre - int64(hlen)
	switch {
	case size >= 0 && want > float64(avail):
		return nil, nil, fmt.Errorf("header declares shape %s = %s of %s, the file holds %s", sizes.Shape(shape), sizes.Bytes(want), dt.name, sizes.Bytes(float64(avail)))
	case want > math.MaxInt/2:
		return nil, nil, fmt.Errorf("header declares shape %s = %s of %s, more than memory can hold", sizes.Shape(shape), sizes.Bytes(want), dt.name)
	}
	count := int(want) / dt.size
	capacity := count // checked against the file
	if size < 0 {
		capacity = min(count, chunk/dt.size)
	}
	data = make([]float32, 0, capacity)
	buf := make([]byte, min(count*dt.size, chunk))
	for len(data) < count {
		b := buf[:min(len(buf), (count-len(data))*dt.size)]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, nil, fmt.Errorf("header declares shape %s = %s of %s, the data ends after %s: %w",
				sizes.Shape(shape), sizes.Bytes(want), dt.name, sizes.Bytes(float64(len(data)*dt.size)), err)
		}
		for i := 0; i < len(b); i += dt.size {
			data = append(data, dt.conv(b[i:]))
		}
	}
	return shape, data, nil
}

// Write writes data with the given shape as a little-endian float32 .npy file.
func Write(path string, shape []int, data []float32) error {
	var buf bytes.Buffer
	if err := Encode(&buf, shape, data); err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// Encode writes data with the given shape to w in .npy version 1.0 format.
func Encode(w io.Writer, shape []int, data []float32) error {
	count := 1
	dims := make([]string, len(shape))
	for i, d := range shape {
		count *= d
		dims[i] = strconv.Itoa(d)
	}
	if count != len(data) {
		return fmt.Errorf("shape %v holds %d values, data has %d", shape, count, len(data))
	}
	st := strings.Join(dims, ", ")
	if len(shape) == 1 {
		st += ","
	}
	h := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", st)
	// Pad with spaces so that magic + length + header + '\n' is a multiple of 64.
	total := 10 + len(h) + 1
	h += strings.Repeat(" ", (64-total%64)%64) + "\n"
	out := make([]byte, 0, 10+len(h)+4*len(data))
	out = append(out, "\x93NUMPY\x01\x00"...)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(h)))
	out = append(out, h...)
	for _, v := range data {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	_, err := w.Write(out)
	return err
}
