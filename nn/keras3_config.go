package nn

import (
	"fmt"
	"math"
)

// tensorRef is one tensor a model config refers to: the output tensor of a
// layer's node, as Keras' keras_history [layer, node_index, tensor_index].
type tensorRef struct {
	layer        string
	node, tensor int
}

// inboundNode is one call of a layer in a functional config: its input
// tensors in argument order, and whether it was called with training=False.
type inboundNode struct {
	refs      []tensorRef
	inference bool
}

// parseInbound reads one inbound node in either form Keras writes: Keras 2's
// list of [layer, node, tensor, kwargs], or Keras 3's call arguments
// {"args": [...], "kwargs": {...}} with tensors as __keras_tensor__ objects.
func parseInbound(node any) (inboundNode, error) {
	switch n := node.(type) {
	case []any:
		var in inboundNode
		for _, r := range n {
			rr, _ := r.([]any)
			ref, err := parseRef(rr)
			if err != nil {
				return in, err
			}
			if len(rr) > 3 {
				if kw, ok := rr[3].(map[string]any); ok && kw["training"] == false {
					in.inference = true
				}
			}
			in.refs = append(in.refs, ref)
		}
		return in, nil
	case map[string]any:
		return parseKeras3Call(n)
	}
	return inboundNode{}, fmt.Errorf("nn: inbound node %v is neither a list of references nor Keras 3 call arguments", node)
}

// parseKeras3Call reads Keras 3's serialised call: the tensors of args,
// nested lists flattened in order (Add and Concatenate take one list), and of
// kwargs only training; a tensor passed by keyword is refused, since Keel's
// layers take their inputs positionally.
func parseKeras3Call(n map[string]any) (inboundNode, error) {
	var in inboundNode
	args, ok := n["args"].([]any)
	if !ok && n["args"] != nil {
		return in, fmt.Errorf("nn: inbound node args %v is not a list", n["args"])
	}
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		if depth > maxJSONDepth {
			return fmt.Errorf("nn: inbound node arguments nest more than %d deep", maxJSONDepth)
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if err := walk(e, depth+1); err != nil {
					return err
				}
			}
			return nil
		case map[string]any:
			ref, ok, err := kerasTensorRef(x)
			if err != nil {
				return err
			}
			if ok {
				in.refs = append(in.refs, ref)
				return nil
			}
		}
		return fmt.Errorf("nn: call argument %v is not a tensor (only tensor arguments are supported)", v)
	}
	if err := walk(args, 0); err != nil {
		return in, err
	}
	kwargs, _ := n["kwargs"].(map[string]any)
	for k, v := range kwargs {
		if m, ok := v.(map[string]any); ok {
			if _, isTensor, _ := kerasTensorRef(m); isTensor {
				return in, fmt.Errorf("nn: tensor passed as keyword argument %q is not supported", k)
			}
		}
		if k == "training" && v == false {
			in.inference = true
		}
	}
	return in, nil
}

// kerasTensorRef reads a {"class_name": "__keras_tensor__", "config":
// {"keras_history": [layer, node, tensor]}} object; ok is false for other
// objects.
func kerasTensorRef(m map[string]any) (ref tensorRef, ok bool, err error) {
	if m["class_name"] != "__keras_tensor__" {
		return ref, false, nil
	}
	cfg, _ := m["config"].(map[string]any)
	hist, _ := cfg["keras_history"].([]any)
	ref, err = parseRef(hist)
	return ref, true, err
}

// parseRef reads [layer, node_index, tensor_index(, kwargs)].
func parseRef(r []any) (tensorRef, error) {
	if len(r) < 3 {
		return tensorRef{}, fmt.Errorf("nn: bad node reference %v", r)
	}
	name, ok := r[0].(string)
	ni, okN := refIndex(r[1])
	ti, okT := refIndex(r[2])
	if !ok || !okN || !okT {
		return tensorRef{}, fmt.Errorf("nn: bad node reference %v", r)
	}
	return tensorRef{name, ni, ti}, nil
}

func refIndex(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// parseEnds reads a model's input_layers or output_layers: a list of
// references, or (Keras 3, for a model of one input or output tensor) the
// bare reference.
func parseEnds(v any) ([]tensorRef, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%v is not a list of node references", v)
	}
	if len(list) == 3 {
		if _, leaf := list[0].(string); leaf {
			ref, err := parseRef(list)
			return []tensorRef{ref}, err
		}
	}
	out := make([]tensorRef, 0, len(list))
	for _, r := range list {
		rr, _ := r.([]any)
		ref, err := parseRef(rr)
		if err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, nil
}

// keras3InputConfig gives a Keras 3 InputLayer config (batch_shape) the
// batch_input_shape key Keras 2 wrote and inputFromConfig reads.
func keras3InputConfig(c Config) Config {
	if c.has("batch_input_shape") || !c.has("batch_shape") {
		return c
	}
	out := make(Config, len(c)+1)
	for k, v := range c {
		out[k] = v
	}
	out["batch_input_shape"] = c["batch_shape"]
	return out
}

// checkDTypePolicy refuses a layer whose dtype policy (Keras 3's
// DTypePolicy, tf.keras 2's Policy, or a dtype name) computes in another
// type than float32 (mixed_float16, bfloat16, quantized policies): Keel
// computes in float32 only.
func checkDTypePolicy(c Config) error {
	var name string
	switch d := c["dtype"].(type) {
	case nil:
		return nil
	case string:
		name = d
	case map[string]any:
		cfg, _ := d["config"].(map[string]any)
		name, _ = cfg["name"].(string)
		if cls, _ := d["class_name"].(string); cls != "DTypePolicy" && cls != "FloatDTypePolicy" && cls != "Policy" {
			return fmt.Errorf("nn: layer %q: dtype policy %s %q is not supported (Keel computes in float32)", c.name(), cls, name)
		}
	default:
		return fmt.Errorf("nn: layer %q: dtype %v is neither a name nor a dtype policy", c.name(), d)
	}
	if name != "float32" {
		return fmt.Errorf("nn: layer %q: dtype policy %q is not supported (Keel computes in float32)", c.name(), name)
	}
	return nil
}
