package nn

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
)

// Keras3JSON writes the model as Keras 3's saving_lib writes config.json in
// a .keras archive (serialize_keras_object of the model): module,
// class_name, config, registered_name and build_config, the layers with
// their dtype policies, initializers as objects and inbound nodes as call
// arguments, keys in Keras' order and spaced as Python's json.dumps.
func (m *Model) Keras3JSON() ([]byte, error) {
	b, err := json.Marshal(m.keras3Object())
	if err != nil {
		return nil, err
	}
	return pythonJSONSpacing(b), nil
}

// object is a JSON object whose keys keep their order.
type object []field

type field struct {
	k string
	v any
}

// MarshalJSON writes the fields in order.
func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// pythonJSONSpacing turns compact JSON into json.dumps' default layout: a
// space after every comma and colon outside strings.
func pythonJSONSpacing(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/4)
	inString, escaped := false, false
	for _, c := range b {
		out = append(out, c)
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped, inString = c == '\\', c != '"'
		case c == '"':
			inString = true
		case c == ',' || c == ':':
			out = append(out, ' ')
		}
	}
	return out
}

// keras3Object is serialize_keras_object(model).
func (m *Model) keras3Object() object {
	if m.class == "Sequential" {
		in := m.layers[0].(*InputLayer)
		layers := make([]any, 0, len(m.layers))
		for _, l := range m.layers {
			layers = append(layers, keras3LayerObject(l, m.firstInputShapes(l)))
		}
		return object{
			{"module", "keras"}, {"class_name", "Sequential"},
			{"config", object{{"name", m.name}, {"trainable", m.trainable}, {"dtype", keras3Policy()},
				{"layers", layers}, {"build_input_shape", batchShape(in.shape)}}},
			{"registered_name", nil}, {"build_config", object{{"input_shape", batchShape(in.shape)}}},
		}
	}
	layers := make([]any, 0, len(m.layers))
	for _, l := range m.layers {
		entry := keras3LayerObject(l, m.firstInputShapes(l))
		entry = append(entry, field{"name", l.Name()}, field{"inbound_nodes", m.keras3Inbound(l)})
		layers = append(layers, entry)
	}
	ends := func(nodes []*Node) []any {
		out := make([]any, 0, len(nodes))
		for _, n := range nodes {
			out = append(out, []any{n.layer.Name(), keras3NodeIndex(m, n), n.index})
		}
		return out
	}
	return object{
		{"module", "keras.src.models.functional"}, {"class_name", "Functional"},
		{"config", object{{"name", m.name}, {"trainable", m.trainable}, {"layers", layers},
			{"input_layers", ends(m.inputs)}, {"output_layers", ends(m.outputs)}}},
		{"registered_name", "Functional"}, {"build_config", object{{"input_shape", nil}}},
	}
}

// keras3NodeIndex is n's node index as Keras 3 counts it: a nested
// Functional's node 0 is its own graph, a nested Sequential (no Functional
// in Keras 3) has none.
func keras3NodeIndex(m *Model, n *Node) int {
	i := m.nodeIndex(n)
	if sub, ok := n.layer.(*Model); ok && sub.class == "Sequential" {
		i--
	}
	return i
}

// keras3Inbound serialises the layer's calls within m as Keras 3's
// serialize_node: the input tensors as positional arguments (one list for
// several), training=False where the call said so.
func (m *Model) keras3Inbound(l Layer) []any {
	nodes := []any{}
	for _, n := range l.InboundNodes() {
		if !m.owns(n) {
			continue
		}
		ins := appInputs(n)
		if len(ins) == 0 {
			continue
		}
		tensors := make([]any, len(ins))
		for i, x := range ins {
			tensors[i] = object{{"class_name", "__keras_tensor__"}, {"config", object{
				{"shape", batchShape(x.shape)}, {"dtype", "float32"},
				{"keras_history", []any{x.layer.Name(), keras3NodeIndex(m, x), x.index}}}}}
		}
		args := tensors
		if len(tensors) > 1 || keras3ListCall[l.ClassName()] {
			args = []any{tensors}
		}
		kwargs := object{}
		if l.ClassName() == "BatchNormalization" {
			kwargs = append(kwargs, field{"mask", nil})
		}
		if n.call != nil && n.call.inference {
			kwargs = append(kwargs, field{"training", false})
		}
		nodes = append(nodes, object{{"args", args}, {"kwargs", kwargs}})
	}
	return nodes
}

