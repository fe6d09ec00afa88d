package weightsio

import (
	"errors"
	"fmt"

	"github.com/keelml/keel/weightsio/h5write"
	"github.com/keelml/keel/weightsio/hdf5"
)

// writeOptimizerWeights is the optimizer part of Keras 2's save_model.
func writeOptimizerWeights(g *h5write.Group, ws []SavedWeight) error {
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = w.Name
	}
	if err := checkNames("optimizer weight name", names); err != nil {
		return err
	}
	for _, w := range ws {
		if _, err := g.Dataset(w.Name, w.Shape, w.Data); err != nil {
			return fmt.Errorf("optimizer weight %s: %w", w.Name, err)
		}
	}
	return setNameList(g, "weight_names", names)
}

// OptimizerWeights returns the optimizer state of a Keras 2 full-model
// file, the datasets /optimizer_weights lists in its weight_names, in that
// order; none (and no error) when the file has no optimizer state.
func (f *File) OptimizerWeights() ([]Weight, error) {
	if f.h5 == nil || f.Format != FormatH5Model {
		return nil, nil
	}
	root, err := f.h5.Root()
	if err != nil {
		return nil, err
	}
	if !hasMember(root, "optimizer_weights") {
		return nil, nil
	}
	g, err := root.Group("optimizer_weights")
	if err != nil {
		return nil, err
	}
	names, ok, err := attrList(g, "weight_names")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("weightsio: /optimizer_weights has no weight_names")
	}
	out := make([]Weight, 0, len(names))
	for _, n := range names {
		ds, err := g.Dataset(n)
		if errors.Is(err, hdf5.ErrNotFound) {
			return nil, fmt.Errorf("weightsio: optimizer weight %s is listed but missing", n)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, newWeight(n, ds))
	}
	return out, nil
}
