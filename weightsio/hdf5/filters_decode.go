package hdf5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
)

// decode undoes one filter on a chunk of g.
func (fl filter) decode(data []byte, g *chunkGrid) ([]byte, error) {
	switch fl.id {
	case filterDeflate:
		return inflate(data, g.chunkBytes)
	case filterShuffle:
		size := g.elem
		if len(fl.params) > 0 {
			size = int(fl.params[0])
		}
		return unshuffle(data, size), nil
	case filterFletcher32:
		return checkFletcher32(data)
	}
	return nil, unsupportedf("filter %s (id %d)", fl.name(), fl.id)
}

// inflate decompresses a zlib stream, stopping at the declared chunk size.
func inflate(data []byte, limit uint64) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, errf("deflate: %v", err)
	}
	defer zr.Close()
	out := make([]byte, 0, limit)
	buf := bytes.NewBuffer(out)
	n, err := io.Copy(buf, io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, errf("deflate: %v", err)
	}
	if uint64(n) > limit {
		return nil, errf("deflate: chunk decompresses past its %d bytes", limit)
	}
	return buf.Bytes(), nil
}

// unshuffle undoes the byte shuffle: byte j of every element was stored
// together; trailing bytes that make no whole element stay in place.
func unshuffle(data []byte, size int) []byte {
	if size <= 1 || len(data) < size {
		return data
	}
	n := len(data) / size
	out := make([]byte, len(data))
	for j := 0; j < size; j++ {
		src := data[j*n : (j+1)*n]
		for i, b := range src {
			out[i*size+j] = b
		}
	}
	copy(out[n*size:], data[n*size:])
	return out
}

// checkFletcher32 verifies and strips the trailing Fletcher-32 checksum.
func checkFletcher32(data []byte) ([]byte, error) {
	if len(data) < 4 {
		return nil, errf("fletcher32: chunk of %d bytes", len(data))
	}
	body := data[:len(data)-4]
	stored := binary.LittleEndian.Uint32(data[len(data)-4:])
	sum := fletcher32(body)
	// Files from libhdf5 before 1.6.3 stored it byte-swapped.
	swapped := sum>>24 | sum>>8&0xff00 | sum<<8&0xff0000 | sum<<24
	if stored != sum && stored != swapped {
		return nil, errf("fletcher32 checksum %#x, computed %#x", stored, sum)
	}
	return body, nil
}

// fletcher32 is H5_checksum_fletcher32: 16-bit big-endian words, the last
// odd byte as a high byte.
func fletcher32(b []byte) uint32 {
	var sum1, sum2 uint32
	for len(b) >= 2 {
		n := min(len(b)/2, 360)
		for i := 0; i < n; i++ {
			sum1 += uint32(b[0])<<8 | uint32(b[1])
			sum2 += sum1
			b = b[2:]
		}
		sum1 = (sum1 & 0xffff) + (sum1 >> 16)
		sum2 = (sum2 & 0xffff) + (sum2 >> 16)
	}
	if len(b) == 1 {
		sum1 += uint32(b[0]) << 8
		sum2 += sum1
		sum1 = (sum1 & 0xffff) + (sum1 >> 16)
		sum2 = (sum2 & 0xffff) + (sum2 >> 16)
	}
	sum1 = (sum1 & 0xffff) + (sum1 >> 16)
	sum2 = (sum2 & 0xffff) + (sum2 >> 16)
	return sum2<<16 | sum1
}
