package weightsio_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/weightsio"
)

// manifestRecord is the part of realh5/manifest.json this test checks.
type manifestRecord struct {
	File         string   `json:"file"`
	Kind         string   `json:"kind"`
	KerasVersion *string  `json:"keras_version"`
	Backend      *string  `json:"backend"`
	Layers       []string `json:"layers"`
	NParams      *int     `json:"n_params"`
}

// formatOfKind maps the manifest's kinds to Open's formats.
func formatOfKind(kind string) weightsio.Format {
	switch {
	case strings.HasPrefix(kind, "legacy full model"):
		return weightsio.FormatH5Model
	case strings.HasPrefix(kind, "legacy weights-only"):
		return weightsio.FormatH5Weights
	case strings.HasPrefix(kind, "plain HDF5"):
		return weightsio.FormatPlainHDF5
	case strings.HasPrefix(kind, "Keras 3 .weights.h5"):
		return weightsio.FormatKeras3
	case strings.HasPrefix(kind, ".keras zip (Keras 3"):
		return weightsio.FormatArchive
	}
	return "unknown kind " + weightsio.Format(kind)
}

func orEmpty(s *string) string {
	if s == nil || *s == "-" || strings.HasPrefix(*s, "(") {
		return ""
	}
	return *s
}

// TestRealFilesLayers opens every real Keras file and checks its format,
// version, backend, layer list and weight count against the manifest.
func TestRealFilesLayers(t *testing.T) {
	root := testenv.Shared(t, "realh5")
	raw, err := os.ReadFile(filepath.Join(root, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var records []manifestRecord
	if err := json.Unmarshal(raw, &records); err != nil {
		t.Fatal(err)
	}
	for _, rec := range records {
		t.Run(rec.File, func(t *testing.T) {
			f, err := weightsio.Open(filepath.Join(root, rec.File))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if want := formatOfKind(rec.Kind); f.Format != want {
				t.Errorf("format %s, want %s", f.Format, want)
			}
			if want := orEmpty(rec.KerasVersion); f.KerasVersion != want {
				t.Errorf("keras_version %q, want %q", f.KerasVersion, want)
			}
			if want := orEmpty(rec.Backend); f.Backend != want {
				t.Errorf("backend %q, want %q", f.Backend, want)
			}
			if f.Format == weightsio.FormatH5Model && f.ModelConfig == nil {
				t.Errorf("full model without a parsed model_config")
			}
			checkLayers(t, f, rec)
		})
	}
}

func checkLayers(t *testing.T, f *weightsio.File, rec manifestRecord) {
	t.Helper()
	var names, paths []string
	values := 0
	for _, l := range f.Layers() {
		names = append(names, l.Name)
		for _, w := range l.Weights {
			paths = append(paths, strings.TrimPrefix(w.Path, "/"))
			v, err := w.Float32()
			if err != nil {
				t.Fatalf("layer %s weight %s: %v", l.Name, w.Name, err)
			}
			if strings.HasPrefix(w.Dtype, "float") { // the manifest counts float values
				values += len(v)
			}
		}
	}
	switch f.Format {
	case weightsio.FormatH5Model, weightsio.FormatH5Weights:
		if strings.Join(names, ",") != strings.Join(rec.Layers, ",") {
			t.Errorf("layers %v, want %v", names, rec.Layers)
		}
		if rec.NParams != nil && values != *rec.NParams {
			t.Errorf("%d weight values, want %d", values, *rec.NParams)
		}
	case weightsio.FormatKeras3, weightsio.FormatArchive:
		// The manifest lists the dataset paths under layers/.
		got := map[string]bool{}
		for _, p := range paths {
			got[p] = true
		}
		for _, p := range rec.Layers {
			if strings.HasPrefix(p, "layers/") && !got[p] {
				t.Errorf("no layer weight at %s", p)
			}
		}
	case weightsio.FormatPlainHDF5:
		if len(names) != 0 {
			t.Errorf("plain HDF5 file with layers %v", names)
		}
	}
}
