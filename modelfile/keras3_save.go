package modelfile

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strings"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
)

// isArchivePath says whether path names a Keras 3 .keras archive rather
// than a legacy .h5 / .hdf5 file.
func isArchivePath(path string) bool { return strings.EqualFold(filepath.Ext(path), ".keras") }

// saveArchive writes m as Keras 3's model.save("x.keras") does (see
// weightsio.SaveArchive), Keel's metadata and o.Attrs as root attributes
// of model.weights.h5, which Keras 3 does not read. The archive holds the
// model without training state: o's model and training configs and
// optimizer weights, legacy .h5 notions, are refused.
func saveArchive(path string, m *nn.Model, meta Meta, o weightsio.SaveOptions) error {
	if len(o.ModelConfig) > 0 || len(o.TrainingConfig) > 0 || len(o.OptimizerWeights) > 0 {
		return fmt.Errorf("%s: a .keras archive Keel writes holds the model without training state (no other model config, training config or optimizer weights); save a checkpoint as .h5", path)
	}
	attrs := meta.attrs()
	maps.Copy(attrs, o.Attrs)
	return m.Exclusive(func() error {
		cfg, err := m.Keras3JSON()
		if err != nil {
			return fmt.Errorf("%s: model config: %w", path, err)
		}
		objs, err := keras3Objects(m)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return weightsio.SaveArchive(path, cfg, objs, weightsio.ArchiveOptions{Attrs: attrs})
	})
}

// keras3Objects lists m's objects as Keras 3's _save_state visits them: the
// model, then each of its layers (a Sequential's InputLayer left out, as
// Sequential.layers leaves it), a nested model's layers under its own path,
// a layer met twice saved once.
func keras3Objects(m *nn.Model) ([]weightsio.SavedObject, error) {
	objs := []weightsio.SavedObject{{Path: "", Name: m.Name()}}
	seen := map[nn.Layer]bool{}
	var walk func(model *nn.Model, prefix string, depth int) error
	walk = func(model *nn.Model, prefix string, depth int) error {
		if depth > maxKeras3Nesting {
			return errors.New("models nested too deep")
		}
		var namer weightsio.Keras3Namer
		for i, l := range model.Layers() {
			if _, input := l.(*nn.InputLayer); input && i == 0 && model.ClassName() == "Sequential" {
				continue
			}
			path := prefix + "layers/" + namer.Next(keras3Class(l))
			if seen[l] {
				continue
			}
			seen[l] = true
			obj := weightsio.SavedObject{Path: path, Name: l.Name()}
			sub, nested := l.(*nn.Model)
			if !nested {
				for _, v := range l.Weights() {
					obj.Vars = append(obj.Vars, weightsio.SavedWeight{Shape: v.Shape(), Data: v.Value()})
				}
			}
			objs = append(objs, obj)
			if nested {
				if err := walk(sub, path+"/", depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return objs, walk(m, "", 0)
}

// keras3Class is the Keras 3 class of l, as Keras 3 names its object: a
// functional model is a Functional.
func keras3Class(l nn.Layer) string {
	if sub, ok := l.(*nn.Model); ok && sub.ClassName() != "Sequential" {
		return "Functional"
	}
	return l.ClassName()
}
