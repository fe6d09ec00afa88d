package nn

import (
	"encoding/json"
	"fmt"
	"maps"
)

// ModelFromJSON builds a model from Keras' model JSON (model.to_json(), or
// the model_config attribute of a full-model .h5 file).
func ModelFromJSON(data []byte) (*Model, error) { return ModelFromJSONWithin(data, DefaultLimits) }

// ModelFromConfig builds a functional model ("Model", "Functional") or a
// Sequential from its Keras config, with fresh weights, within DefaultLimits.
func ModelFromConfig(class string, cfg Config) (*Model, error) {
	return ModelFromConfigWithin(class, cfg, DefaultLimits)
}

func modelFromConfig(class string, cfg Config, b *budget) (*Model, error) {
	scope := NewNameScope()
	switch class {
	case "Model", "Functional":
		return functionalFromConfig(cfg, scope, b)
	case "Sequential":
		return sequentialFromConfig(cfg, scope, b)
	}
	return nil, fmt.Errorf("nn: model class %q is not supported (Model, Functional, Sequential)", class)
}

type layerSpec struct {
	Name      string `json:"name"`
	ClassName string `json:"class_name"`
	Config    Config `json:"config"`
	Inbound   []any  `json:"inbound_nodes"`
	// Module is set by Keras 3 only ("keras.layers"), as Keras 3 tells its
	// own serialisation from the legacy one.
	Module string `json:"module"`
}

// check refuses a dtype policy Keel cannot compute in: any that Keras 3
// writes (its layer entries have a module), or a policy object from any
// version (tf.keras 2 writes mixed precision as {"class_name": "Policy"}).
func (s layerSpec) check() error {
	_, policy := s.Config["dtype"].(map[string]any)
	if s.ClassName == "InputLayer" || s.Module == "" && !policy {
		return nil
	}
	return checkDTypePolicy(s.Config)
}

// keras3Activations returns the config with the activations Keras 3
// redefined given their Keras 3 names: "hard_sigmoid" is relu6(x + 3) / 6
// there, clip(0.2x + 0.5, 0, 1) in Keras 2, and a Keras 3 layer entry says
// which Keras wrote it by its module.
func (s layerSpec) keras3Activations() Config {
	if s.Module == "" {
		return s.Config
	}
	var out Config
	for _, key := range []string{"activation", "recurrent_activation"} {
		name, _ := s.Config[key].(string)
		to := map[string]activation{string(actHardSigmoid): actHardSigmoid3, keras2HardSigmoid: actHardSigmoid}[name]
		if to == "" {
			continue
		}
		if out == nil {
			out = maps.Clone(s.Config)
		}
		out[key] = string(to)
	}
	if out == nil {
		return s.Config
	}
	return out
}

