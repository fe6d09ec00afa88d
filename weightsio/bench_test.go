package weightsio_test

import (
	"os"
	"testing"

	"github.com/keelml/keel/weightsio"
)

// BenchmarkReadVGG16 compares reading every weight of the 58.9 MB VGG16
// no-top file as float32 with reading its bytes. Make the file with
// testdata/h5/make_vgg16_notop.py, then:
//
//	KEEL_VGG16_H5=/tmp/vgg16_notop.h5 go test -run '^$' -bench ReadVGG16 ./weightsio/
func BenchmarkReadVGG16(b *testing.B) {
	path := os.Getenv("KEEL_VGG16_H5")
	if path == "" {
		b.Skip("set KEEL_VGG16_H5 to a VGG16 no-top weights file (testdata/h5/make_vgg16_notop.py)")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("raw-bytes", func(b *testing.B) {
		b.SetBytes(st.Size())
		for b.Loop() {
			if _, err := os.ReadFile(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Into preallocated tensors, as a model loader does: parsing plus reads.
	b.Run("weightsio-into", func(b *testing.B) {
		f, err := weightsio.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		var dst [][]float32
		for _, l := range f.Layers() {
			for _, w := range l.Weights {
				dst = append(dst, make([]float32, w.Len()))
			}
		}
		f.Close()
		b.SetBytes(st.Size())
		for b.Loop() {
			f, err := weightsio.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for _, l := range f.Layers() {
				for _, w := range l.Weights {
					if err := w.ReadFloat32Into(dst[i]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			}
			f.Close()
		}
	})
	// ReadAllFloat32: one new slice for all weights, as os.ReadFile allocates one.
	b.Run("weightsio-readall", func(b *testing.B) {
		b.SetBytes(st.Size())
		for b.Loop() {
			f, err := weightsio.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.ReadAllFloat32(); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	// Into new slices: the above plus allocating and zeroing 58.9 MB.
	b.Run("weightsio", func(b *testing.B) {
		b.SetBytes(st.Size())
		for b.Loop() {
			f, err := weightsio.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			values := 0
			for _, l := range f.Layers() {
				for _, w := range l.Weights {
					v, err := w.Float32()
					if err != nil {
						b.Fatal(err)
					}
					values += len(v)
				}
			}
			f.Close()
			if values != 14714688 {
				b.Fatalf("read %d values, want VGG16 no-top's 14714688", values)
			}
		}
	})
}
