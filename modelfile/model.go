package modelfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"

	"github.com/keelml/keel/internal/sizes"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
)

// Meta is what Keel records in the files it saves, beside Keras' own
// attributes, so that a saved classifier can be used on images directly.
type Meta struct {
	Preprocess string   // preprocess_input mode of the backbone: caffe, tf, torch or none
	InputSize  int      // the height and width the model takes
	ClassNames []string // the label of each output unit, in order
}

// The root attributes Meta is stored in.
const (
	attrPreprocess = "keel_preprocess"
	attrInputSize  = "keel_input_size"
	attrClassNames = "keel_class_names"
)

func (m Meta) attrs() map[string]string {
	a := map[string]string{}
	if m.Preprocess != "" {
		a[attrPreprocess] = m.Preprocess
	}
	if m.InputSize > 0 {
		a[attrInputSize] = strconv.Itoa(m.InputSize)
	}
	if m.ClassNames != nil {
		b, _ := json.Marshal(m.ClassNames)
		a[attrClassNames] = string(b)
	}
	return a
}

// Save writes m with Keel's metadata, atomically as SaveWeights, in the
// format path's extension names: a .keras path as Keras 3's model.save
// writes a .keras archive (config.json, metadata.json, model.weights.h5),
// any other as a Keras full-model .h5 file (Keras 2.3.1's save_model
// layout: model_config, and the weights under model_weights).
func Save(path string, m *nn.Model, meta Meta) error {
	return SaveWithOptions(path, m, meta, weightsio.SaveOptions{})
}

// SaveWithOptions is Save with the file's other options: root attributes
// beside meta's (these win), a training_config, and a model_config other
// than m's (empty: m's).
func SaveWithOptions(path string, m *nn.Model, meta Meta, o weightsio.SaveOptions) error {
	if isArchivePath(path) {
		return saveArchive(path, m, meta, o)
	}
	return m.Exclusive(func() error {
		if len(o.ModelConfig) == 0 {
			cfg, err := json.Marshal(m)
			if err != nil {
				return fmt.Errorf("%s: model config: %w", path, err)
			}
			o.ModelConfig = cfg
		}
		attrs := meta.attrs()
		maps.Copy(attrs, o.Attrs)
		o.Attrs = attrs
		return weightsio.SaveModel(path, SavedLayers(m), o)
	})
}

// Load reads any Keras full-model file (.h5 with a model_config, or a .keras
// archive) into a runnable Keel model: the graph is built from the file's
// config and the weights loaded by layer name. Layer types Keel lacks are an
// error naming them. Meta holds what Keel recorded, if the file is Keel's.
//
// The model the config declares must fit the file: its weights may not total
// more values than the file holds, and its activations are bounded by what
// its input is (nn.Limits), all checked before any layer allocates.
func Load(path string) (*nn.Model, Meta, error) {
	f, err := weightsio.Open(path)
	if err != nil {
		return nil, Meta{}, err
	}
	defer f.Close()
	return loadFile(f, path, Options{})
}

// LoadBytes is Load of a file's contents; name is used in errors.
func LoadBytes(b []byte, name string) (*nn.Model, Meta, error) {
	f, err := weightsio.NewFile(bytes.NewReader(b), int64(len(b)), name)
	if err != nil {
		return nil, Meta{}, err
	}
	return loadFile(f, name, Options{})
}

func loadFile(f *weightsio.File, path string, o Options) (*nn.Model, Meta, error) {
	if m, ok, err := claimed(f, path); ok {
		if err != nil {
			return nil, Meta{}, err
		}
		meta, err := readMeta(f)
		if err != nil {
			return nil, Meta{}, fmt.Errorf("%s: %w", path, err)
		}
		return m, meta, nil
	}
	if len(f.ModelConfigJSON) == 0 {
		return nil, Meta{}, fmt.Errorf("%s: a %s file holds weights only, no model_config: build the model (for example with zoo.New) and load these weights into it", path, f.Format)
	}
	cfg, err := modernConfig(f, o)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("%s: model_config: %w", path, err)
	}
	lim := nn.DefaultLimits
	lim.MaxWeights, lim.WeightsBound = min(lim.MaxWeights, fileValues(f)), "the file holds"
	m, err := nn.ModelFromJSONWithin(cfg, lim)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := loadWeightsOf(m, f, path); err != nil {
		return nil, Meta{}, err
	}
	meta, err := readMeta(f)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, meta, nil
}

// loadWeightsOf sets the weights of m, built from f's own config: a Keras 3
// archive's by its object layout, other files' by layer name.
func loadWeightsOf(m *nn.Model, f *weightsio.File, path string) error {
	if f.Format == weightsio.FormatArchive {
		return m.Exclusive(func() error { return loadKeras3Weights(m, f, path) })
	}
	_, err := LoadWeightsFrom(m, f, path, false)
	return err
}

// fileValues is the number of weight values f holds, at least 1 so that a
// file without weights still bounds the model to none. Values count at most
// one per byte of the file, so that datasets declared but never written
// (HDF5 fills them in) cannot stand for weights the file lacks.
func fileValues(f *weightsio.File) int64 {
	n := 0.0 // float64: a hostile file's shapes may overflow any integer
	for _, l := range f.Layers() {
		for _, w := range l.Weights {
			n += sizes.Product(w.Shape)
		}
	}
	if h := f.HDF5(); h != nil {
		n = min(n, float64(h.Size()))
	}
	return int64(max(min(n, 1<<50), 1))
}

func readMeta(f *weightsio.File) (Meta, error) {
	var meta Meta
	h := f.HDF5()
	if h == nil {
		return meta, nil
	}
	root, err := h.Root()
	if err != nil {
		return meta, err
	}
	str := func(name string) (string, bool) {
		a, err := root.Attr(name)
		if err != nil || a == nil {
			return "", false
		}
		s, err := a.String()
		return s, err == nil
	}
	if s, ok := str(attrPreprocess); ok {
		meta.Preprocess = s
	}
	if s, ok := str(attrInputSize); ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			return meta, fmt.Errorf("%s attribute %q is not a number", attrInputSize, s)
		}
		meta.InputSize = n
	}
	if s, ok := str(attrClassNames); ok {
		if err := json.Unmarshal([]byte(s), &meta.ClassNames); err != nil {
			return meta, errors.New(attrClassNames + " attribute is not a JSON list of strings")
		}
	}
	return meta, nil
}

// normalizeConfig rewrites the model_config of older Keras versions into the
// form nn reads: Keras 1 and 2.0-2.1 wrote a Sequential's config as the bare
// list of its layers.
func normalizeConfig(raw []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	var layers []json.RawMessage
	if json.Unmarshal(top["config"], &layers) != nil {
		return raw, nil // already an object
	}
	cfg, err := json.Marshal(map[string]any{"name": "sequential_1", "layers": layers})
	if err != nil {
		return nil, err
	}
	top["config"] = cfg
	return json.Marshal(top)
}
