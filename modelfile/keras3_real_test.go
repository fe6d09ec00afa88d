package modelfile_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// expectedDatasets reads what h5py found in a real file's model.weights.h5:
// the sha256 of each dataset's values as little-endian float32, and the
// layer name each vars group's name attribute gives.
func expectedDatasets(t *testing.T, rel string) (sums map[string]string, names map[string]string) {
	b, err := os.ReadFile(testenv.Shared(t, "realh5", "expected", rel+".json"))
	require.NoError(t, err)
	var e struct {
		H5 struct {
			Attrs    map[string]map[string]any `json:"attrs"`
			Datasets []struct {
				Path string `json:"path"`
				Sum  string `json:"sha256_f32le"`
			} `json:"datasets"`
		} `json:"h5:model.weights.h5"`
	}
	require.NoError(t, json.Unmarshal(b, &e))
	sums, names = map[string]string{}, map[string]string{}
	for _, d := range e.H5.Datasets {
		sums[d.Path] = d.Sum
	}
	for group, attrs := range e.H5.Attrs {
		if n, ok := attrs["name"].(string); ok {
			names[group] = n
		}
	}
	return sums, names
}

func sha256F32(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The real Keras 3 archives build from their configs, run, and every
// variable of the model holds the values h5py read from the file's dataset
// for that layer (found through the vars group's name attribute, which the
// loader does not use for addressing).
func TestRealKeras3ArchivesLoadTheirWeights(t *testing.T) {
	for _, c := range []struct {
		file    string
		classes int
	}{
		{"cnn-fashion-mnist-classifier/model.keras", 10},
		{"helia-edge/model.keras", 10},
	} {
		t.Run(c.file, func(t *testing.T) {
			m, _, err := modelfile.Load(testenv.Shared(t, "realh5", c.file))
			require.NoError(t, err)
			sums, names := expectedDatasets(t, c.file)
			checked := 0
			for group, name := range names {
				if !strings.HasPrefix(group, "/layers/") {
					continue
				}
				l := m.Layer(name)
				require.NotNil(t, l, "layer %s of %s", name, group)
				for i, v := range l.Weights() {
					want, ok := sums[group+"/"+strconv.Itoa(i)]
					require.True(t, ok, "%s/%d in the file", group, i)
					require.Equal(t, want, sha256F32(v.Value()), "%s %s", name, v.Name())
					checked++
				}
			}
			layerVars := 0
			for p := range sums {
				if strings.HasPrefix(p, "/layers/") {
					layerVars++
				}
			}
			require.Equal(t, layerVars, checked, "every layer dataset of the file is a model variable")
			x := nn.NewTensor(append([]int{2}, m.Input().Shape()...)...)
			for i := range x.Data {
				x.Data[i] = float32(i%17) / 17
			}
			y, err := m.Run(x)
			require.NoError(t, err)
			require.Equal(t, []int{2, c.classes}, y[0].Shape)
		})
	}
}
