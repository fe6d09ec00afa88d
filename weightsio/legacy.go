package weightsio

import (
	"github.com/keelml/keel/weightsio/hdf5"
)

// loadLegacy reads the Keras 1/2 layout: group's layer_names lists the
// layers; each layer group's weight_names lists dataset paths relative to it
// (names may contain "/", making nested groups, and a nested model keeps all
// its weights under its one layer group).
func (f *File) loadLegacy(root, group *hdf5.Group) error {
	for _, g := range []*hdf5.Group{root, group} {
		if f.KerasVersion == "" {
			v, _, err := stringAttr(g, "keras_version")
			if err != nil {
				return err
			}
			f.KerasVersion = v
		}
		if f.Backend == "" {
			v, _, err := stringAttr(g, "backend")
			if err != nil {
				return err
			}
			f.Backend = v
		}
	}
	names, _, err := attrList(group, "layer_names")
	if err != nil {
		return err
	}
	for _, name := range names {
		lg, err := group.Group(name)
		if err != nil {
			return err
		}
		layer := Layer{Name: name, Group: lg.Path()}
		weightNames, _, err := attrList(lg, "weight_names")
		if err != nil {
			return err
		}
		for _, wn := range weightNames {
			ds, err := lg.Dataset(wn)
			if err != nil {
				return err
			}
			layer.Weights = append(layer.Weights, newWeight(wn, ds))
		}
		f.layers = append(f.layers, layer)
	}
	return nil
}
