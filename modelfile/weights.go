package modelfile

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
)

// LoadReport says what loading weights did besides setting them.
type LoadReport struct {
	File string
	// Unused lists the file's layers with weights that the model lacks.
	Unused []string
	// Skipped lists the model layers left as they were (skipMismatch).
	Skipped []string
}

// Print writes the report's notices, if any, to w.
func (r *LoadReport) Print(w io.Writer) {
	if len(r.Unused) > 0 {
		fmt.Fprintf(w, "notice: %s: %d layers with weights not in the model: %s\n", r.File, len(r.Unused), strings.Join(r.Unused, ", "))
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "notice: %s: %d model layers not loaded (missing or other shapes): %s\n", r.File, len(r.Skipped), strings.Join(r.Skipped, ", "))
	}
}

// topAliases are names under which Keras versions saved the same top layer:
// keras_applications' resnet_common says "probs", tf.keras later "predictions".
var topAliases = map[string][]string{"probs": {"predictions"}, "predictions": {"probs"}}

// LoadWeights opens a Keras weight or model file (anything weightsio reads)
// and sets m's weights from it by layer name; see LoadWeightsFrom.
func LoadWeights(m *nn.Model, path string, skipMismatch bool) (*LoadReport, error) {
	f, err := weightsio.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return LoadWeightsFrom(m, f, path, skipMismatch)
}

// LoadWeightsFrom sets the weights of every layer of m from the file's layer
// of the same name, checking every shape. Within a layer, weights match by
// name where the file's names are Keras' ("conv1/kernel:0"), else by order,
// as Keras loads them. A nested model matches a file group of its own name,
// or else its layers are looked up one by one. Model layers whose weights the
// file lacks or holds with other shapes are an error listing them all, unless
// skipMismatch; file layers the model lacks are listed in the report.
func LoadWeightsFrom(m *nn.Model, f *weightsio.File, path string, skipMismatch bool) (*LoadReport, error) {
	rep := &LoadReport{File: path}
	used := map[string]bool{}
	var problems []string
	var scratch []float32
	var load func(layers []nn.Layer) error
	load = func(layers []nn.Layer) error {
		for _, l := range layers {
			vars := l.Weights()
			if len(vars) == 0 {
				continue
			}
			fl, ok := f.Layer(l.Name())
			for _, alias := range topAliases[l.Name()] {
				if !ok {
					fl, ok = f.Layer(alias)
				}
			}
			if !ok || len(fl.Weights) == 0 {
				if sub, nested := l.(*nn.Model); nested {
					if err := load(sub.Layers()); err != nil {
						return err
					}
					continue
				}
				problems = append(problems, fmt.Sprintf("%s: not in the file", l.Name()))
				continue
			}
			used[fl.Name] = true
			pairs, msg := matchWeights(vars, fl.Weights)
			if msg != "" {
				problems = append(problems, fmt.Sprintf("%s: %s", l.Name(), msg))
				continue
			}
			for i, v := range vars {
				w := pairs[i]
				scratch = slices.Grow(scratch[:0], w.Len())[:w.Len()]
				if err := w.ReadFloat32Into(scratch); err != nil {
					return fmt.Errorf("%s: layer %s: %w", path, l.Name(), err)
				}
				if err := v.Set(w.Shape, scratch); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
			}
		}
		return nil
	}
	if err := load(m.Layers()); err != nil {
		return nil, err
	}
	for _, fl := range f.Layers() {
		if len(fl.Weights) > 0 && !used[fl.Name] {
			rep.Unused = append(rep.Unused, fl.Name)
		}
	}
	if len(problems) > 0 {
		if !skipMismatch {
			return nil, fmt.Errorf("%s: weights do not fit model %q:\n  %s", path, m.Name(), strings.Join(problems, "\n  "))
		}
		for _, p := range problems {
			rep.Skipped = append(rep.Skipped, strings.SplitN(p, ":", 2)[0])
		}
	}
	return rep, nil
}

// matchWeights pairs each model variable with a file weight, by Keras name
// when every name is found, else by order; it describes any mismatch.
func matchWeights(vars []*nn.Variable, ws []weightsio.Weight) ([]*weightsio.Weight, string) {
	if len(vars) != len(ws) {
		return nil, fmt.Sprintf("the model has %d weights, the file %d", len(vars), len(ws))
	}
	byName := map[string]*weightsio.Weight{}
	for i := range ws {
		byName[ws[i].Name] = &ws[i]
	}
	pairs := make([]*weightsio.Weight, len(vars))
	for i, v := range vars {
		pairs[i] = byName[v.Path()+":0"]
	}
	if slices.Contains(pairs, nil) {
		for i := range ws {
			pairs[i] = &ws[i]
		}
	}
	var diffs []string
	for i, v := range vars {
		if !slices.Equal(v.Shape(), pairs[i].Shape) {
			diffs = append(diffs, fmt.Sprintf("%s has shape %v in the model, %v in the file (%s)", v.Name(), v.Shape(), pairs[i].Shape, pairs[i].Name))
		}
	}
	return pairs, strings.Join(diffs, "; ")
}

// savedLayers lists m's layers as Keras saves them: every top-level layer,
// a nested model as one layer holding all its weights, trainable ones first
// (Keras' layer.trainable_weights + layer.non_trainable_weights).
func savedLayers(m *nn.Model) []weightsio.SavedLayer {
	var out []weightsio.SavedLayer
	for _, l := range m.Layers() {
		vars := l.Weights()
		if sub, ok := l.(*nn.Model); ok {
			vars = append(sub.TrainableWeights(), sub.NonTrainableWeights()...)
		}
		sl := weightsio.SavedLayer{Name: l.Name()}
		for _, v := range vars {
			sl.Weights = append(sl.Weights, weightsio.SavedWeight{Name: v.Path() + ":0", Shape: v.Shape(), Data: v.Value()})
		}
		out = append(out, sl)
	}
	return out
}

// SaveWeights writes m's weights in Keras' save_weights layout (what
// model.load_weights reads), atomically.
func SaveWeights(path string, m *nn.Model) error {
	return weightsio.SaveWeights(path, savedLayers(m), weightsio.SaveOptions{})
}
