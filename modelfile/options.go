package modelfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
)

// Options are what LoadWith takes beside the file.
type Options struct {
	// InputShape is the per-sample input shape (without the batch) of a
	// model whose file leaves dimensions other than the batch unknown, as a
	// fully convolutional model's [null, null, null, 3]: its known
	// dimensions must agree. Nil: the file must declare every dimension.
	InputShape []int
}

// ErrUnknownInputShape is returned (wrapped) by Load for a model whose
// input has unknown dimensions besides the batch: LoadWith's
// Options.InputShape gives them.
var ErrUnknownInputShape = errors.New("the model's input has unknown dimensions besides the batch")

// LoadWith is Load with options.
func LoadWith(path string, o Options) (*nn.Model, Meta, error) {
	f, err := weightsio.Open(path)
	if err != nil {
		return nil, Meta{}, err
	}
	defer f.Close()
	return loadFile(f, path, o)
}

// withInputShape fills the unknown dimensions of the model's one input in
// cfg (a Keras 2 model_config) from shape; with no shape, unknown
// dimensions are ErrUnknownInputShape.
func withInputShape(cfg []byte, shape []int) ([]byte, error) {
	var top map[string]any
	if err := json.Unmarshal(cfg, &top); err != nil {
		return nil, err
	}
	c, _ := top["config"].(map[string]any)
	layers, _ := c["layers"].([]any)
	var inputs []map[string]any // the configs that carry batch_input_shape
	for i, l := range layers {
		spec, _ := l.(map[string]any)
		lc, _ := spec["config"].(map[string]any)
		if spec == nil || lc == nil {
			continue
		}
		if spec["class_name"] == "InputLayer" || (i == 0 && top["class_name"] == "Sequential" && lc["batch_input_shape"] != nil) {
			inputs = append(inputs, lc)
		}
	}
	changed := false
	for _, in := range inputs {
		dims, _ := in["batch_input_shape"].([]any)
		name, _ := in["name"].(string)
		if len(dims) < 2 || !slices.Contains(dims[1:], nil) {
			if shape != nil && len(inputs) == 1 && showDims(dims[1:]) != showDims(intsAny(shape)) {
				return nil, fmt.Errorf("input %q is %v: Options.InputShape %v differs", name, showDims(dims[1:]), shape)
			}
			continue
		}
		if shape == nil {
			return nil, fmt.Errorf("%w: input %q is %v; give its size (modelfile.LoadWith with Options.InputShape; keel predict takes it from its input)", ErrUnknownInputShape, name, showDims(dims[1:]))
		}
		if len(inputs) > 1 {
			return nil, fmt.Errorf("input %q is %v: Options.InputShape gives the shape of a model with one input, this one has %d", name, showDims(dims[1:]), len(inputs))
		}
		if len(shape) != len(dims)-1 {
			return nil, fmt.Errorf("input %q is %v: Options.InputShape %v has another rank", name, showDims(dims[1:]), shape)
		}
		filled := []any{nil}
		for i, d := range dims[1:] {
			if d != nil && d != float64(shape[i]) {
				return nil, fmt.Errorf("input %q is %v: Options.InputShape %v differs in a known dimension", name, showDims(dims[1:]), shape)
			}
			if shape[i] <= 0 {
				return nil, fmt.Errorf("Options.InputShape %v: dimensions must be positive", shape)
			}
			filled = append(filled, float64(shape[i]))
		}
		in["batch_input_shape"] = filled
		changed = true
	}
	if !changed {
		return cfg, nil
	}
	return json.Marshal(top)
}

// showDims writes a shape with ? for the unknown dimensions.
func showDims(dims []any) string {
	s := "("
	for i, d := range dims {
		if i > 0 {
			s += ", "
		}
		if d == nil {
			s += "?"
		} else {
			s += fmt.Sprint(d)
		}
	}
	return s + ")"
}

func intsAny(v []int) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
