package hdf5

import (
	"math"
	"testing"
)

func TestHalfToFloat32(t *testing.T) {
	tests := []struct {
		half uint16
		want float32
	}{
		{0x0000, 0},
		{0x3c00, 1},
		{0xc000, -2},
		{0x7bff, 65504},                          // largest finite
		{0x0001, float32(math.Ldexp(1, -24))},    // smallest subnormal
		{0x03ff, float32(math.Ldexp(1023, -24))}, // largest subnormal
		{0x0400, float32(math.Ldexp(1, -14))},    // smallest normal
		{0x3555, float32(0.333251953125)},        // 1/3 rounded
		{0x7c00, float32(math.Inf(1))},
		{0xfc00, float32(math.Inf(-1))},
	}
	for _, tc := range tests {
		if got := halfToFloat32(tc.half); got != tc.want {
			t.Errorf("halfToFloat32(%#04x) = %v, want %v", tc.half, got, tc.want)
		}
	}
	if got := halfToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("negative zero: got %v", got)
	}
	if got := halfToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("NaN: got %v", got)
	}
}

func TestLookup3(t *testing.T) {
	// Vectors from lookup3.c's driver5 (hashlittle with initval 0).
	tests := []struct {
		in   string
		want uint32
	}{
		{"", 0xdeadbeef},
		{"Four score and seven years ago", 0x17770551},
	}
	for _, tc := range tests {
		if got := lookup3([]byte(tc.in)); got != tc.want {
			t.Errorf("lookup3(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}

func TestUnshuffle(t *testing.T) {
	// Three 4-byte elements shuffled byte-plane by byte-plane, plus a tail.
	shuffled := []byte{1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12, 99}
	got := unshuffle(shuffled, 4)
	want := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99}
	if string(got) != string(want) {
		t.Errorf("unshuffle = %v, want %v", got, want)
	}
}

func TestInflateStopsAtChunkSize(t *testing.T) {
	// zlib stream of 1000 zero bytes.
	stream := []byte{0x78, 0x9c, 0x63, 0x60, 0x18, 0x05, 0xa3, 0x60, 0x14, 0x0c, 0x77, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x01}
	if b, err := inflate(stream, 1000); err != nil || len(b) != 1000 {
		t.Fatalf("inflate: %d bytes, %v", len(b), err)
	}
	if _, err := inflate(stream, 100); err == nil {
		t.Error("inflating 1000 bytes with a 100-byte limit: no error")
	}
}

func TestEncSize(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want int
	}{{0, 1}, {1, 1}, {255, 1}, {256, 2}, {65535, 2}, {65536, 3}, {1 << 40, 6}} {
		if got := encSize(tc.n); got != tc.want {
			t.Errorf("encSize(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}
