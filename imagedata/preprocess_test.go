package imagedata

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"testing"

	"github.com/keelml/keel/internal/testenv"
)

// readNpyF32 reads a little-endian float32 .npy file (version 1 header).
func readNpyF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x93NUMPY")) || !bytes.Contains(b[:128], []byte("'<f4'")) {
		t.Fatalf("%s: not a little-endian float32 .npy", path)
	}
	start := 10 + int(binary.LittleEndian.Uint16(b[8:]))
	out := make([]float32, (len(b)-start)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[start+4*i:]))
	}
	return out
}

// TestPreprocessMatchesKeras compares with keras_applications' preprocess_input
// outputs in the shared golden data.
func TestPreprocessMatchesKeras(t *testing.T) {
	for _, c := range []struct {
		raw, want string
		fn        func([]float32, int, int)
	}{
		{"raw_2x64x64x3.npy", "caffe_2x64x64x3.npy", PreprocessCaffe},
		{"raw_2x128x128x3.npy", "tf_2x128x128x3.npy", PreprocessTF},
	} {
		dir := testenv.Shared(t, "golden", "inputs")
		x := readNpyF32(t, dir+"/"+c.raw)
		want := readNpyF32(t, dir+"/"+c.want)
		c.fn(x, 0, 0)
		d, at := maxAbsDiff(x, want)
		t.Logf("%s: largest difference %g", c.want, d)
		if d > 1e-5 {
			t.Errorf("%s: differs by %g at %d", c.want, d, at)
		}
	}
}

func TestPreprocessTorch(t *testing.T) {
	x := []float32{0, 127.5, 255, 255, 255, 255}
	PreprocessTorch(x, 1, 2)
	want := []float32{-0.485 / 0.229, (0.5 - 0.456) / 0.224, (1 - 0.406) / 0.225,
		(1 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225}
	if d, at := maxAbsDiff(x, want); d > 1e-6 {
		t.Errorf("differs by %g at %d: %v", d, at, x)
	}
}
