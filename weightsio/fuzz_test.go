package weightsio_test

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/hostile"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/weightsio"
)

// FuzzOpenArchive opens arbitrary bytes as a Keras file and reads every
// weight, seeded with .keras archives: never a panic, every error naming the
// file, and no input allocating more than hostile.FuzzAlloc.
func FuzzOpenArchive(f *testing.F) {
	archives, err := filepath.Glob(testenv.Testdata(f, "h5", "synthetic", "*.keras"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range archives {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) < 64<<10 { // bigger seeds only slow the fuzzer down
			f.Add(b)
		}
	}
	h5 := smallH5(f)
	f.Add(archive(f, member{name: "model.weights.h5", data: h5}, member{name: "config.json", method: zip.Deflate, data: deflated(f, []byte(`{"a": [1]}`)), size: 10}))
	f.Add(archive(f, member{name: "model.weights.h5", method: zip.Deflate, data: deflated(f, make([]byte, 4<<20)), size: 4 << 20}))
	f.Fuzz(func(t *testing.T, b []byte) {
		hostile.CheckAlloc(t, func() {
			file, err := weightsio.NewFile(bytes.NewReader(b), int64(len(b)), "fuzz.keras")
			if err == nil {
				file.HDF5().MaxDataBytes = 1 << 20
				_, err = file.ReadAllFloat32()
			}
			if err != nil && !strings.Contains(err.Error(), "fuzz.keras") {
				t.Fatalf("error %q does not name the file", err)
			}
		})
	})
}
