package nn_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/hostile"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/nn"
)

// fuzzLimits keep what one fuzzed config may build far below
// hostile.FuzzAlloc: 16 MB of weights, inputs of 16k values.
var fuzzLimits = nn.Limits{MaxWeights: 1 << 22, MaxInputValues: 1 << 14}

// keras3Config is a small functional model as Keras 3 writes it (batch_shape,
// module and registered_name, inbound nodes as call arguments).
const keras3Config = `{"module": "keras", "class_name": "Functional", "config": {"name": "functional", "trainable": true,
"layers": [
 {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 3], "dtype": "float32", "sparse": false, "name": "input_layer"}, "registered_name": null, "name": "input_layer", "inbound_nodes": []},
 {"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "conv", "trainable": true, "dtype": "float32", "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true}, "registered_name": null, "build_config": {"input_shape": [null, 8, 8, 3]}, "name": "conv", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 8, 8, 3], "dtype": "float32", "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]},
 {"module": "keras.layers", "class_name": "GlobalAveragePooling2D", "config": {"name": "gap", "trainable": true, "dtype": "float32", "data_format": "channels_last", "keepdims": false}, "registered_name": null, "name": "gap", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 8, 8, 4], "dtype": "float32", "keras_history": ["conv", 0, 0]}}], "kwargs": {}}]}
],
"input_layers": [["input_layer", 0, 0]], "output_layers": [["gap", 0, 0]]}, "registered_name": "Functional"}`

// keras2Functional is a small Keras 2 functional model with a residual Add.
const keras2Functional = `{"class_name": "Model", "config": {"name": "m", "layers": [
 {"name": "in", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 6, 6, 2], "name": "in"}, "inbound_nodes": []},
 {"name": "c", "class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "padding": "same"}, "inbound_nodes": [[["in", 0, 0, {}]]]},
 {"name": "bn", "class_name": "BatchNormalization", "config": {"name": "bn", "axis": 3}, "inbound_nodes": [[["c", 0, 0, {}]]]},
 {"name": "add", "class_name": "Add", "config": {"name": "add"}, "inbound_nodes": [[["bn", 0, 0, {}], ["in", 0, 0, {}]]]},
 {"name": "f", "class_name": "Flatten", "config": {"name": "f"}, "inbound_nodes": [[["add", 0, 0, {}]]]},
 {"name": "d", "class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "softmax"}, "inbound_nodes": [[["f", 0, 0, {}]]]}
], "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}, "keras_version": "2.3.1", "backend": "tensorflow"}`

// FuzzModelFromJSON builds models from arbitrary Keras 2 and Keras 3 JSON:
// never a panic, and no config allocating more than hostile.FuzzAlloc.
func FuzzModelFromJSON(f *testing.F) {
	f.Add([]byte(keras3Config))
	f.Add([]byte(keras2Functional))
	f.Add([]byte(hostile.SequentialConfig(8, 8, 3, hostile.Conv2D("c", 4),
		`{"class_name": "DepthwiseConv2D", "config": {"kernel_size": 3, "depth_multiplier": 2}}`,
		`{"class_name": "MaxPooling2D", "config": {"pool_size": 2}}`,
		`{"class_name": "ZeroPadding2D", "config": {"padding": [[1, 0], [0, 1]]}}`,
		`{"class_name": "SeparableConv2D", "config": {"filters": 3, "kernel_size": [1, 1]}}`,
		`{"class_name": "Reshape", "config": {"target_shape": [-1, 3]}}`,
		`{"class_name": "Dense", "config": {"units": 2}}`)))
	f.Add([]byte(hostile.SequentialConfig(8, 8, 3, hostile.Conv2D("c", 1<<40))))
	if b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(f), "..", "shared", "golden", "archs", "mobilenet025_notop_64.json")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		hostile.CheckAlloc(t, func() { nn.ModelFromJSONWithin(b, fuzzLimits) })
	})
}