// firstInputShapes are the input shapes of l's first call, with the batch
// as None: what Keras 3 records as build_config.
func (m *Model) firstInputShapes(l Layer) []any {
	nodes := l.InboundNodes()
	if len(nodes) == 0 {
		return nil
	}
	var shapes []any
	for _, x := range appInputs(nodes[0]) {
		shapes = append(shapes, batchShape(x.shape))
	}
	return shapes
}

func batchShape(shape []int) []any { return append([]any{nil}, intsAny(shape)...) }

// keras3ListCall are the classes Keras 3 calls with one list of tensors.
var keras3ListCall = map[string]bool{
	"Add": true, "Multiply": true, "Concatenate": true, "Subtract": true, "Average": true,
	"Maximum": true, "Minimum": true, "Dot": true,
}

// keras3Builds are the weightless classes whose Keras 3 layers define
// build(), and so save a build_config; every layer with weights does too.
var keras3Builds = map[string]bool{"Flatten": true, "Reshape": true}

func keras3Policy() object {
	return object{{"module", "keras"}, {"class_name", "DTypePolicy"}, {"config", object{{"name", "float32"}}}, {"registered_name", nil}}
}

// keras3LayerObject is serialize_keras_object(layer), given the input
// shapes of its first call.
func keras3LayerObject(l Layer, inputShapes []any) object {
	if sub, ok := l.(*Model); ok {
		return sub.keras3Object()
	}
	class := l.ClassName()
	o := object{{"module", "keras.layers"}, {"class_name", class}, {"config", keras3LayerConfig(l)}, {"registered_name", nil}}
	if len(inputShapes) > 0 && (len(l.Weights()) > 0 || keras3Builds[class] || keras3ListCall[class]) {
		var shape any = inputShapes[0]
		if len(inputShapes) > 1 || keras3ListCall[class] {
			shape = inputShapes
		}
		o = append(o, field{"build_config", object{{"input_shape", shape}}})
	}
	return o
}

