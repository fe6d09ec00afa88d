package weightsio

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/keelml/keel/internal/openfile"
	"github.com/keelml/keel/weightsio/hdf5"
)

// Format names a file's layout; the values are the `format` field of
// `keel inspect --json`.
type Format string

// The layouts Open recognises.
const (
	FormatH5Weights  Format = "keras-h5-weights"  // legacy save_weights .h5 (layer_names at the root)
	FormatH5Model    Format = "keras-h5-model"    // legacy full model .h5 (model_weights group, model_config)
	FormatKeras3     Format = "keras3-weights"    // Keras 3 .weights.h5 (layers/<name>/vars/<i>)
	FormatArchive    Format = "keras3-archive"    // Keras 3 .keras zip
	FormatArchiveTF2 Format = "keras-archive-tf2" // tf.keras 2.13-2.15 .keras zip
	FormatPlainHDF5  Format = "hdf5"              // HDF5 that is not a Keras file
)

// File is an open Keras weights or model file.
type File struct {
	Format Format
	// KerasVersion and Backend are the file's keras_version and backend
	// attributes (for an archive, metadata.json); empty when absent.
	KerasVersion, Backend string
	// ModelConfig is the parsed model_config JSON (config.json for an
	// archive); nil for weights-only files. ModelConfigJSON is its text.
	ModelConfig     map[string]any
	ModelConfigJSON []byte
	// TrainingConfig is the parsed training_config JSON, when present.
	TrainingConfig map[string]any

	h5     *hdf5.File
	layers []Layer
	closer io.Closer
}

// Open opens a Keras file: .h5/.hdf5 (legacy weights or full model),
// .weights.h5 (Keras 3) or a .keras archive.
func Open(path string) (*File, error) {
	return openfile.Open(path, NewFile, func(f *File, c io.Closer) { f.closer = c })
}

// NewFile reads a Keras file of size bytes from r; name is used in errors.
func NewFile(r io.ReaderAt, size int64, name string) (*File, error) {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil && size >= 4 {
		return nil, &hdf5.Error{File: name, Err: err}
	}
	if bytes.Equal(magic[:], []byte("PK\x03\x04")) {
		return openArchive(r, size, name)
	}
	h5, err := hdf5.NewFile(r, size, name)
	if err != nil {
		return nil, err
	}
	f := &File{h5: h5}
	if err := f.load(nil); err != nil {
		return nil, err
	}
	return f, nil
}

// Close releases the file.
func (f *File) Close() error {
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

// HDF5 is the underlying HDF5 file (an archive's model.weights.h5).
func (f *File) HDF5() *hdf5.File { return f.h5 }

// Layers lists the layers in file order (layer_names order for legacy
// files, config order for archives, storage order otherwise). Layers without
// weights are included with none.
func (f *File) Layers() []Layer { return f.layers }

// Layer finds a layer by name.
func (f *File) Layer(name string) (*Layer, bool) {
	for i := range f.layers {
		if f.layers[i].Name == name {
			return &f.layers[i], true
		}
	}
	return nil, false
}

// load detects the layout of f.h5 and reads its layers. archiveConfig is the
// config.json of an archive, nil otherwise.
func (f *File) load(archiveConfig map[string]any) error {
	root, err := f.h5.Root()
	if err != nil {
		return err
	}
	if f.Format == "" {
		switch {
		case hasAttrList(root, "layer_names"):
			f.Format = FormatH5Weights
		case hasMember(root, "model_weights"):
			f.Format = FormatH5Model
		case hasMember(root, "layers"):
			f.Format = FormatKeras3
		default:
			f.Format = FormatPlainHDF5
		}
	}
	switch f.Format {
	case FormatH5Weights:
		return f.loadLegacy(root, root)
	case FormatH5Model:
		if err := f.loadModelAttrs(root); err != nil {
			return err
		}
		mw, err := root.Group("model_weights")
		if err != nil {
			return err
		}
		return f.loadLegacy(root, mw)
	case FormatKeras3, FormatArchive, FormatArchiveTF2:
		return f.loadKeras3(root, archiveConfig)
	}
	return nil
}

// loadModelAttrs parses model_config and training_config of a full model.
func (f *File) loadModelAttrs(root *hdf5.Group) error {
	for _, c := range []struct {
		name string
		dst  *map[string]any
		raw  *[]byte
	}{{"model_config", &f.ModelConfig, &f.ModelConfigJSON}, {"training_config", &f.TrainingConfig, nil}} {
		s, ok, err := stringAttr(root, c.name)
		if err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		if err := json.Unmarshal([]byte(s), c.dst); err != nil {
			return &hdf5.Error{File: f.h5.Name(), Path: "/", Err: errf("attribute %q is not JSON: %v", c.name, err)}
		}
		if c.raw != nil {
			*c.raw = []byte(s)
		}
	}
	return nil
}

func hasMember(g *hdf5.Group, name string) bool {
	_, err := g.Open(name)
	return err == nil
}
