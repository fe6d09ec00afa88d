package modelfile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
)

// keras3Layout reports whether f holds weights in Keras 3's object layout
// (a .keras archive or a .weights.h5 with layers/<object>/vars/<i>).
func keras3Layout(f *weightsio.File) bool {
	return f.Format == weightsio.FormatArchive || f.Format == weightsio.FormatKeras3
}

// loadByKeras3Layout sets m's weights from a Keras 3 file as Keras 3's
// load_weights does: each layer from the object its place in m names
// (layers/<class in snake case, numbered>, nested models' layers below
// theirs), whatever the layer's name, except that where the file records
// the layers' names (Keras 3.8 on), a layer finds the object of its own
// name first. Names that differ are listed in the report as renamed. Every
// weight of m must be found with its shape, or the load changes nothing
// and the error lists what did not fit.
func loadByKeras3Layout(m *nn.Model, f *weightsio.File, path string) (*LoadReport, error) {
	rep := &LoadReport{File: path}
	type assignment struct {
		v    *nn.Variable
		w    *weightsio.Weight
		name string
	}
	var sets []assignment
	var problems []string
	used := map[string]bool{}
	var walk func(model *nn.Model, prefix string, depth int) error
	walk = func(model *nn.Model, prefix string, depth int) error {
		if depth > maxKeras3Nesting {
			return fmt.Errorf("models nested more than %d deep", maxKeras3Nesting)
		}
		named, err := f.Keras3Children(prefix)
		if err != nil {
			return err
		}
		var namer weightsio.Keras3Namer
		for i, l := range model.Layers() {
			if _, input := l.(*nn.InputLayer); input && i == 0 && model.ClassName() == "Sequential" {
				continue
			}
			objPath := prefix + "layers/" + namer.Next(keras3Class(l))
			if p, ok := named[l.Name()]; ok {
				objPath = p
			}
			if sub, nested := l.(*nn.Model); nested {
				if err := walk(sub, objPath+"/", depth+1); err != nil {
					return err
				}
				continue
			}
			vars := l.Weights()
			if len(vars) == 0 {
				continue
			}
			obj, err := f.Keras3Object(objPath)
			if err != nil {
				return err
			}
			switch {
			case !obj.Found:
				problems = append(problems, fmt.Sprintf("%s: not in the file (no %s/vars)", l.Name(), objPath))
				continue
			case len(obj.Vars) != len(vars):
				problems = append(problems, fmt.Sprintf("%s: the model has %d weights, the file's %s %d", l.Name(), len(vars), objPath, len(obj.Vars)))
				continue
			}
			used[objPath] = true
			if obj.Name != "" && obj.Name != l.Name() {
				rep.Renamed = append(rep.Renamed, obj.Name+" -> "+l.Name())
			}
			for j, v := range vars {
				w := &obj.Vars[j]
				if !slices.Equal(v.Shape(), w.Shape) {
					problems = append(problems, fmt.Sprintf("%s: %s has shape %v in the model, %v in the file (%s)", l.Name(), v.Name(), v.Shape(), w.Shape, w.Path))
					continue
				}
				sets = append(sets, assignment{v, w, l.Name()})
			}
		}
		return nil
	}
	if err := walk(m, "", 0); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(problems) > 0 {
		return nil, &mismatchError{fmt.Sprintf("%s: weights do not fit model %q by Keras 3's layout:\n  %s", path, m.Name(), strings.Join(problems, "\n  "))}
	}
	var scratch []float32
	for _, s := range sets {
		scratch = slices.Grow(scratch[:0], s.w.Len())[:s.w.Len()]
		if err := s.w.ReadFloat32Into(scratch); err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", path, s.name, err)
		}
		if err := s.v.Set(s.w.Shape, scratch); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	for _, fl := range f.Layers() {
		g := strings.TrimPrefix(fl.Group, "/")
		if len(fl.Weights) > 0 && !slices.ContainsFunc(keysOf(used), func(p string) bool { return p == g || strings.HasPrefix(p, g+"/") }) {
			rep.Unused = append(rep.Unused, fl.Name)
		}
	}
	return rep, nil
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
