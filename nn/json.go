package nn

import "encoding/json"

// MarshalJSON writes the model as Keras' model.to_json() does: class name,
// config, Keras version 2.3.1 and backend.
func (m *Model) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"class_name": m.class, "config": m.Config(), "keras_version": "2.3.1", "backend": "tensorflow",
	})
}

// sequentialConfig is Keras 2.3.1's Sequential config: the layers in order,
// the input shape carried by the first.
func (m *Model) sequentialConfig() map[string]any {
	var layers []any
	for i, l := range m.layers[1:] {
		c := l.Config()
		if i == 0 {
			in := m.layers[0].(*InputLayer)
			c["batch_input_shape"] = append([]any{nil}, intsAny(in.shape)...)
		}
		layers = append(layers, map[string]any{"class_name": l.ClassName(), "config": c})
	}
	return map[string]any{"name": m.name, "layers": layers}
}
