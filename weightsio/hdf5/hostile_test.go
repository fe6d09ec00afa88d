package hdf5_test

import (
	"errors"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/weightsio/hdf5"
)

// exercise reads everything a file holds, as keel inspect --checksums does,
// and returns the first error.
func exercise(f *hdf5.File) error {
	root, err := f.Root()
	if err != nil {
		return err
	}
	var first error
	keep := func(err error) {
		if first == nil && err != nil {
			first = err
		}
	}
	visit := func(obj hdf5.Object) error {
		attrs, err := obj.Attrs()
		keep(err)
		for _, a := range attrs {
			_, err := a.Value()
			keep(err)
		}
		if d, ok := obj.(*hdf5.Dataset); ok {
			if d.Type.IsFloat() || d.Type.IsInteger() {
				_, err = d.ReadFloat32()
			} else {
				_, err = d.ReadRaw()
			}
			keep(err)
		}
		return nil
	}
	visit(root)
	keep(f.Walk(visit))
	return first
}

// hostileSeeds are small real and synthetic files to damage.
func hostileSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	for _, name := range []string{
		"cnn_tf_weights.h5", "conv2d_theano_2.h5", "keras-attention.h5", "hgq_mnist_homogeneous.h5",
		"synthetic/types_and_layouts.h5", "synthetic/latest-layouts.h5",
	} {
		b, err := os.ReadFile(testenv.Testdata(t, "h5", name))
		if err != nil {
			t.Fatal(err)
		}
		seeds[name] = b
	}
	return seeds
}

// openAndExercise must never panic; every error must name the file.
func openAndExercise(t testing.TB, name string, b []byte) {
	t.Helper()
	// No input may take long: crash with a stack trace instead of hanging.
	watchdog := time.AfterFunc(20*time.Second, func() { panic("hdf5: one input took more than 20 s") })
	defer watchdog.Stop()
	f, err := hdf5.NewFile(readerAt(b), int64(len(b)), name)
	if err == nil {
		f.MaxDataBytes = 1 << 20
		err = exercise(f)
	}
	if err != nil {
		var e *hdf5.Error
		if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), name+": ") {
			t.Fatalf("error %q (%T) does not start with the file name", err, err)
		}
	}
}

// TestTruncatedFiles cuts files at many lengths.
func TestTruncatedFiles(t *testing.T) {
	for name, b := range hostileSeeds(t) {
		step := max(1, len(b)/300)
		for n := 0; n < len(b); n += step {
			openAndExercise(t, name, b[:n])
		}
	}
}

// TestCorruptedFiles overwrites a few bytes at random places with values
// that make absurd sizes, offsets and counts.
func TestCorruptedFiles(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	specials := []byte{0x00, 0xff, 0x7f, 0x80, 0x01, 0x10}
	for name, b := range hostileSeeds(t) {
		for i := 0; i < 400; i++ {
			c := append([]byte(nil), b...)
			for j := rng.Intn(4) + 1; j > 0; j-- {
				at := rng.Intn(len(c))
				if rng.Intn(2) == 0 {
					c[at] = specials[rng.Intn(len(specials))]
				} else {
					c[at] = byte(rng.Intn(256))
				}
			}
			openAndExercise(t, name, c)
		}
	}
}

// FuzzOpen fuzzes the whole reader, seeded with real and synthetic files.
// make fuzz runs it briefly. For long runs lower the minimisation time, which
// otherwise spends a minute shrinking each new interesting input:
//
//	go test -run '^$' -fuzz '^FuzzOpen$' -fuzztime 1h -fuzzminimizetime 3s ./weightsio/hdf5/
func FuzzOpen(f *testing.F) {
	for _, b := range hostileSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		openAndExercise(t, "fuzz.h5", b)
	})
}
