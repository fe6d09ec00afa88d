package nn

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
)

// LayerConstructor builds a layer from its Keras config (the "config" object
// of a layer in a model_config JSON).
type LayerConstructor func(cfg Config) (Layer, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]LayerConstructor{}
)

// RegisterLayer makes LayerFromConfig and ModelFromConfig build Keras class
// name with fn. Keel registers every layer it has.
func RegisterLayer(class string, fn LayerConstructor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[class] = fn
}

// LayerClasses lists the registered Keras class names.
func LayerClasses() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var out []string
	for c := range registry {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// LayerFromConfig builds a layer of the given Keras class from its config.
func LayerFromConfig(class string, cfg Config) (Layer, error) {
	registryMu.RLock()
	fn, ok := registry[class]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("nn: Keras layer class %q is not supported (supported: %s)", class, strings.Join(LayerClasses(), ", "))
	}
	l, err := fn(cfg)
	if err != nil {
		return nil, fmt.Errorf("nn: %s %q: %w", class, cfg.name(), err)
	}
	return l, nil
}

// Config is a Keras layer config as decoded from JSON.
type Config map[string]any

func (c Config) name() string { s, _ := c["name"].(string); return s }

func (c Config) has(key string) bool { v, ok := c[key]; return ok && v != nil }

func (c Config) float(key string, def float64) (float64, error) {
	if !c.has(key) {
		return def, nil
	}
	switch v := c[key].(type) {
	case float64:
		return v, nil
	case int:
		return float64(v), nil
	}
	return 0, fmt.Errorf("%s: %v is not a number", key, c[key])
}

func (c Config) int(key string, def int) (int, error) {
	f, err := c.float(key, float64(def))
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) {
		return 0, fmt.Errorf("%s: %v is not an integer", key, f)
	}
	return int(f), nil
}

func (c Config) ints(key string) ([]int, error) {
	switch v := c[key].(type) {
	case float64, int:
		n, err := c.int(key, 0)
		return []int{n}, err
	case []any:
		out := make([]int, len(v))
		for i, x := range v {
			f, ok := x.(float64)
			if !ok || f != math.Trunc(f) {
				return nil, fmt.Errorf("%s: %v is not a list of integers", key, v)
			}
			out[i] = int(f)
		}
		return out, nil
	case []int:
		return v, nil
	}
	return nil, fmt.Errorf("%s: %v is not a list of integers", key, c[key])
}

// pair reads an int or a list of two ints, as Keras' kernel_size or strides.
func (c Config) pair(key string, def int) ([2]int, error) {
	if !c.has(key) {
		return [2]int{def, def}, nil
	}
	v, err := c.ints(key)
	if err != nil {
		return [2]int{}, err
	}
	switch len(v) {
	case 1:
		return [2]int{v[0], v[0]}, nil
	case 2:
		return [2]int{v[0], v[1]}, nil
	}
	return [2]int{}, fmt.Errorf("%s: %v is not one or two integers", key, v)
}

func (c Config) str(key, def string) (string, error) {
	if !c.has(key) {
		return def, nil
	}
	s, ok := c[key].(string)
	if !ok {
		return "", fmt.Errorf("%s: %v is not a string", key, c[key])
	}
	return s, nil
}

func (c Config) boolean(key string, def bool) (bool, error) {
	if !c.has(key) {
		return def, nil
	}
	b, ok := c[key].(bool)
	if !ok {
		return false, fmt.Errorf("%s: %v is not a boolean", key, c[key])
	}
	return b, nil
}

// common reads the options every layer has (name, trainable) and checks
// channels_last.
func (c Config) common() ([]Option, error) {
	opts := []Option{}
	if n := c.name(); n != "" {
		opts = append(opts, WithName(n))
	}
	t, err := c.boolean("trainable", true)
	if err != nil {
		return nil, err
	}
	if !t {
		opts = append(opts, WithTrainable(false))
	}
	if f, _ := c.str("data_format", "channels_last"); f != "channels_last" {
		return nil, fmt.Errorf("data_format %q: only channels_last is supported", f)
	}
	return opts, nil
}

// reader collects the first error of a sequence of reads.
type reader struct {
	c   Config
	err error
}

