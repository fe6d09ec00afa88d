package nn

import (
	"encoding/json"
	"fmt"
	"slices"
)

// TranslateKeras1 rewrites a Keras 1 model_config ({"class_name", "config"})
// into the Keras 2 form ModelFromJSON reads, as Keras 2's legacy interfaces
// (keras/legacy/interfaces.py) convert Keras 1 layer arguments: output_dim
// becomes units, nb_filter filters, border_mode padding, dim_ordering
// data_format, init kernel_initializer, and so on; TimeDistributedDense
// becomes TimeDistributed(Dense) and a functional Merge the Keras 2 merge
// layer of its mode. Layers it does not know are left as they are, for the
// registry to accept or name.
func TranslateKeras1(modelConfig []byte) ([]byte, error) {
	var top map[string]any
	if err := json.Unmarshal(modelConfig, &top); err != nil {
		return nil, fmt.Errorf("nn: Keras 1 model config: %w", err)
	}
	out, err := translateKeras1Model(top)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// translateKeras1Model translates a model's {"class_name", "config"}, a
// Sequential's config being a bare list of layers or {"layers": [...]}.
func translateKeras1Model(m map[string]any) (map[string]any, error) {
	class, _ := m["class_name"].(string)
	switch cfg := m["config"].(type) {
	case []any:
		if first, _ := firstSpec(cfg); class == "Sequential" && first["class_name"] == "Merge" {
			return keras1MergedSequential(cfg)
		}
		layers, err := translateKeras1Layers(cfg, class == "Sequential")
		if err != nil {
			return nil, err
		}
		m["config"] = layers
	case map[string]any:
		list, _ := cfg["layers"].([]any)
		layers, err := translateKeras1Layers(list, class == "Sequential")
		if err != nil {
			return nil, err
		}
		cfg["layers"] = layers
	default:
		return nil, fmt.Errorf("nn: Keras 1 model config of %s without layers", class)
	}
	return m, nil
}

func translateKeras1Layers(list []any, sequential bool) ([]any, error) {
	out := make([]any, 0, len(list))
	for i, raw := range list {
		spec, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("nn: Keras 1 layer %d is not an object", i)
		}
		class, _ := spec["class_name"].(string)
		if class == "Merge" && sequential {
			cfg, _ := spec["config"].(map[string]any)
			name, _ := cfg["name"].(string)
			return nil, fmt.Errorf("nn: Keras 1 Sequential model with a Merge of branches as layer %d (%q): Keras 1 allows it only first", i, name)
		}
		t, err := translateKeras1Layer(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// keras1Renames are the argument names Keras 2 renamed, for every layer.
var keras1Renames = map[string]string{
	"init": "kernel_initializer", "inner_init": "recurrent_initializer",
	"W_regularizer": "kernel_regularizer", "U_regularizer": "recurrent_regularizer", "b_regularizer": "bias_regularizer",
	"W_constraint": "kernel_constraint", "U_constraint": "recurrent_constraint", "b_constraint": "bias_constraint",
	"bias": "use_bias", "border_mode": "padding", "subsample": "strides", "subsample_length": "strides",
	"dim_ordering": "data_format", "input_dtype": "dtype", "atrous_rate": "dilation_rate",
	"inner_activation": "recurrent_activation", "dropout_W": "dropout", "dropout_U": "recurrent_dropout",
	"pool_length": "pool_size", "stride": "strides", "beta_init": "beta_initializer", "gamma_init": "gamma_initializer",
}

// keras1Classes are the classes Keras 2 renamed.
var keras1Classes = map[string]string{
	"Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
	"AtrousConvolution1D": "Conv1D", "AtrousConvolution2D": "Conv2D",
	"Deconvolution2D": "Conv2DTranspose", "SeparableConvolution2D": "SeparableConv2D",
}

// keras1Merges maps a Merge mode to its Keras 2 layer.
var keras1Merges = map[string]string{
	"sum": "Add", "mul": "Multiply", "concat": "Concatenate", "ave": "Average", "max": "Maximum", "dot": "Dot",
}

// translateKeras1Layer translates one {"class_name", "config", ...} layer.
func translateKeras1Layer(spec map[string]any) (map[string]any, error) {
	class, _ := spec["class_name"].(string)
	cfg, _ := spec["config"].(map[string]any)
	if cfg == nil {
		return spec, nil
	}
	name, _ := cfg["name"].(string)
	fail := func(format string, a ...any) error {
		return fmt.Errorf("nn: Keras 1 %s %q: %s", class, name, fmt.Sprintf(format, a...))
	}
	switch class {
	case "Sequential", "Model":
		return translateKeras1Model(spec)
	case "TimeDistributedDense":
		inner := map[string]any{}
		for k, v := range cfg {
			if k != "batch_input_shape" && k != "input_dtype" && k != "input_length" && k != "input_dim" {
				inner[k] = v
			}
		}
		dense, err := translateKeras1Layer(map[string]any{"class_name": "Dense", "config": inner})
		if err != nil {
			return nil, err
		}
		wrapper := map[string]any{"name": name, "trainable": cfg["trainable"], "layer": dense}
		for _, k := range []string{"batch_input_shape", "input_dtype"} {
			if v, ok := cfg[k]; ok {
				wrapper[k] = v
			}
		}
		spec["class_name"], spec["config"] = "TimeDistributed", renameKeras1Args(wrapper)
		return spec, nil
	case "Bidirectional", "TimeDistributed":
		inner, ok := cfg["layer"].(map[string]any)
		if !ok {
			return nil, fail("config without a layer")
		}
		t, err := translateKeras1Layer(inner)
		if err != nil {
			return nil, err
		}
		cfg["layer"] = t
	case "Merge":
		mode, _ := cfg["mode"].(string)
		to, ok := keras1Merges[mode]
		if !ok {
			return nil, fail("merge mode %v has no Keras 2 layer (have sum, mul, concat, ave, max, dot)", cfg["mode"])
		}
		merged := map[string]any{"name": name, "trainable": cfg["trainable"]}
		switch to {
		case "Concatenate":
			merged["axis"] = orDefault(cfg["concat_axis"], -1.0)
		case "Dot":
			merged["axes"] = orDefault(cfg["dot_axes"], -1.0)
			merged["normalize"] = false
		}
		spec["class_name"], spec["config"] = to, merged
		return spec, nil
	case "BatchNormalization":
		if mode, ok := cfg["mode"].(float64); ok && mode != 0 {
			return nil, fail("mode %v: Keras 2 kept only mode 0 (feature-wise, with moving statistics)", mode)
		}
		delete(cfg, "mode")
	case "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D":
		if p, ok := cfg["p"]; ok {
			cfg["rate"] = p
			delete(cfg, "p")
		}
	case "Embedding":
		if p, _ := cfg["dropout"].(float64); p != 0 {
			return nil, fail("dropout %v: Keras 2's Embedding has no dropout", p)
		}
		delete(cfg, "dropout")
		moveKey(cfg, "init", "embeddings_initializer")
		moveKey(cfg, "W_regularizer", "embeddings_regularizer")
		moveKey(cfg, "W_constraint", "embeddings_constraint")
	case "LSTM", "GRU", "SimpleRNN":
		moveKey(cfg, "output_dim", "units")
		if fb, ok := cfg["forget_bias_init"]; ok {
			if class == "LSTM" {
				cfg["unit_forget_bias"] = fb == "one"
			}
			delete(cfg, "forget_bias_init")
		}
		if cl, ok := cfg["consume_less"].(string); ok {
			// Keras 2 read cpu as 0, mem as 1, gpu as 2: the same
			// computation, grouped differently.
			cfg["implementation"] = map[string]any{"cpu": 0.0, "mem": 1.0, "gpu": 2.0}[cl]
			delete(cfg, "consume_less")
		}
		delete(cfg, "input_dim")
		delete(cfg, "input_length")
	case "Dense", "Highway", "MaxoutDense":
		moveKey(cfg, "output_dim", "units")
		delete(cfg, "input_dim")
	}
	if to, ok := keras1Classes[class]; ok {
		spec["class_name"] = to
		switch to {
		case "Conv1D":
			moveKey(cfg, "nb_filter", "filters")
			moveKey(cfg, "filter_length", "kernel_size")
			delete(cfg, "input_dim")
			delete(cfg, "input_length")
		default:
			moveKey(cfg, "nb_filter", "filters")
			if r, ok := cfg["nb_row"]; ok {
				cfg["kernel_size"] = []any{r, cfg["nb_col"]}
				delete(cfg, "nb_row")
				delete(cfg, "nb_col")
			}
		}
	}
	if class == "Convolution1D" || class == "AtrousConvolution1D" || class == "MaxPooling1D" || class == "AveragePooling1D" {
		for _, k := range []string{"subsample_length", "stride", "pool_length", "filter_length", "kernel_size", "strides", "pool_size"} {
			if v, ok := cfg[k].(float64); ok {
				cfg[k] = []any{v}
			}
		}
	}
	spec["config"] = renameKeras1Args(cfg)
	return spec, nil
}

// renameKeras1Args renames cfg's Keras 1 arguments and converts their
// values: dim_ordering's tf/th, Keras 1 regularizer objects.
func renameKeras1Args(cfg map[string]any) map[string]any {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		to, ok := keras1Renames[k]
		if !ok {
			continue
		}
		if _, taken := cfg[to]; !taken {
			cfg[to] = cfg[k]
		}
		delete(cfg, k)
	}
	if f, ok := cfg["data_format"].(string); ok {
		switch f {
		case "tf":
			cfg["data_format"] = "channels_last"
		case "th":
			cfg["data_format"] = "channels_first"
		case "default":
			delete(cfg, "data_format") // Keras 2's default: channels_last
		}
	}
	for _, k := range []string{"kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer"} {
		if r, ok := cfg[k].(map[string]any); ok {
			if _, old := r["name"]; old {
				cfg[k] = map[string]any{"class_name": "L1L2", "config": map[string]any{"l1": orDefault(r["l1"], 0.0), "l2": orDefault(r["l2"], 0.0)}}
			}
		}
	}
	return cfg
}

func moveKey(cfg map[string]any, from, to string) {
	if v, ok := cfg[from]; ok {
		if _, taken := cfg[to]; !taken {
			cfg[to] = v
		}
		delete(cfg, from)
	}
}

func orDefault(v, def any) any {
	if v == nil {
		return def
	}
	return v
}

func firstSpec(list []any) (map[string]any, bool) {
	if len(list) == 0 {
		return nil, false
	}
	m, ok := list[0].(map[string]any)
	return m, ok
}
