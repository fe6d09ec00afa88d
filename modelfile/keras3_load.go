package modelfile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
)

// loadKeras3Weights sets the weights of m, built from the Keras 3 config of
// f, from f's objects as Keras 3's saving_lib lays them out: the config's
// layers in order, each at layers/<class in snake case, numbered>/vars/<i>,
// a nested model's at layers/<model>/layers/<name>/vars/<i>. Every variable
// of m must be found with its shape; the file's names (the vars groups'
// name attributes, where Keras wrote them) must agree with the config's.
func loadKeras3Weights(m *nn.Model, f *weightsio.File, path string) error {
	class, _ := f.ModelConfig["class_name"].(string)
	cfg, _ := f.ModelConfig["config"].(map[string]any)
	l := &keras3Loader{f: f}
	if err := l.container(m, class, cfg, "", 0); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(l.problems) > 0 {
		return fmt.Errorf("%s: weights do not fit model %q:\n  %s", path, m.Name(), strings.Join(l.problems, "\n  "))
	}
	return nil
}

type keras3Loader struct {
	f        *weightsio.File
	problems []string
	scratch  []float32
}

// maxKeras3Nesting bounds the recursion into nested model configs (nn
// bounds them when building, this only keeps a malformed config finite).
const maxKeras3Nesting = 64

// container loads the layers of one model config into model; prefix is the
// model's object path with a trailing slash ("" for the top model).
func (l *keras3Loader) container(model *nn.Model, class string, cfg map[string]any, prefix string, depth int) error {
	if depth > maxKeras3Nesting {
		return fmt.Errorf("models nested more than %d deep", maxKeras3Nesting)
	}
	entries, _ := cfg["layers"].([]any)
	var namer weightsio.Keras3Namer
	for _, e := range entries {
		entry, _ := e.(map[string]any)
		lclass, _ := entry["class_name"].(string)
		lcfg, _ := entry["config"].(map[string]any)
		name, _ := lcfg["name"].(string)
		if n, ok := entry["name"].(string); ok {
			name = n
		}
		if lclass == "InputLayer" && class == "Sequential" {
			continue // Sequential.layers leaves its InputLayer out
		}
		objPath := prefix + "layers/" + namer.Next(lclass)
		layer := directLayer(model, name)
		if layer == nil {
			return fmt.Errorf("layer %q of the config is not in the model", name)
		}
		if sub, nested := layer.(*nn.Model); nested {
			if err := l.container(sub, lclass, lcfg, objPath+"/", depth+1); err != nil {
				return err
			}
			continue
		}
		if err := l.layer(layer, objPath); err != nil {
			return err
		}
	}
	return nil
}

// layer sets one layer's variables from the object at objPath.
func (l *keras3Loader) layer(layer nn.Layer, objPath string) error {
	vars := layer.Weights()
	obj, err := l.f.Keras3Object(objPath)
	if err != nil {
		return err
	}
	switch {
	case !obj.Found && len(vars) == 0:
		return nil
	case !obj.Found:
		l.problems = append(l.problems, fmt.Sprintf("%s: not in the file (no %s/vars)", layer.Name(), objPath))
		return nil
	case obj.Name != "" && obj.Name != layer.Name():
		l.problems = append(l.problems, fmt.Sprintf("%s: the file's %s holds layer %q", layer.Name(), objPath, obj.Name))
		return nil
	case len(obj.Vars) != len(vars):
		l.problems = append(l.problems, fmt.Sprintf("%s: the model has %d weights, the file's %s %d", layer.Name(), len(vars), objPath, len(obj.Vars)))
		return nil
	}
	for i, v := range vars {
		w := &obj.Vars[i]
		if !slices.Equal(v.Shape(), w.Shape) {
			l.problems = append(l.problems, fmt.Sprintf("%s: %s has shape %v in the model, %v in the file (%s)", layer.Name(), v.Name(), v.Shape(), w.Shape, w.Path))
			continue
		}
		l.scratch = slices.Grow(l.scratch[:0], w.Len())[:w.Len()]
		if err := w.ReadFloat32Into(l.scratch); err != nil {
			return fmt.Errorf("layer %s: %w", layer.Name(), err)
		}
		if err := v.Set(w.Shape, l.scratch); err != nil {
			return err
		}
	}
	return nil
}

// directLayer is the layer of model (not of a model nested in it) called
// name.
func directLayer(model *nn.Model, name string) nn.Layer {
	for _, l := range model.Layers() {
		if l.Name() == name {
			return l
		}
	}
	return nil
}
