package weightsio

import (
	"errors"
	"fmt"

	"github.com/keelml/keel/weightsio/h5write"
)

// SavedLayer is one layer to save: its Keras name and its weights in Keras
// order. Layers without weights are saved too (Keras lists every layer).
type SavedLayer struct {
	Name    string
	Weights []SavedWeight
}

// SavedWeight is one variable: its Keras name ("conv1/kernel:0"), shape and
// values in C order.
type SavedWeight struct {
	Name  string
	Shape []int
	Data  []float32
}

// SaveOptions are the file-level attributes of a saved file.
type SaveOptions struct {
	KerasVersion string // default "2.3.1", the layout written
	Backend      string // default "tensorflow"
	// ModelConfig is the model_config JSON of a full-model file (SaveModel);
	// TrainingConfig its optional training_config JSON.
	ModelConfig, TrainingConfig []byte
	// Attrs are extra root attributes, stored as strings (Keras ignores them).
	Attrs map[string]string
	// OptimizerWeights, for a full-model file, are the optimizer's state,
	// written as Keras' save_model writes it: the group /optimizer_weights
	// with a weight_names attribute and one dataset per name (a name with
	// "/" makes nested groups, "Adam/dense/kernel/m:0").
	OptimizerWeights []SavedWeight
}

// hdf5ObjectHeaderLimit is Keras' bound on one attribute's size; longer name
// lists are split into name0, name1, ... as save_attributes_to_hdf5_group does.
const hdf5ObjectHeaderLimit = 64512

// SaveWeights writes layers in the layout of Keras 2's save_weights (what
// Keras 2.3.1 writes and load_weights reads): root attributes layer_names,
// backend and keras_version, and per layer a group with a weight_names
// attribute and the datasets /<layer>/<weight name>. The file is written
// atomically.
func SaveWeights(path string, layers []SavedLayer, o SaveOptions) error {
	f := h5write.New()
	root := f.Root()
	if err := writeLayers(root, layers, o); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for k, v := range o.Attrs {
		root.SetString(k, v)
	}
	return f.Save(path)
}

// SaveModel writes a full-model file in Keras 2.3.1's save_model layout:
// root attributes keras_version, backend, model_config and training_config,
// and the weights under /model_weights as SaveWeights lays them out.
func SaveModel(path string, layers []SavedLayer, o SaveOptions) error {
	if len(o.ModelConfig) == 0 {
		return errors.New("weightsio: SaveModel needs the model_config JSON")
	}
	f := h5write.New()
	root := f.Root()
	o = o.withDefaults()
	root.SetString("keras_version", o.KerasVersion)
	root.SetString("backend", o.Backend)
	root.SetString("model_config", string(o.ModelConfig))
	if len(o.TrainingConfig) > 0 {
		root.SetString("training_config", string(o.TrainingConfig))
	}
	for k, v := range o.Attrs {
		root.SetString(k, v)
	}
	if err := writeLayers(root.Group("model_weights"), layers, o); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(o.OptimizerWeights) > 0 {
		if err := writeOptimizerWeights(root.Group("optimizer_weights"), o.OptimizerWeights); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return f.Save(path)
}

func (o SaveOptions) withDefaults() SaveOptions {
	if o.KerasVersion == "" {
		o.KerasVersion = "2.3.1"
	}
	if o.Backend == "" {
		o.Backend = "tensorflow"
	}
	return o
}

// writeLayers is Keras' save_weights_to_hdf5_group.
func writeLayers(g *h5write.Group, layers []SavedLayer, o SaveOptions) error {
	o = o.withDefaults()
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Name
	}
	if err := checkNames("layer name", names); err != nil {
		return err
	}
	if err := setNameList(g, "layer_names", names); err != nil {
		return err
	}
	g.SetString("backend", o.Backend)
	g.SetString("keras_version", o.KerasVersion)
	for _, l := range layers {
		lg := g.Group(l.Name)
		wnames := make([]string, len(l.Weights))
		for i, w := range l.Weights {
			wnames[i] = w.Name
			if w.Name == "" {
				wnames[i] = fmt.Sprintf("param_%d", i)
			}
			if _, err := lg.Dataset(wnames[i], w.Shape, w.Data); err != nil {
				return fmt.Errorf("layer %s: %w", l.Name, err)
			}
		}
		if err := setNameList(lg, "weight_names", wnames); err != nil {
			return fmt.Errorf("layer %s: %w", l.Name, err)
		}
	}
	return nil
}

// checkNames says which name, if any, is empty or repeated: Keras' files
// address layers and weights by name.
func checkNames(what string, names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" || seen[n] {
			return fmt.Errorf("%s %q is empty or repeated", what, n)
		}
		seen[n] = true
	}
	return nil
}

// setNameList is Keras' save_attributes_to_hdf5_group: one fixed-width
// string array, or as many chunks (name0, name1, ...) as keep each under the
// object header limit, split as numpy's array_split splits.
func setNameList(g *h5write.Group, name string, values []string) error {
	width := 1
	for _, v := range values {
		if len(v) > hdf5ObjectHeaderLimit {
			return fmt.Errorf("%s: a name of %d bytes is more than HDF5 can store in an attribute", name, len(v))
		}
		width = max(width, len(v))
	}
	chunks := 1
	for chunkLen(len(values), chunks, 0)*width > hdf5ObjectHeaderLimit {
		chunks++
	}
	if chunks == 1 {
		return g.SetStringsWidth(name, values, width)
	}
	lo := 0
	for c := 0; c < chunks; c++ {
		n := chunkLen(len(values), chunks, c)
		if err := g.SetStringsWidth(fmt.Sprintf("%s%d", name, c), values[lo:lo+n], width); err != nil {
			return err
		}
		lo += n
	}
	return nil
}

// chunkLen is the length of chunk c when numpy's array_split cuts n items
// into k chunks: the first n%k chunks hold one more.
func chunkLen(n, k, c int) int {
	if c < n%k {
		return n/k + 1
	}
	return n / k
}
