package nn

import (
	"fmt"
	"strings"
	"testing"
)

// k3t is a Keras 3 __keras_tensor__ argument referring to layer's node.
func k3t(layer string, node int) string {
	return fmt.Sprintf(`{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": [%q, %d, 0]}}`, layer, node)
}

// k3layer is a Keras 3 functional layer entry called once with args.
func k3layer(class, name, cfg, args, kwargs string) string {
	inbound := "[]"
	if args != "" {
		inbound = fmt.Sprintf(`[{"args": [%s], "kwargs": {%s}}]`, args, kwargs)
	}
	return fmt.Sprintf(`{"module": "keras.layers", "class_name": %q, "config": {"name": %q, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}%s}, "registered_name": null, "name": %q, "inbound_nodes": %s}`, class, name, cfg, name, inbound)
}

const k3input = `{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32", "sparse": false, "name": "x"}, "registered_name": null, "name": "x", "inbound_nodes": []}`

func k3functional(outputs string, layers ...string) string {
	return fmt.Sprintf(`{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "m", "trainable": true, "layers": [%s], "input_layers": [["x", 0, 0]], "output_layers": %s}, "registered_name": "Functional"}`, strings.Join(layers, ", "), outputs)
}

// Keras 3's serialisation builds: batch_shape, call arguments, one list
// argument for merges, a bare output reference, a shared layer's second
// call, and nested models counted as Keras 3 counts them (a Functional's
// node 0 is its own graph, a Sequential's is its first call).
func TestKeras3Configs(t *testing.T) {
	const dense4 = `, "units": 4`
	nestedSeq := `{"module": "keras", "class_name": "Sequential", "config": {"name": "seq", "trainable": true, "layers": [
		{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "name": "seq_in"}, "registered_name": null},
		{"module": "keras.layers", "class_name": "Dense", "config": {"name": "seq_dense", "units": 3}, "registered_name": null}]},
		"registered_name": null, "name": "seq", "inbound_nodes": [{"args": [` + k3t("x", 0) + `], "kwargs": {}}]}`
	nestedFunc := `{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "inner", "trainable": true, "layers": [` +
		strings.Replace(k3input, `"x"`, `"inner_x"`, 2) + `, ` + k3layer("Dense", "inner_dense", dense4, k3t("inner_x", 0), "") + `],
		"input_layers": ["inner_x", 0, 0], "output_layers": ["inner_dense", 0, 0]}, "registered_name": "Functional",
		"name": "inner", "inbound_nodes": [{"args": [` + k3t("x", 0) + `], "kwargs": {"training": false}}]}`
	for _, c := range []struct {
		name, json string
		out        []int
		layers     int
	}{
		{"add of a list argument, bare output reference", k3functional(`["add", 0, 0]`, k3input,
			k3layer("Dense", "d", dense4, k3t("x", 0), ""),
			k3layer("Add", "add", "", "["+k3t("d", 0)+", "+k3t("x", 0)+"]", "")), []int{4}, 3},
		{"shared layer called twice", k3functional(`[["d", 1, 0]]`, k3input,
			`{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 4}, "registered_name": null, "name": "d", "inbound_nodes": [{"args": [`+k3t("x", 0)+`], "kwargs": {}}, {"args": [`+k3t("d", 0)+`], "kwargs": {}}]}`), []int{4}, 2},
		{"nested Sequential, node 0", k3functional(`[["seq", 0, 0]]`, k3input, nestedSeq), []int{3}, 2},
		{"nested Functional, node 1", k3functional(`[["d", 0, 0]]`, k3input, nestedFunc,
			k3layer("Dense", "d", `, "units": 2`, k3t("inner", 1), `"mask": null`)), []int{2}, 3},
		{"Sequential with an InputLayer", `{"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
			{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 5, 5, 2], "name": "in"}},
			{"module": "keras.layers", "class_name": "Flatten", "config": {"name": "f"}}]}}`, []int{50}, 2},
		{"Sequential without one", `{"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
			{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 2}}], "build_input_shape": [null, 3]}}`, []int{2}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := ModelFromJSON([]byte(c.json))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Output().Shape(); fmt.Sprint(got) != fmt.Sprint(c.out) {
				t.Fatalf("output shape %v, want %v", got, c.out)
			}
			if len(m.Layers()) != c.layers {
				t.Fatalf("%d layers, want %d", len(m.Layers()), c.layers)
			}
		})
	}
}

// What Keel cannot compute in a Keras 3 config is refused, named.
func TestKeras3ConfigsRefused(t *testing.T) {
	policy := func(p string) string {
		return k3functional(`[["d", 0, 0]]`, k3input, strings.Replace(k3layer("Dense", "d", `, "units": 2`, k3t("x", 0), ""), `"float32"}`, `"`+p+`"}`, 1))
	}
	for _, c := range []struct{ name, json, want string }{
		{"mixed precision", policy("mixed_float16"), `"mixed_float16" is not supported`},
		{"quantized policy", k3functional(`[["d", 0, 0]]`, k3input, strings.Replace(k3layer("Dense", "d", `, "units": 2`, k3t("x", 0), ""), `"DTypePolicy"`, `"QuantizedDTypePolicy"`, 1)), "QuantizedDTypePolicy"},
		{"tf.keras 2 mixed precision", `{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 3], "dtype": {"class_name": "Policy", "config": {"name": "mixed_float16"}}}}]}}`, `"mixed_float16" is not supported`},
		{"tensor keyword argument", k3functional(`[["d", 0, 0]]`, k3input, k3layer("Dense", "d", `, "units": 2`, k3t("x", 0), `"mask": `+k3t("x", 0))), `keyword argument "mask"`},
		{"constant argument", k3functional(`[["d", 0, 0]]`, k3input, k3layer("Dense", "d", `, "units": 2`, k3t("x", 0)+", 3", "")), "is not a tensor"},
		{"bad keras_history", k3functional(`[["d", 0, 0]]`, k3input, k3layer("Dense", "d", `, "units": 2`, strings.Replace(k3t("x", 0), `"x", 0, 0`, `"x", -1, 0`, 1), "")), "bad node reference"},
		{"nested Functional's own node", k3functional(`[["d", 0, 0]]`, k3input,
			`{"module": "keras", "class_name": "Functional", "config": {"name": "f", "layers": [`+k3input+`], "input_layers": [["x", 0, 0]], "output_layers": [["x", 0, 0]]}, "name": "f", "inbound_nodes": []}`,
			k3layer("Dense", "d", `, "units": 2`, k3t("f", 0), "")), "its own graph"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ModelFromJSON([]byte(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}