func decodeInto(v any, out any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

func inputFromConfig(c Config, scope *NameScope, b *budget) (*Node, error) {
	list, _ := c["batch_input_shape"].([]any)
	if len(list) < 2 {
		return nil, fmt.Errorf("nn: input %q: batch_input_shape %v", c.name(), c["batch_input_shape"])
	}
	shape, err := Config{"s": list[1:]}.ints("s")
	if err != nil {
		return nil, fmt.Errorf("nn: input %q: batch_input_shape %v: only the batch may be unknown", c.name(), list)
	}
	if err := b.input(c.name(), shape); err != nil {
		return nil, err
	}
	n := Input(shape, WithName(c.name()), WithScope(scope))
	return n, n.err
}

func sequentialFromConfig(cfg Config, scope *NameScope, b *budget) (*Model, error) {
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
	switch {
	case first.ClassName == "InputLayer":
		inCfg = keras3InputConfig(Config{"batch_input_shape": first.Config["batch_input_shape"], "batch_shape": first.Config["batch_shape"], "name": first.Config["name"]})
	case inCfg["batch_input_shape"] == nil:
		inCfg["batch_input_shape"] = cfg["build_input_shape"] // Keras 3, without an InputLayer
	}
	in, err := inputFromConfig(inCfg, scope, b)
	if err != nil {
		return nil, err
	}
	x = in
	for _, s := range specs {
		if err := s.check(); err != nil {
			return nil, err
		}
		s.Config = s.keras3Activations()
		switch s.ClassName {
		case "Model", "Functional", "Sequential":
			sub, err := nestedModelFromConfig(s.ClassName, s.Name, s.Config, b)
			if err != nil {
				return nil, err
			}
			if err := b.activations(s.Name, b.submodels[sub]); err != nil {
				return nil, err
			}
			x = sub.Apply(x)
		default:
			l, err := LayerFromConfig(s.ClassName, s.Config)
			if err != nil {
				return nil, err
			}
			b.watch(l)
			x = l.Apply(x)
		}
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
func functionalFromConfig(cfg Config, scope *NameScope, b *budget) (*Model, error) {
	var specs []layerSpec
	if err := decodeInto(cfg["layers"], &specs); err != nil {
		return nil, fmt.Errorf("nn: model config layers: %w", err)
	}
	layers := map[string]Layer{}
	nodes := map[string][][]*Node{} // layer name -> node index -> output tensors
	for _, s := range specs {
		if err := s.check(); err != nil {
			return nil, err
		}
		s.Config = s.keras3Activations()
		switch s.ClassName {
		case "InputLayer":
			n, err := inputFromConfig(keras3InputConfig(s.Config), scope, b)
			if err != nil {
				return nil, err
			}
			layers[s.Name], nodes[s.Name] = n.layer, [][]*Node{{n}}
		case "Model", "Functional", "Sequential":
			sub, err := nestedModelFromConfig(s.ClassName, s.Name, s.Config, b)
			if err != nil {
				return nil, err
			}
			layers[s.Name] = sub
			// Node 0 of a nested model is its own graph; the config refers to
			// its applications from 1 on, as Keras counts them. Keras 3 counts
			// so for Functional only: its Sequential is no Functional.
			nodes[s.Name] = [][]*Node{nil}
			if s.Module != "" && s.ClassName == "Sequential" {
				nodes[s.Name] = nil
			}
		default:
			l, err := LayerFromConfig(s.ClassName, s.Config)
			if err != nil {
				return nil, err
			}
			b.watch(l)
			layers[s.Name] = l
		}
	}
	ref := func(r tensorRef) (*Node, bool, error) {
		if _, ok := layers[r.layer]; !ok {
			return nil, false, fmt.Errorf("nn: reference to unknown layer %q", r.layer)
		}
		if r.node >= len(nodes[r.layer]) {
			return nil, false, nil
		}
		outs := nodes[r.layer][r.node]
		if outs == nil {
			return nil, false, fmt.Errorf("nn: node 0 of nested model %q is its own graph, not an application", r.layer)
		}
		if r.tensor >= len(outs) {
			return nil, false, fmt.Errorf("nn: layer %q has no output %d", r.layer, r.tensor)
		}
		return outs[r.tensor], true, nil
	}
	inbound := make([][]inboundNode, len(specs))
	for i, s := range specs {
		for _, raw := range s.Inbound {
			node, err := parseInbound(raw)
			if err != nil {
				return nil, fmt.Errorf("nn: layer %q: %w", s.Name, err)
			}
			inbound[i] = append(inbound[i], node)
		}
	}
	// Apply layers whose inputs exist until nothing is left.
	pending := map[string]int{} // layer name -> next inbound node to apply
	for progress := true; progress; {
		progress = false
		for i, s := range specs {
			for pending[s.Name] < len(inbound[i]) {
				call := inbound[i][pending[s.Name]]
				var ins []*Node
				ready := true
				for _, r := range call.refs {
					n, ok, err := ref(r)
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
					if err := b.activations(s.Name, b.submodels[sub]); err != nil {
						return nil, err
					}
					outs = sub.apply(call.inference, ins)
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
		list, err := parseEnds(cfg[key])
		if err != nil {
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

// nestedModelFromConfig builds a model nested in another model's config,
// frozen when its config says so, and records the activations one
// application of it takes: each application charges them again.
func nestedModelFromConfig(className, name string, config map[string]any, b *budget) (*Model, error) {
	if b.nesting >= maxModelNesting {
		return nil, errTooDeep
	}
	b.nesting++
	acts := b.acts
	sub, err := modelFromConfig(className, config, b)
	b.nesting--
	if err == errTooDeep {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("nn: nested model %q: %w", name, err)
	}
	if t, ok := config["trainable"].(bool); ok && !t {
		sub.SetTrainable(false)
	}
	b.submodels[sub] = b.acts - acts
	return sub, nil
}
