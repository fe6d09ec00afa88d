package modelfile

import (
	"errors"
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
	// ByOrder says the names did not match and the weights were loaded by
	// topological order, every shape checked, as Keras' load_weights does;
	// Renamed lists the pairs "file name -> model name" that differ, by
	// order or by Keras 3's layout (which addresses layers by place).
	ByOrder bool
	Renamed []string
}

// Print writes the report's notices, if any, to w.
func (r *LoadReport) Print(w io.Writer) {
	if r.ByOrder {
		shown := r.Renamed
		if len(shown) > 5 {
			shown = append(shown[:5:5], fmt.Sprintf("... %d more", len(r.Renamed)-5))
		}
		fmt.Fprintf(w, "notice: %s: layer names differ from the model's; loaded by topological order with every shape checked (%d renamed: %s)\n", r.File, len(r.Renamed), strings.Join(shown, ", "))
	}
	if !r.ByOrder && len(r.Renamed) > 0 {
		fmt.Fprintf(w, "notice: %s: loaded by Keras 3's layout, by the place of each layer; %d layer names differ: %s\n", r.File, len(r.Renamed), strings.Join(r.Renamed, ", "))
	}
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
// or else its layers are looked up one by one.
//
// A Keras 3 file (.keras, .weights.h5) loads first as Keras 3's
// load_weights loads it, by the place of each layer in the model (see
// loadByKeras3Layout), nested models included; if the model does not fit
// that layout, as by name and order below.
//
// Where names do not match (Keras versions renamed layers in files they
// still read, and number automatic names from 0 or 1), the weights load by
// topological order instead, as Keras' load_weights does: the model's and the
// file's weight-bearing layers pair up in order, with the same number of
// layers and every shape equal. Otherwise model layers whose weights the file
// lacks or holds with other shapes are an error listing them all, unless
// skipMismatch; file layers the model lacks are listed in the report.
//
// No Run or training step of m runs meanwhile (nn.Model.Exclusive).
func LoadWeightsFrom(m *nn.Model, f *weightsio.File, path string, skipMismatch bool) (rep *LoadReport, err error) {
	err = m.Exclusive(func() error {
		rep, err = loadWeights(m, f, path, skipMismatch)
		return err
	})
	return rep, err
}

func loadWeights(m *nn.Model, f *weightsio.File, path string, skipMismatch bool) (*LoadReport, error) {
	if !keras3Layout(f) {
		return loadLegacy(m, f, path, skipMismatch)
	}
	rep, err := loadByKeras3Layout(m, f, path)
	var layoutErr *mismatchError
	if err == nil || !errors.As(err, &layoutErr) {
		return rep, err
	}
	rep, err = loadLegacy(m, f, path, skipMismatch)
	if err != nil {
		return nil, fmt.Errorf("%w\n(nor by Keras 3's layout: %s)", err, strings.TrimPrefix(layoutErr.msg, path+": "))
	}
	return rep, nil
}

// loadLegacy loads by layer name, else by topological order (see
// LoadWeightsFrom).
func loadLegacy(m *nn.Model, f *weightsio.File, path string, skipMismatch bool) (*LoadReport, error) {
	rep, err := loadByName(m, f, path, false)
	if err == nil {
		return rep, nil
	}
	var nameErr *mismatchError
	if !errors.As(err, &nameErr) {
		return nil, err
	}
	if pairs, why := orderPairs(m, f); why == "" {
		return loadPairs(pairs, path)
	} else if !skipMismatch {
		return nil, fmt.Errorf("%w\n(nor by topological order: %s)", err, why)
	}
	return loadByName(m, f, path, true)
}

// mismatchError is a file whose layer names or shapes do not fit the model.
type mismatchError struct{ msg string }

func (e *mismatchError) Error() string { return e.msg }

// orderPair is one model layer and the file layer it loads from.
type orderPair struct {
	model nn.Layer
	file  *weightsio.Layer
}

// orderPairs pairs the weight-bearing layers of m and f in order, or says
// why they do not pair: other counts, or the first pair whose weights differ.
func orderPairs(m *nn.Model, f *weightsio.File) ([]orderPair, string) {
	var ml []nn.Layer
	for _, l := range m.Layers() {
		if len(savedVars(l)) > 0 {
			ml = append(ml, l)
		}
	}
	var fl []*weightsio.Layer
	all := f.Layers()
	for i := range all {
		if len(all[i].Weights) > 0 {
			fl = append(fl, &all[i])
		}
	}
	if len(ml) != len(fl) {
		return nil, fmt.Sprintf("the model has %d layers with weights, the file %d", len(ml), len(fl))
	}
	pairs := make([]orderPair, len(ml))
	for i := range ml {
		vars := savedVars(ml[i])
		if len(vars) != len(fl[i].Weights) {
			return nil, fmt.Sprintf("layer %d: model layer %s has %d weights, file layer %s %d", i+1, ml[i].Name(), len(vars), fl[i].Name, len(fl[i].Weights))
		}
		for j, v := range vars {
			if w := fl[i].Weights[j]; !slices.Equal(v.Shape(), w.Shape) {
				return nil, fmt.Sprintf("layer %d: model layer %s weight %s has shape %v, file layer %s's %s %v", i+1, ml[i].Name(), v.Name(), v.Shape(), fl[i].Name, w.Name, w.Shape)
			}
		}
		pairs[i] = orderPair{ml[i], fl[i]}
	}
	return pairs, ""
}

// loadPairs sets each model layer's weights from its file layer, in order.
func loadPairs(pairs []orderPair, path string) (*LoadReport, error) {
	rep := &LoadReport{File: path, ByOrder: true}
	for _, p := range pairs {
		if p.file.Name != p.model.Name() {
			rep.Renamed = append(rep.Renamed, p.file.Name+" -> "+p.model.Name())
		}
		for j, v := range savedVars(p.model) {
			if err := readInto(v, &p.file.Weights[j], path, p.file.Name); err != nil {
				return nil, err
			}
		}
	}
	return rep, nil
}

// readInto reads w, the file's weight for v in layer (for messages), into
// v's own storage once its shape is checked: through a buffer instead, the
// buffer grown to the largest weight (VGG16's fc1, 411 MB) stays as
// garbage at the peak of the load.
func readInto(v *nn.Variable, w *weightsio.Weight, path, layer string) error {
	if !slices.Equal(w.Shape, v.Shape()) {
		return fmt.Errorf("%s: nn: %s: shape %v, want %v", path, v.Path(), w.Shape, v.Shape())
	}
	if err := w.ReadFloat32Into(v.Value()); err != nil {
		return fmt.Errorf("%s: layer %s: %w", path, layer, err)
	}
	return v.Set(w.Shape, v.Value()) // says the values changed
}

// loadByName loads weights by layer name (see LoadWeightsFrom).
func loadByName(m *nn.Model, f *weightsio.File, path string, skipMismatch bool) (*LoadReport, error) {
	rep := &LoadReport{File: path}
	used := map[string]bool{}
	var problems []string
	legacy := newLegacyLayouts(f)
	var load func(layers []nn.Layer) error
	load = func(layers []nn.Layer) error {
		for _, l := range layers {
			vars := savedVars(l)
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
			if handled, err := legacy.load(l, vars, fl, &problems); handled || err != nil {
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				continue
			}
			pairs, msg := matchWeights(vars, fl.Weights)
			if msg != "" {
				problems = append(problems, fmt.Sprintf("%s: %s", l.Name(), msg))
				continue
			}
			for i, v := range vars {
				if err := readInto(v, pairs[i], path, l.Name()); err != nil {
					return err
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
			return nil, &mismatchError{fmt.Sprintf("%s: weights do not fit model %q:\n  %s", path, m.Name(), strings.Join(problems, "\n  "))}
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

// savedVars are l's weights in the order Keras saves them (its
// _legacy_weights): trainable ones first, which for a nested model with
// frozen layers is not layer order.
func savedVars(l nn.Layer) []*nn.Variable {
	if sub, ok := l.(*nn.Model); ok {
		return append(sub.TrainableWeights(), sub.NonTrainableWeights()...)
	}
	return l.Weights()
}

// SavedLayers returns m's weights as Keras 2.3.1 saves them: one entry per
// layer of model.layers (a Sequential's InputLayer left out, as Keras'
// Sequential.layers leaves it), a nested model as one entry holding all its
// weights, each weight named "layer/weight:0". The data are the live values
// (not copies).
func SavedLayers(m *nn.Model) []weightsio.SavedLayer {
	var out []weightsio.SavedLayer
	for i, l := range m.Layers() {
		if _, input := l.(*nn.InputLayer); input && i == 0 && m.ClassName() == "Sequential" {
			continue
		}
		sl := weightsio.SavedLayer{Name: l.Name()}
		for _, v := range savedVars(l) {
			sl.Weights = append(sl.Weights, weightsio.SavedWeight{Name: v.Path() + ":0", Shape: v.Shape(), Data: v.Value()})
		}
		out = append(out, sl)
	}
	return out
}

// SaveWeights writes m's weights in Keras' save_weights layout (what
// model.load_weights reads), atomically: a temporary file renamed over path.
// No Run or training step of m runs meanwhile.
func SaveWeights(path string, m *nn.Model) error {
	return m.Exclusive(func() error {
		return weightsio.SaveWeights(path, SavedLayers(m), weightsio.SaveOptions{})
	})
}
