package nn_test

import (
	"archive/zip"
	"io"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/hostile"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/nn"
)

// archiveConfig is the config.json of a .keras archive, or nil when the
// archive is not there.
func archiveConfig(path string) []byte {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil
	}
	defer zr.Close()
	rc, err := zr.Open("config.json")
	if err != nil {
		return nil
	}
	b, _ := io.ReadAll(rc)
	return b
}

// keras3Nested is Keel's Keras 3 serialisation of a model with a nested
// Sequential, a nested Functional and a shared layer.
func keras3Nested(f *testing.F) []byte {
	seq, err := nn.Sequential([]int{4, 4, 3}, nn.NewConv2D(2, 1, 1), nn.NewFlatten())
	if err != nil {
		f.Fatal(err)
	}
	innerIn := nn.Input([]int{4, 4, 3})
	inner, err := nn.NewModel([]*nn.Node{innerIn}, []*nn.Node{nn.NewBatchNormalization().Apply(innerIn)})
	if err != nil {
		f.Fatal(err)
	}
	in := nn.Input([]int{4, 4, 3})
	shared := nn.NewDepthwiseConv2D(3, 3, nn.WithPadding("same"))
	x := nn.NewAdd().Apply(shared.Apply(shared.Apply(in)), inner.Apply(in))
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{nn.NewDense(2).Apply(seq.Apply(x))})
	if err != nil {
		f.Fatal(err)
	}
	b, err := m.Keras3JSON()
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzModelFromKeras3JSON builds models from arbitrary Keras 3 configs
// (seeded with the real archives' config.json and Keel's own): never a
// panic, no config allocating more than hostile.FuzzAlloc, and a model that
// builds writes a Keras 3 config that builds again.
func FuzzModelFromKeras3JSON(f *testing.F) {
	f.Add([]byte(keras3Config))
	f.Add(keras3Nested(f))
	for _, p := range []string{
		testenv.Testdata(f, "h5", "helia-edge.keras"),
		filepath.Join(testenv.RepoRoot(f), "..", "shared", "realh5", "cnn-fashion-mnist-classifier", "model.keras"),
	} {
		if b := archiveConfig(p); b != nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		hostile.CheckAlloc(t, func() {
			m, err := nn.ModelFromJSONWithin(b, fuzzLimits)
			if err != nil {
				return
			}
			again, err := m.Keras3JSON()
			if err != nil {
				t.Fatalf("Keras3JSON of a model built from a config: %v", err)
			}
			if _, err := nn.ModelFromJSONWithin(again, fuzzLimits); err != nil {
				t.Fatalf("Keel's Keras 3 config of a model does not build again: %v\n%s", err, again)
			}
		})
	})
}
