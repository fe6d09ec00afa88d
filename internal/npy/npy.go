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
)

var (
	descrRE = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	orderRE = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	shapeRE = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// Read reads the .npy file at path.
func Read(path string) (shape []int, data []float32, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	shape, data, err = Decode(bufio.NewReader(f))
	if err != nil {
		return nil, nil, fmt.Errorf("npy: %s: %w", path, err)
	}
	return shape, data, nil
}

// Decode reads one array in .npy format from r.
func Decode(r io.Reader) (shape []int, data []float32, err error) {
	var magic [8]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, nil, err
	}
	if !bytes.Equal(magic[:6], []byte("\x93NUMPY")) {
		return nil, nil, fmt.Errorf("not an .npy file (magic %q)", magic[:6])
	}
	var hlen int
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
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, nil, fmt.Errorf("unsupported .npy version %d", magic[6])
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
	descr := m[1]
	if m := orderRE.FindStringSubmatch(h); m != nil && m[1] == "True" {
		return nil, nil, fmt.Errorf("fortran_order arrays are not supported")
	}
	m = shapeRE.FindStringSubmatch(h)
	if m == nil {
		return nil, nil, fmt.Errorf("header without shape: %q", h)
	}
	shape = []int{}
	count := 1
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
		count *= d
	}
	var size int
	switch descr {
	case "<f4", "<i4":
		size = 4
	case "<f8", "<i8":
		size = 8
	default:
		return nil, nil, fmt.Errorf("unsupported dtype %q (want little-endian f4, f8, i4 or i8)", descr)
	}
	raw := make([]byte, count*size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, nil, fmt.Errorf("data: %w", err)
	}
	data = make([]float32, count)
	for i := range data {
		b := raw[i*size:]
		switch descr {
		case "<f4":
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
		case "<f8":
			data[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b)))
		case "<i4":
			data[i] = float32(int32(binary.LittleEndian.Uint32(b)))
		case "<i8":
			data[i] = float32(int64(binary.LittleEndian.Uint64(b)))
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
