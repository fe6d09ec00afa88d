package zoo

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
)

// LoadReport says what loading a weight file did besides setting weights.
type LoadReport struct {
	File string
	// Unused lists the file's layers with weights that the model lacks.
	Unused []string
	// Skipped lists the model layers left as they were (SkipMismatch).
	Skipped []string
}

func (r *LoadReport) print(w io.Writer) {
	if len(r.Unused) > 0 {
		fmt.Fprintf(w, "notice: %s: %d layers with weights not in the model: %s\n", r.File, len(r.Unused), strings.Join(r.Unused, ", "))
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "notice: %s: %d model layers not loaded (missing or other shapes): %s\n", r.File, len(r.Skipped), strings.Join(r.Skipped, ", "))
	}
}

// topAliases are the names under which Keras versions saved the same top
// layer: keras_applications' resnet_common says "probs", tf.keras later
// "predictions".
var topAliases = map[string][]string{"probs": {"predictions"}, "predictions": {"probs"}}

// LoadWeights sets the weights of every layer of m (nested models included)
// from the layer of the same name in a Keras weight file that weightsio
// reads, checking every shape. Model layers whose weights the file lacks or
// holds with other shapes are an error listing them all, unless skipMismatch;
// file layers the model lacks are listed in the report.
func LoadWeights(m *nn.Model, path string, skipMismatch bool) (*LoadReport, error) {
	f, err := weightsio.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep := &LoadReport{File: path}
	used := map[string]bool{}
	var problems []string
	var scratch []float32
	for _, l := range flatLayers(m) {
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
			problems = append(problems, fmt.Sprintf("%s: not in the file", l.Name()))
			continue
		}
		used[fl.Name] = true
		if msg := mismatch(vars, fl.Weights); msg != "" {
			problems = append(problems, fmt.Sprintf("%s: %s", l.Name(), msg))
			continue
		}
		for i, v := range vars {
			w := &fl.Weights[i]
			scratch = slices.Grow(scratch[:0], w.Len())[:w.Len()]
			if err := w.ReadFloat32Into(scratch); err != nil {
				return nil, fmt.Errorf("%s: layer %s: %w", path, l.Name(), err)
			}
			if err := v.Set(w.Shape, scratch); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
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

// mismatch describes how a file layer's weights differ from the model's, or
// returns "".
func mismatch(vars []*nn.Variable, ws []weightsio.Weight) string {
	if len(vars) != len(ws) {
		return fmt.Sprintf("the model has %d weights, the file %d", len(vars), len(ws))
	}
	var diffs []string
	for i, v := range vars {
		if !slices.Equal(v.Shape(), ws[i].Shape) {
			diffs = append(diffs, fmt.Sprintf("%s has shape %v in the model, %v in the file (%s)", v.Name(), v.Shape(), ws[i].Shape, ws[i].Name))
		}
	}
	return strings.Join(diffs, "; ")
}

// flatLayers lists the layers of m, descending into nested models.
func flatLayers(m *nn.Model) []nn.Layer {
	var out []nn.Layer
	for _, l := range m.Layers() {
		if sub, ok := l.(*nn.Model); ok {
			out = append(out, flatLayers(sub)...)
			continue
		}
		out = append(out, l)
	}
	return out
}
