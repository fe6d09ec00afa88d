package npy

import (
	"bytes"
	"testing"

	"github.com/keelml/keel/internal/hostile"
)

// FuzzDecode decodes arbitrary bytes, as a reader of unknown length and as a
// file of known length: never a panic, never allocating far beyond the input,
// and a decoded array holds what its shape says.
func FuzzDecode(f *testing.F) {
	for _, shape := range [][]int{{}, {3}, {2, 3}, {1, 2, 2, 3}} {
		var b bytes.Buffer
		n := 1
		for _, d := range shape {
			n *= d
		}
		if err := Encode(&b, shape, make([]float32, n)); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add(hostile.NPY("<f8", []int{2, 2}, 32))
	f.Add(hostile.NPY("<i4", []int{100000, 100000, 3}, 128))
	f.Add(hostile.NPY("<i8", []int{1 << 40, 1 << 40}, 16))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, size := range []int64{-1, int64(len(b))} {
			hostile.CheckAlloc(t, func() {
				shape, data, err := decode(bytes.NewReader(b), size)
				if err != nil {
					return
				}
				n := 1
				for _, d := range shape {
					n *= d
				}
				if n != len(data) {
					t.Fatalf("shape %v, %d values", shape, len(data))
				}
			})
		}
	})
}
