package nn

import "fmt"

// keras1MergedSequential rewrites a Keras 1 Sequential model that starts
// with a Merge of branch models (Sequential([Merge([left, right], mode),
// ...])) as the functional model it computes: each branch a nested
// Sequential on its own input, the Merge's Keras 2 layer joining them, the
// following layers chained. Keras 1 saved the weights of the branches'
// layers under their own names, which the nested models keep.
func keras1MergedSequential(list []any) (map[string]any, error) {
	merge, _ := list[0].(map[string]any)
	cfg, _ := merge["config"].(map[string]any)
	name, _ := cfg["name"].(string)
	branches, _ := cfg["layers"].([]any)
	if len(branches) < 2 {
		return nil, fmt.Errorf("nn: Keras 1 Merge %q of %d branches", name, len(branches))
	}
	var layers, inputs, merged []any
	for i, b := range branches {
		branch, _ := b.(map[string]any)
		if branch == nil || branch["class_name"] != "Sequential" {
			return nil, fmt.Errorf("nn: Keras 1 Merge %q: branch %d is not a Sequential model", name, i)
		}
		t, err := translateKeras1Model(branch)
		if err != nil {
			return nil, err
		}
		first, _ := firstLayerConfig(t)
		if first == nil || first["batch_input_shape"] == nil {
			return nil, fmt.Errorf("nn: Keras 1 Merge %q: branch %d declares no input shape", name, i)
		}
		branchName := fmt.Sprintf("%s_branch_%d", name, i+1)
		inName := branchName + "_input"
		layers = append(layers,
			map[string]any{"class_name": "InputLayer", "name": inName, "inbound_nodes": []any{},
				"config": map[string]any{"name": inName, "batch_input_shape": first["batch_input_shape"]}},
			map[string]any{"class_name": "Sequential", "name": branchName, "config": map[string]any{"name": branchName, "layers": branchLayers(t)},
				"inbound_nodes": []any{[]any{[]any{inName, 0.0, 0.0, map[string]any{}}}}})
		inputs = append(inputs, []any{inName, 0.0, 0.0})
		// Node 0 of a nested model is its own graph; its first application is 1.
		merged = append(merged, []any{branchName, 1.0, 0.0, map[string]any{}})
	}
	joined, err := translateKeras1Layer(map[string]any{"class_name": "Merge", "config": cfg})
	if err != nil {
		return nil, err
	}
	joined["name"], joined["inbound_nodes"] = name, []any{merged}
	layers = append(layers, joined)
	prev := name
	for i, raw := range list[1:] {
		spec, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("nn: Keras 1 layer %d is not an object", i+1)
		}
		if spec["class_name"] == "Merge" {
			return nil, fmt.Errorf("nn: Keras 1 Sequential model with a second Merge (layer %d)", i+1)
		}
		t, err := translateKeras1Layer(spec)
		if err != nil {
			return nil, err
		}
		lc, _ := t["config"].(map[string]any)
		n, _ := lc["name"].(string)
		t["name"], t["inbound_nodes"] = n, []any{[]any{[]any{prev, 0.0, 0.0, map[string]any{}}}}
		layers = append(layers, t)
		prev = n
	}
	return map[string]any{"class_name": "Model", "config": map[string]any{
		"name": "sequential_1", "layers": layers, "input_layers": inputs, "output_layers": []any{[]any{prev, 0.0, 0.0}}}}, nil
}

// branchLayers is a translated Sequential's list of layers.
func branchLayers(m map[string]any) []any {
	if c, ok := m["config"].(map[string]any); ok {
		list, _ := c["layers"].([]any)
		return list
	}
	list, _ := m["config"].([]any)
	return list
}

// firstLayerConfig is the config of a translated Sequential's first layer.
func firstLayerConfig(m map[string]any) (map[string]any, bool) {
	list := branchLayers(m)
	if len(list) == 0 {
		return nil, false
	}
	spec, _ := list[0].(map[string]any)
	cfg, ok := spec["config"].(map[string]any)
	return cfg, ok
}
