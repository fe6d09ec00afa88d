// Package hostile makes small files that declare far more than they hold,
// for the tests and fuzz seeds that check Keel refuses them with an error
// instead of exhausting memory.
package hostile

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/keelml/keel/weightsio"
)

// NPY is a .npy file whose header declares shape of dtype descr ("<f4")
// followed by data bytes of data.
func NPY(descr string, shape []int, data int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	st := strings.Join(dims, ", ")
	if len(shape) == 1 {
		st += ","
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }\n", descr, st)
	b := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(h)))
	b = append(b, h...)
	return append(b, make([]byte, data)...)
}

// SequentialConfig is a Keras 2 model_config: a Sequential of one input of
// shape (h, w, c) and the given layers, each {"class_name":..., "config":...}.
func SequentialConfig(h, w, c int, layers ...string) string {
	in := fmt.Sprintf(`{"class_name": "InputLayer", "config": {"name": "input_1", "batch_input_shape": [null, %d, %d, %d], "dtype": "float32"}}`, h, w, c)
	return fmt.Sprintf(`{"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [%s]}, "keras_version": "2.3.1", "backend": "tensorflow"}`,
		strings.Join(append([]string{in}, layers...), ", "))
}

// Conv2D is the config of a 3x3 Conv2D layer called name.
func Conv2D(name string, filters int) string {
	return fmt.Sprintf(`{"class_name": "Conv2D", "config": {"name": %q, "filters": %d, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "activation": "linear", "use_bias": true}}`, name, filters)
}

// ConvModelH5 writes to dir/name a full-model .h5 whose config declares a
// Conv2D "conv" with filters filters on an 8x8x3 input, while the file holds
// the weights of 4 filters (112 values).
func ConvModelH5(dir, name string, filters int) (string, error) {
	return ModelH5(dir, name, SequentialConfig(8, 8, 3, Conv2D("conv", filters)), ConvWeights("conv", 3, 4))
}

// ConvWeights are the weights of a 3x3 Conv2D from in to out channels.
func ConvWeights(layer string, in, out int) []weightsio.SavedLayer {
	return []weightsio.SavedLayer{{Name: layer, Weights: []weightsio.SavedWeight{
		{Name: layer + "/kernel:0", Shape: []int{3, 3, in, out}, Data: make([]float32, 9*in*out)},
		{Name: layer + "/bias:0", Shape: []int{out}, Data: make([]float32, out)},
	}}}
}

// ModelH5 writes to dir/name a full-model .h5 of the given config and weights.
func ModelH5(dir, name, config string, layers []weightsio.SavedLayer) (string, error) {
	path := filepath.Join(dir, name)
	return path, weightsio.SaveModel(path, layers, weightsio.SaveOptions{ModelConfig: []byte(config)})
}

// FuzzAlloc is the most one fuzz input may make the code under test allocate.
const FuzzAlloc = 256 << 20

// CheckAlloc runs fn and fails t when it allocated more than FuzzAlloc bytes
// (summed, freed or not): an input that makes Keel allocate far beyond its
// size is a finding even when the machine had the memory.
func CheckAlloc(t testing.TB, fn func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > FuzzAlloc {
		t.Fatalf("one input allocated %d bytes, more than the %d allowed", n, FuzzAlloc)
	}
}
