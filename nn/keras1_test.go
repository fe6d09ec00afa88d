package nn

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func translated(t *testing.T, keras1 string) map[string]any {
	t.Helper()
	out, err := TranslateKeras1([]byte(keras1))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The Keras 1 arguments real files use become what Keras 2's legacy
// interfaces make of them.
func TestTranslateKeras1Layers(t *testing.T) {
	cases := []struct{ name, keras1, keras2 string }{
		{"Convolution2D",
			`{"class_name": "Convolution2D", "config": {"name": "c", "nb_filter": 2, "nb_row": 3, "nb_col": 1, "init": "glorot_uniform", "border_mode": "same", "subsample": [2, 1], "dim_ordering": "th", "bias": false, "activation": "relu", "batch_input_shape": [null, 3, 8, 8], "input_dtype": "float32", "W_regularizer": {"l2": 0.1, "name": "WeightRegularizer", "l1": 0.0}}}`,
			`{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [3, 1], "kernel_initializer": "glorot_uniform", "padding": "same", "strides": [2, 1], "data_format": "channels_first", "use_bias": false, "activation": "relu", "batch_input_shape": [null, 3, 8, 8], "dtype": "float32", "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0, "l2": 0.1}}}}`},
		{"Convolution1D",
			`{"class_name": "Convolution1D", "config": {"name": "c", "nb_filter": 6, "filter_length": 3, "border_mode": "valid", "subsample_length": 1, "input_dim": 5, "input_length": 10}}`,
			`{"class_name": "Conv1D", "config": {"name": "c", "filters": 6, "kernel_size": [3], "padding": "valid", "strides": [1]}}`},
		{"Dense",
			`{"class_name": "Dense", "config": {"name": "d", "output_dim": 6, "input_dim": 4, "bias": true, "b_constraint": null}}`,
			`{"class_name": "Dense", "config": {"name": "d", "units": 6, "use_bias": true, "bias_constraint": null}}`},
		{"MaxPooling2D",
			`{"class_name": "MaxPooling2D", "config": {"name": "p", "pool_size": [5, 5], "strides": [5, 5], "border_mode": "valid", "dim_ordering": "tf"}}`,
			`{"class_name": "MaxPooling2D", "config": {"name": "p", "pool_size": [5, 5], "strides": [5, 5], "padding": "valid", "data_format": "channels_last"}}`},
		{"MaxPooling1D",
			`{"class_name": "MaxPooling1D", "config": {"name": "p", "pool_length": 2, "stride": null, "border_mode": "valid"}}`,
			`{"class_name": "MaxPooling1D", "config": {"name": "p", "pool_size": [2], "strides": null, "padding": "valid"}}`},
		{"Dropout", `{"class_name": "Dropout", "config": {"name": "d", "p": 0.25}}`, `{"class_name": "Dropout", "config": {"name": "d", "rate": 0.25}}`},
		{"BatchNormalization",
			`{"class_name": "BatchNormalization", "config": {"name": "b", "mode": 0, "axis": 1, "epsilon": 0.001, "beta_init": "zero", "gamma_init": "one"}}`,
			`{"class_name": "BatchNormalization", "config": {"name": "b", "axis": 1, "epsilon": 0.001, "beta_initializer": "zero", "gamma_initializer": "one"}}`},
		{"Embedding",
			`{"class_name": "Embedding", "config": {"name": "e", "input_dim": 4, "output_dim": 5, "init": "uniform", "input_length": 10, "mask_zero": false, "dropout": 0.0, "input_dtype": "int32"}}`,
			`{"class_name": "Embedding", "config": {"name": "e", "input_dim": 4, "output_dim": 5, "embeddings_initializer": "uniform", "input_length": 10, "mask_zero": false, "dtype": "int32"}}`},
		{"LSTM",
			`{"class_name": "LSTM", "config": {"name": "l", "output_dim": 3, "inner_activation": "hard_sigmoid", "inner_init": "orthogonal", "forget_bias_init": "one", "consume_less": "gpu", "dropout_W": 0.5, "dropout_U": 0.0, "return_sequences": true, "go_backwards": false, "input_dim": 2, "input_length": 10, "U_regularizer": null}}`,
			`{"class_name": "LSTM", "config": {"name": "l", "units": 3, "recurrent_activation": "hard_sigmoid", "recurrent_initializer": "orthogonal", "unit_forget_bias": true, "implementation": 2, "dropout": 0.5, "recurrent_dropout": 0.0, "return_sequences": true, "go_backwards": false, "recurrent_regularizer": null}}`},
		{"GRU",
			`{"class_name": "GRU", "config": {"name": "g", "output_dim": 3, "consume_less": "cpu"}}`,
			`{"class_name": "GRU", "config": {"name": "g", "units": 3, "implementation": 0}}`},
		{"TimeDistributedDense",
			`{"class_name": "TimeDistributedDense", "config": {"name": "t", "trainable": true, "output_dim": 3, "bias": true, "init": "glorot_uniform", "input_dim": 2, "input_length": 10}}`,
			`{"class_name": "TimeDistributed", "config": {"name": "t", "trainable": true, "layer": {"class_name": "Dense", "config": {"name": "t", "trainable": true, "units": 3, "use_bias": true, "kernel_initializer": "glorot_uniform"}}}}`},
		{"Bidirectional",
			`{"class_name": "Bidirectional", "config": {"name": "b", "merge_mode": "concat", "batch_input_shape": [null, 4, 10], "input_dtype": "float32", "layer": {"class_name": "SimpleRNN", "config": {"name": "r", "output_dim": 10}}}}`,
			`{"class_name": "Bidirectional", "config": {"name": "b", "merge_mode": "concat", "batch_input_shape": [null, 4, 10], "dtype": "float32", "layer": {"class_name": "SimpleRNN", "config": {"name": "r", "units": 10}}}}`},
		{"InputLayer",
			`{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 70], "input_dtype": "float32", "sparse": false, "name": "input_1"}}`,
			`{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 70], "dtype": "float32", "sparse": false, "name": "input_1"}}`},
		{"Reshape unchanged", `{"class_name": "Reshape", "config": {"name": "r", "target_shape": [7, 7, 10]}}`, `{"class_name": "Reshape", "config": {"name": "r", "target_shape": [7, 7, 10]}}`},
		{"Permute unchanged", `{"class_name": "Permute", "config": {"name": "p", "dims": [2, 1]}}`, `{"class_name": "Permute", "config": {"name": "p", "dims": [2, 1]}}`},
		{"default dim_ordering", `{"class_name": "Flatten", "config": {"name": "f", "dim_ordering": "default"}}`, `{"class_name": "Flatten", "config": {"name": "f"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := translated(t, `{"class_name": "Sequential", "config": [`+c.keras1+`]}`)
			want := mustJSON(t, `{"class_name": "Sequential", "config": [`+c.keras2+`]}`)
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
}

// A functional Merge becomes the Keras 2 layer of its mode, keeping its
// name and inbound nodes.
func TestTranslateKeras1Merge(t *testing.T) {
	for mode, want := range map[string]string{
		`"sum"`:                      `{"name": "m", "trainable": true}`,
		`"concat", "concat_axis": 1`: `{"name": "m", "trainable": true, "axis": 1}`,
		`"concat"`:                   `{"name": "m", "trainable": true, "axis": -1}`,
		`"dot", "dot_axes": [1, 1]`:  `{"name": "m", "trainable": true, "axes": [1, 1], "normalize": false}`,
	} {
		got := translated(t, `{"class_name": "Model", "config": {"name": "m1", "layers": [
			{"class_name": "Merge", "name": "m", "config": {"name": "m", "trainable": true, "mode": `+mode+`}, "inbound_nodes": [[["a", 0, 0], ["b", 0, 0]]]}],
			"input_layers": [], "output_layers": [["m", 0, 0]]}}`)
		layer := got["config"].(map[string]any)["layers"].([]any)[0].(map[string]any)
		class := map[string]string{`"sum"`: "Add", `"dot", "dot_axes": [1, 1]`: "Dot"}[mode]
		if class == "" {
			class = "Concatenate"
		}
		if layer["class_name"] != class || !reflect.DeepEqual(layer["config"], mustJSON(t, want)) {
			t.Errorf("mode %s: %v %v, want %s %s", mode, layer["class_name"], layer["config"], class, want)
		}
		if !reflect.DeepEqual(layer["inbound_nodes"], mustJSON(t, `[[["a", 0, 0], ["b", 0, 0]]]`)) {
			t.Errorf("mode %s: inbound nodes %v", mode, layer["inbound_nodes"])
		}
	}
}

// What Keras 2 could not read either is an error naming the layer.
func TestTranslateKeras1Refuses(t *testing.T) {
	for _, c := range []struct{ cfg, want string }{
		{`{"class_name": "Sequential", "config": [{"class_name": "BatchNormalization", "config": {"name": "bn", "mode": 2}}]}`, `BatchNormalization "bn": mode 2`},
		{`{"class_name": "Model", "config": {"layers": [{"class_name": "Merge", "name": "m", "config": {"name": "m", "mode": "cos"}}]}}`, `Merge "m": merge mode cos`},
		{`{"class_name": "Sequential", "config": [{"class_name": "Merge", "config": {"name": "m", "mode": "sum", "layers": []}}]}`, `Merge "m" of 0 branches`},
		{`{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "d"}}, {"class_name": "Merge", "config": {"name": "m", "mode": "sum"}}]}}`, `Merge of branches as layer 1 ("m")`},
		{`{"class_name": "Sequential", "config": [{"class_name": "Embedding", "config": {"name": "e", "dropout": 0.2}}]}`, `Embedding "e": dropout 0.2`},
		{`{"class_name": "Sequential", "config": 3}`, `without layers`},
		{`not json`, `Keras 1 model config`},
	} {
		_, err := TranslateKeras1([]byte(c.cfg))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.cfg, err, c.want)
		}
	}
}

// Keras 1's Sequential([Merge([left, right], mode="concat"), Dense]) runs as
// the functional model it is: each branch on its own input.
func TestTranslateKeras1SequentialMerge(t *testing.T) {
	out, err := TranslateKeras1([]byte(`{"class_name": "Sequential", "config": [
		{"class_name": "Merge", "config": {"name": "merge_1", "mode": "concat", "concat_axis": -1, "layers": [
			{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "left", "output_dim": 2, "batch_input_shape": [null, 3], "input_dim": 3}}]},
			{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "right", "output_dim": 1, "batch_input_shape": [null, 2], "input_dim": 2}}]}]}},
		{"class_name": "Dense", "config": {"name": "top", "output_dim": 1, "bias": false}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ModelFromJSON(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var left, right, top *Variable
	var leftB, rightB *Variable
	for _, l := range m.flatLayers() {
		switch l.Name() {
		case "left":
			left, leftB = l.Weight("kernel"), l.Weight("bias")
		case "right":
			right, rightB = l.Weight("kernel"), l.Weight("bias")
		case "top":
			top = l.Weight("kernel")
		}
	}
	if left == nil || right == nil || top == nil || top.Shape()[0] != 3 {
		t.Fatalf("layers left %v right %v top %v", left, right, top)
	}
	x1 := &Tensor{Shape: []int{1, 3}, Data: []float32{1, 2, 3}}
	x2 := &Tensor{Shape: []int{1, 2}, Data: []float32{-1, 4}}
	y, err := m.Run(x1, x2)
	if err != nil {
		t.Fatal(err)
	}
	var feat []float32
	for u := range 2 {
		s := leftB.Value()[u]
		for i := range 3 {
			s += x1.Data[i] * left.Value()[i*2+u]
		}
		feat = append(feat, s)
	}
	s := rightB.Value()[0]
	for i := range 2 {
		s += x2.Data[i] * right.Value()[i]
	}
	feat = append(feat, s)
	want := float32(0)
	for i, f := range feat {
		want += f * top.Value()[i]
	}
	if got := y[0].Data[0]; math.Abs(float64(got-want)) > 1e-5 {
		t.Errorf("got %g, want %g", got, want)
	}
}
