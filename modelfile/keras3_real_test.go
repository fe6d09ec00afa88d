package modelfile_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
	"github.com/stretchr/testify/require"
)

// expectedDatasets reads what h5py found in a real Keras 3 weights file (or
// a .keras archive's model.weights.h5):
// the sha256 of each dataset's values as little-endian float32, and the
// layer name each vars group's name attribute gives.
func expectedDatasets(t *testing.T, rel string) (sums map[string]string, names map[string]string) {
	b, err := os.ReadFile(testenv.Shared(t, "realh5", "expected", rel+".json"))
	require.NoError(t, err)
	type h5Expected struct {
		Attrs    map[string]map[string]any `json:"attrs"`
		Datasets []struct {
			Path string `json:"path"`
			Sum  string `json:"sha256_f32le"`
		} `json:"datasets"`
	}
	var e struct {
		h5Expected             // a .weights.h5
		Archive    *h5Expected `json:"h5:model.weights.h5"` // a .keras archive's member
	}
	require.NoError(t, json.Unmarshal(b, &e))
	h5 := e.h5Expected
	if e.Archive != nil {
		h5 = *e.Archive
	}
	sums, names = map[string]string{}, map[string]string{}
	for _, d := range h5.Datasets {
		sums[d.Path] = d.Sum
	}
	for group, attrs := range h5.Attrs {
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

// The Keras 3 .weights.h5 of another copy of the same network (an MNIST
// CNN saved with save_weights) loads into the model built from the
// fashion-MNIST archive: the same layout, layer for layer.
func TestRealKeras3WeightsIntoArchiveModel(t *testing.T) {
	m, _, err := modelfile.Load(testenv.Shared(t, "realh5", "cnn-fashion-mnist-classifier/model.keras"))
	require.NoError(t, err)
	path := testenv.Shared(t, "realh5", "cv-microcontrollers/model.weights.h5")
	rep, err := modelfile.LoadWeights(m, path, false)
	require.NoError(t, err)
	require.Empty(t, rep.Unused)
	require.False(t, rep.ByOrder, "matched by name")
	sums, _ := expectedDatasets(t, "cv-microcontrollers/model.weights.h5")
	require.Equal(t, sums["/layers/dense_1/vars/0"], sha256F32(m.Layer("dense_1").Weights()[0].Value()))
}

// A Keras 3 config in a legacy full-model .h5 (what Keras 3's
// model.save("x.h5") writes) builds as the archive's does.
func TestKeras3ConfigInH5(t *testing.T) {
	m := nestedSequentialModel(t)
	cfg, err := m.Keras3JSON()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "k3.h5")
	require.NoError(t, modelfile.SaveWithOptions(path, m, modelfile.Meta{}, weightsio.SaveOptions{KerasVersion: "3.10.0", ModelConfig: cfg}))
	back, _, err := modelfile.Load(path)
	require.NoError(t, err)
	x := input(t, 2, 4)
	want, err := m.Run(x)
	require.NoError(t, err)
	got, err := back.Run(x)
	require.NoError(t, err)
	require.Equal(t, want[0].Data, got[0].Data)
}