// keras3LayerConfig is a layer's get_config as Keras 3 writes it: name,
// trainable and the dtype policy first, then the class's keys in Keras 3's
// order with its defaults for what Keel's config leaves out (initializers,
// regularizers and constraints Keel does not model), then any other keys.
func keras3LayerConfig(l Layer) object {
	c := keras3ActivationNames(l.Config())
	if in, ok := l.(*InputLayer); ok {
		return object{{"batch_shape", batchShape(in.shape)}, {"dtype", "float32"}, {"sparse", false}, {"ragged", false}, {"name", in.Name()}}
	}
	o := object{{"name", c["name"]}, {"trainable", c["trainable"]}, {"dtype", keras3Policy()}}
	done := map[string]bool{"name": true, "trainable": true, "dtype": true, "batch_input_shape": true}
	for _, d := range keras3Defaults[l.ClassName()] {
		v, ok := c[d.k]
		if !ok {
			v = d.v
		}
		o = append(o, field{d.k, keras3Value(v)})
		done[d.k] = true
	}
	var rest []string
	for k := range c {
		if !done[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		o = append(o, field{k, keras3Value(c[k])})
	}
	return o
}

// keras3ActivationNames gives c's activations their Keras 3 names, the
// reverse of layerSpec.keras3Activations: Keel's hard_sigmoid_keras3 is
// Keras 3's "hard_sigmoid"; Keras 2's hard_sigmoid, which Keras 3 lacks,
// keeps a name of its own ("hard_sigmoid_keras2") that no reader takes
// for Keras 3's.
// keras2HardSigmoid is Keras 2's hard_sigmoid in the Keras 3 configs Keel writes.
const keras2HardSigmoid = "hard_sigmoid_keras2"

func keras3ActivationNames(c map[string]any) map[string]any {
	for _, key := range []string{"activation", "recurrent_activation"} {
		switch c[key] {
		case string(actHardSigmoid3):
			c[key] = string(actHardSigmoid)
		case string(actHardSigmoid):
			c[key] = keras2HardSigmoid
		}
	}
	return c
}

// keras3Value writes a Keras 2 serialised object ({"class_name", "config"},
// as an initializer) as Keras 3 does, with module and registered_name.
func keras3Value(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	class, isObj := m["class_name"].(string)
	if !isObj || len(m) != 2 {
		return v
	}
	module := "keras.initializers"
	if slices.Contains([]string{"L1", "L2", "L1L2", "OrthogonalRegularizer"}, class) {
		module = "keras.regularizers"
	}
	return object{{"module", module}, {"class_name", class}, {"config", m["config"]}, {"registered_name", nil}}
}

func keras3Initializer(class string, cfg object) object {
	return object{{"module", "keras.initializers"}, {"class_name", class}, {"config", cfg}, {"registered_name", nil}}
}

// keras3Defaults are the get_config keys of Keras 3.10's layers after name,
// trainable and dtype, in order, with the values of layers built with
// Keras' defaults.
var keras3Defaults = func() map[string]object {
	glorot, zeros, ones := keras3Initializer("GlorotUniform", object{{"seed", nil}}), keras3Initializer("Zeros", object{}), keras3Initializer("Ones", object{})
	conv := func(first object) object {
		return append(first, object{{"kernel_size", []any{1, 1}}, {"strides", []any{1, 1}}, {"padding", "valid"},
			{"data_format", "channels_last"}, {"dilation_rate", []any{1, 1}}}...)
	}
	tail := func(kernel string, activity bool) object {
		o := object{{kernel + "_initializer", glorot}, {"bias_initializer", zeros}, {kernel + "_regularizer", nil}, {"bias_regularizer", nil}}
		if activity {
			o = append(o, field{"activity_regularizer", nil})
		}
		return append(o, field{kernel + "_constraint", nil}, field{"bias_constraint", nil})
	}
	return map[string]object{
		"Conv2D": append(append(conv(object{{"filters", nil}}), field{"groups", 1}, field{"activation", "linear"}, field{"use_bias", true}),
			tail("kernel", true)...),
		"DepthwiseConv2D": append(append(conv(object{{"depth_multiplier", 1}}), field{"activation", "linear"}, field{"use_bias", true}),
			tail("depthwise", true)...),
		"Dense": append(object{{"units", nil}, {"activation", "linear"}, {"use_bias", true}}, tail("kernel", false)...),
		"BatchNormalization": {{"axis", -1}, {"momentum", 0.99}, {"epsilon", 0.001}, {"center", true}, {"scale", true},
			{"beta_initializer", zeros}, {"gamma_initializer", ones}, {"moving_mean_initializer", zeros}, {"moving_variance_initializer", ones},
			{"beta_regularizer", nil}, {"gamma_regularizer", nil}, {"beta_constraint", nil}, {"gamma_constraint", nil}, {"synchronized", false}},
		"Activation":             {{"activation", "linear"}},
		"GlobalAveragePooling2D": {{"data_format", "channels_last"}, {"keepdims", false}},
		"GlobalMaxPooling2D":     {{"data_format", "channels_last"}, {"keepdims", false}},
		"Dropout":                {{"rate", 0.5}, {"seed", nil}, {"noise_shape", nil}},
		"MaxPooling2D":           {{"pool_size", []any{2, 2}}, {"padding", "valid"}, {"strides", []any{2, 2}}, {"data_format", "channels_last"}},
		"AveragePooling2D":       {{"pool_size", []any{2, 2}}, {"padding", "valid"}, {"strides", []any{2, 2}}, {"data_format", "channels_last"}},
		"Flatten":                {{"data_format", "channels_last"}},
	}
}()