func (r *reader) keep(err error) {
	if r.err == nil {
		r.err = err
	}
}
func (r *reader) int(key string, def int) int { v, err := r.c.int(key, def); r.keep(err); return v }
func (r *reader) float(key string, def float64) float64 {
	v, err := r.c.float(key, def)
	r.keep(err)
	return v
}
func (r *reader) pair(key string, def int) [2]int {
	v, err := r.c.pair(key, def)
	r.keep(err)
	return v
}
func (r *reader) str(key, def string) string { v, err := r.c.str(key, def); r.keep(err); return v }
func (r *reader) boolean(key string, def bool) bool {
	v, err := r.c.boolean(key, def)
	r.keep(err)
	return v
}

// convOptions reads what the convolutions share.
func (r *reader) convOptions(opts []Option) []Option {
	s, d := r.pair("strides", 1), r.pair("dilation_rate", 1)
	return append(opts, WithStrides(s[0], s[1]), WithDilationRate(d[0], d[1]), WithPadding(r.str("padding", "valid")),
		WithActivation(r.str("activation", "linear")), WithUseBias(r.boolean("use_bias", true)))
}

// built returns l, or the first reading error, or l's construction error.
func built(l Layer, r *reader) (Layer, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := l.core().err; err != nil {
		return nil, err
	}
	return l, nil
}

func init() {
	reg := func(class string, fn func(r *reader, opts []Option) Layer) {
		RegisterLayer(class, func(c Config) (Layer, error) {
			opts, err := c.common()
			if err != nil {
				return nil, err
			}
			r := &reader{c: c}
			return built(fn(r, opts), r)
		})
	}
	reg("Conv2D", func(r *reader, o []Option) Layer {
		k := r.pair("kernel_size", 1)
		return NewConv2D(r.int("filters", 0), k[0], k[1], r.convOptions(o)...)
	})
	reg("DepthwiseConv2D", func(r *reader, o []Option) Layer {
		k := r.pair("kernel_size", 1)
		return NewDepthwiseConv2D(k[0], k[1], append(r.convOptions(o), WithDepthMultiplier(r.int("depth_multiplier", 1)))...)
	})
	reg("SeparableConv2D", func(r *reader, o []Option) Layer {
		k := r.pair("kernel_size", 1)
		return NewSeparableConv2D(r.int("filters", 0), k[0], k[1], append(r.convOptions(o), WithDepthMultiplier(r.int("depth_multiplier", 1)))...)
	})
	reg("Dense", func(r *reader, o []Option) Layer {
		return NewDense(r.int("units", 0), append(o, WithActivation(r.str("activation", "linear")), WithUseBias(r.boolean("use_bias", true)))...)
	})
	reg("BatchNormalization", func(r *reader, o []Option) Layer {
		axis := -1
		if ax, err := r.c.ints("axis"); err == nil && len(ax) == 1 {
			axis = ax[0]
		} else if r.c.has("axis") {
			r.keep(fmt.Errorf("axis %v: only one axis is supported", r.c["axis"]))
		}
		return NewBatchNormalization(append(o, WithAxis(axis), WithMomentum(r.float("momentum", 0.99)), WithEpsilon(r.float("epsilon", 1e-3)),
			WithCenter(r.boolean("center", true)), WithScale(r.boolean("scale", true)))...)
	})
	reg("Activation", func(r *reader, o []Option) Layer { return NewActivation(r.str("activation", "linear"), o...) })
	reg("ReLU", func(r *reader, o []Option) Layer {
		if r.c.has("max_value") {
			o = append(o, WithMaxValue(r.float("max_value", 0)))
		}
		return NewReLU(append(o, WithNegativeSlope(r.float("negative_slope", 0)), WithThreshold(r.float("threshold", 0)))...)
	})
	reg("ZeroPadding2D", func(r *reader, o []Option) Layer {
		p := zeroPadding(r)
		return NewZeroPadding2D(p[0], p[1], p[2], p[3], o...)
	})
	pool := func(r *reader, o []Option) ([2]int, []Option) {
		size := r.pair("pool_size", 2)
		if r.c.has("strides") {
			s := r.pair("strides", 1)
			o = append(o, WithStrides(s[0], s[1]))
		}
		return size, append(o, WithPadding(r.str("padding", "valid")))
	}
	reg("MaxPooling2D", func(r *reader, o []Option) Layer {
		s, o := pool(r, o)
		return NewMaxPooling2D(s[0], s[1], o...)
	})
	reg("AveragePooling2D", func(r *reader, o []Option) Layer {
		s, o := pool(r, o)
		return NewAveragePooling2D(s[0], s[1], o...)
	})
	reg("GlobalAveragePooling2D", func(r *reader, o []Option) Layer {
		return NewGlobalAveragePooling2D(append(o, WithKeepDims(r.boolean("keepdims", false)))...)
	})
	reg("GlobalMaxPooling2D", func(r *reader, o []Option) Layer {
		return NewGlobalMaxPooling2D(append(o, WithKeepDims(r.boolean("keepdims", false)))...)
	})
	reg("Flatten", func(r *reader, o []Option) Layer { return NewFlatten(o...) })
	reg("Reshape", func(r *reader, o []Option) Layer {
		t, err := r.c.ints("target_shape")
		r.keep(err)
		return NewReshape(t, o...)
	})
	reg("Dropout", func(r *reader, o []Option) Layer { return NewDropout(r.float("rate", 0), o...) })
	reg("Add", func(r *reader, o []Option) Layer { return NewAdd(o...) })
	reg("Multiply", func(r *reader, o []Option) Layer { return NewMultiply(o...) })
	reg("Concatenate", func(r *reader, o []Option) Layer {
		return NewConcatenate(append(o, WithAxis(r.int("axis", -1)))...)
	})
}

