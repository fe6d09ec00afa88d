package nn

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/keelml/keel/weightsio"
)

// SavedLayers returns the model's weights as Keras 2.3.1's save_weights
// lays them out: one entry per layer of model.layers (the InputLayer of a
// Sequential model left out, as Keras does), weights named
// "layer/weight:0"; a nested model is one entry holding all its weights,
// trainable ones first, as Keras' _legacy_weights orders them. The data
// are the live values (not copies).
func (m *Model) SavedLayers() []weightsio.SavedLayer {
	var out []weightsio.SavedLayer
	for i, l := range m.layers {
		if i == 0 && m.class == "Sequential" {
			if _, ok := l.(*InputLayer); ok {
				continue
			}
		}
		sl := weightsio.SavedLayer{Name: l.Name()}
		var vars []*Variable
		if sub, ok := l.(*Model); ok {
			vars = append(sub.TrainableWeights(), sub.NonTrainableWeights()...)
		} else {
			vars = l.Weights()
		}
		for _, v := range vars {
			sl.Weights = append(sl.Weights, weightsio.SavedWeight{Name: v.Path() + ":0", Shape: v.Shape(), Data: v.Value()})
		}
		out = append(out, sl)
	}
	return out
}

// SaveWeights writes the model's weights in Keras 2.3.1's save_weights
// layout (load_weights reads it back, in Keras or LoadWeights). The file is
// written to a temporary name and renamed over path.
func (m *Model) SaveWeights(path string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return weightsio.SaveWeights(path, m.SavedLayers(), weightsio.SaveOptions{})
}

// SaveModel writes a full-model file (Keras 2.3.1's save_model layout:
// model_config and model_weights), atomically as SaveWeights.
func (m *Model) SaveModel(path string) error {
	return m.SaveModelOptions(path, weightsio.SaveOptions{})
}

// SaveModelOptions is SaveModel with the file's options (extra root
// attributes, a training_config); an empty ModelConfig is the model's.
func (m *Model) SaveModelOptions(path string, o weightsio.SaveOptions) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(o.ModelConfig) == 0 {
		cfg, err := json.Marshal(map[string]any{"class_name": m.class, "config": m.Config()})
		if err != nil {
			return err
		}
		o.ModelConfig = cfg
	}
	return weightsio.SaveModel(path, m.SavedLayers(), o)
}

// LoadWeights sets the model's weights from a Keras weight or full-model
// file, by layer name: each layer with weights takes those of the file's
// layer of the same name (a nested model's, from its one entry, or, when
// the file lists the nested model's layers one by one, from those), matched
// by weight name ("conv1/kernel:0") and else by order, every shape checked.
// Layers missing from the file are an error naming them all.
func (m *Model) LoadWeights(path string) error {
	f, err := weightsio.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	m.mu.Lock()
	defer m.mu.Unlock()
	var problems []string
	var load func(layers []Layer)
	load = func(layers []Layer) {
		for _, l := range layers {
			var vars []*Variable
			sub, nested := l.(*Model)
			if nested {
				vars = append(sub.TrainableWeights(), sub.NonTrainableWeights()...)
			} else {
				vars = l.Weights()
			}
			if len(vars) == 0 {
				continue
			}
			fl, ok := f.Layer(l.Name())
			if !ok || len(fl.Weights) == 0 {
				if nested {
					load(sub.layers)
					continue
				}
				problems = append(problems, l.Name()+": not in the file")
				continue
			}
			if err := loadLayer(vars, fl); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", l.Name(), err))
			}
		}
	}
	load(m.layers)
	if len(problems) > 0 {
		return fmt.Errorf("%s: weights do not fit model %q:\n  %s", path, m.name, strings.Join(problems, "\n  "))
	}
	return nil
}

func loadLayer(vars []*Variable, fl *weightsio.Layer) error {
	if len(vars) != len(fl.Weights) {
		return fmt.Errorf("the model has %d weights, the file %d", len(vars), len(fl.Weights))
	}
	byName := map[string]*weightsio.Weight{}
	for i := range fl.Weights {
		byName[fl.Weights[i].Name] = &fl.Weights[i]
	}
	for i, v := range vars {
		w, ok := byName[v.Path()+":0"]
		if !ok {
			w = &fl.Weights[i]
		}
		if !slices.Equal(w.Shape, v.shape) {
			return fmt.Errorf("%s has shape %v in the model, %v in the file (%s)", v.Name(), v.shape, w.Shape, w.Name)
		}
		data, err := w.Float32()
		if err != nil {
			return err
		}
		if err := v.Set(w.Shape, data); err != nil {
			return err
		}
	}
	return nil
}