// zeroPadding reads Keras' padding: an int, a pair (symmetric rows,
// columns) or ((top, bottom), (left, right)).
func zeroPadding(r *reader) [4]int {
	switch v := r.c["padding"].(type) {
	case float64:
		n := int(v)
		return [4]int{n, n, n, n}
	case []any:
		if len(v) == 2 {
			if a, ok := v[0].(float64); ok {
				b, _ := v[1].(float64)
				return [4]int{int(a), int(a), int(b), int(b)}
			}
			sub := Config{"a": v[0], "b": v[1]}
			a, err1 := sub.ints("a")
			b, err2 := sub.ints("b")
			if err1 == nil && err2 == nil && len(a) == 2 && len(b) == 2 {
				return [4]int{a[0], a[1], b[0], b[1]}
			}
		}
	case nil:
		return [4]int{1, 1, 1, 1}
	}
	r.keep(fmt.Errorf("padding %v not understood", r.c["padding"]))
	return [4]int{}
}

// ModelFromJSON builds a model from Keras' model JSON (model.to_json(), or
// the model_config attribute of a full-model .h5 file).
func ModelFromJSON(data []byte) (*Model, error) {
	var top struct {
		ClassName string `json:"class_name"`
		Config    Config `json:"config"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("nn: model JSON: %w", err)
	}
	return ModelFromConfig(top.ClassName, top.Config)
}

// ModelFromConfig builds a functional model ("Model", "Functional") or a
// Sequential from its Keras config, with fresh weights.
func ModelFromConfig(class string, cfg Config) (*Model, error) {
	scope := NewNameScope()
	switch class {
	case "Model", "Functional":
		return functionalFromConfig(cfg, scope)
	case "Sequential":
		return sequentialFromConfig(cfg, scope)
	}
	return nil, fmt.Errorf("nn: model class %q is not supported (Model, Functional, Sequential)", class)
}

type layerSpec struct {
	Name      string  `json:"name"`
	ClassName string  `json:"class_name"`
	Config    Config  `json:"config"`
	Inbound   [][]any `json:"inbound_nodes"`
}

func decodeInto(v any, out any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

func inputFromConfig(c Config, scope *NameScope) (*Node, error) {
	list, _ := c["batch_input_shape"].([]any)
	if len(list) < 2 {
		return nil, fmt.Errorf("nn: input %q: batch_input_shape %v", c.name(), c["batch_input_shape"])
	}
	shape, err := Config{"s": list[1:]}.ints("s")
	if err != nil {
		return nil, fmt.Errorf("nn: input %q: batch_input_shape %v: only the batch may be unknown", c.name(), list)
	}
	n := Input(shape, WithName(c.name()), WithScope(scope))
	return n, n.err
}

func sequentialFromConfig(cfg Config, scope *NameScope) (*Model, error) {
	var specs []layerSpec
	raw := cfg["layers"]
	if raw == nil {
		raw = any(cfg)
	}
	if err := decodeInto(raw, &specs); err != nil || len(specs) == 0 {
		return nil, fmt.Errorf("nn: Sequential config without layers")
	}
	var x *Node
	first := specs[0]
	if first.ClassName == "InputLayer" {
		specs = specs[1:]
	}
	inCfg := Config{"batch_input_shape": first.Config["batch_input_shape"]}
	if first.ClassName == "InputLayer" {
		inCfg["name"] = first.Config["name"]
	}
	in, err := inputFromConfig(inCfg, scope)
	if err != nil {
		return nil, err
	}
	x = in
	for _, s := range specs {
		l, err := LayerFromConfig(s.ClassName, s.Config)
		if err != nil {
			return nil, err
		}
		x = l.Apply(x)
	}
	name, _ := cfg.str("name", "sequential")
	m, err := NewModel([]*Node{in}, []*Node{x}, WithName(name))
	if m != nil {
		m.class = "Sequential"
	}
	return m, err
}

// functionalFromConfig rebuilds the graph: layers are applied, node by
// node, as soon as their inbound nodes exist, as Keras' from_config does.
func functionalFromConfig(cfg Config, scope *NameScope) (*Model, error) {
	var specs []layerSpec
	if err := decodeInto(cfg["layers"], &specs); err != nil {
		return nil, fmt.Errorf("nn: model config layers: %w", err)
	}
	layers := map[string]Layer{}
	nodes := map[string][][]*Node{} // layer name -> node index -> output tensors
	for _, s := range specs {
		switch s.ClassName {
		case "InputLayer":
			n, err := inputFromConfig(s.Config, scope)
			if err != nil {
				return nil, err
			}
			layers[s.Name], nodes[s.Name] = n.layer, [][]*Node{{n}}
		case "Model", "Functional", "Sequential":
			sub, err := ModelFromConfig(s.ClassName, s.Config)
			if err != nil {
				return nil, fmt.Errorf("nn: nested model %q: %w", s.Name, err)
			}
			if t, ok := s.Config["trainable"].(bool); ok && !t {
				sub.SetTrainable(false)
			}
			layers[s.Name] = sub
		default:
			l, err := LayerFromConfig(s.ClassName, s.Config)
			if err != nil {
				return nil, err
			}
			layers[s.Name] = l
		}
	}
	ref := func(r []any) (*Node, bool, error) {
		if len(r) < 3 {
			return nil, false, fmt.Errorf("nn: bad node reference %v", r)
		}
		name, _ := r[0].(string)
		ni, _ := r[1].(float64)
		ti, _ := r[2].(float64)
		if _, ok := layers[name]; !ok {
			return nil, false, fmt.Errorf("nn: reference to unknown layer %q", name)
		}
		if int(ni) >= len(nodes[name]) {
			return nil, false, nil
		}
		outs := nodes[name][int(ni)]
		if int(ti) >= len(outs) {
			return nil, false, fmt.Errorf("nn: layer %q has no output %d", name, int(ti))
		}
		return outs[int(ti)], true, nil
	}
	// Apply layers whose inputs exist until nothing is left.
	pending := map[string]int{} // layer name -> next inbound node to apply
	for progress := true; progress; {
		progress = false
		for _, s := range specs {
			for pending[s.Name] < len(s.Inbound) {
				var ins []*Node
				ready := true
				for _, r := range s.Inbound[pending[s.Name]] {
					rr, _ := r.([]any)
					n, ok, err := ref(rr)
					if err != nil {
						return nil, err
					}
					if !ok {
						ready = false
						break
					}
					ins = append(ins, n)
				}
				if !ready {
					break
				}
				var outs []*Node
				if sub, ok := layers[s.Name].(*Model); ok {
					outs = sub.ApplyAll(ins...)
				} else {
					outs = []*Node{layers[s.Name].Apply(ins...)}
				}
				if err := firstErr(outs); err != nil {
					return nil, err
				}
				nodes[s.Name] = append(nodes[s.Name], outs)
				pending[s.Name]++
				progress = true
			}
		}
	}
	ends := func(key string) ([]*Node, error) {
		var list [][]any
		if err := decodeInto(cfg[key], &list); err != nil {
			return nil, fmt.Errorf("nn: model config %s: %w", key, err)
		}
		var out []*Node
		for _, r := range list {
			n, ok, err := ref(r)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("nn: model config %s: %v is never computed", key, r)
			}
			out = append(out, n)
		}
		return out, nil
	}
	ins, err := ends("input_layers")
	if err != nil {
		return nil, err
	}
	outs, err := ends("output_layers")
	if err != nil {
		return nil, err
	}
	name, _ := cfg.str("name", "model")
	return NewModel(ins, outs, WithName(name))
}
