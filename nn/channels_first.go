package nn

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ChannelsLastConfig rewrites a Keras 2 model_config whose 2-D layers use
// data_format "channels_first" into a channels-last one that computes the
// same function: each such layer runs channels-last, a Permute turns its
// (C, H, W) input into (H, W, C) where the tensor is not already held so,
// and back wherever a layer reads the tensor in its declared order (a
// channels_last layer, a Flatten, a Dense, a model output). Inputs and
// outputs keep the shapes the file declares. A config without
// channels_first layers is returned unchanged (changed false).
//
// Tensors between channels_first layers stay channels-last inside, so
// element-wise layers, BatchNormalization and Concatenate on them get their
// axis renumbered; a Flatten with data_format channels_first (which Keras
// flattens in channels-last order) reads them as they are.
func ChannelsLastConfig(modelConfig []byte) (out []byte, changed bool, err error) {
	var top map[string]any
	if err := json.Unmarshal(modelConfig, &top); err != nil {
		return nil, false, fmt.Errorf("nn: model config: %w", err)
	}
	if !strings.Contains(string(modelConfig), `"channels_first"`) {
		return modelConfig, false, nil
	}
	if err := channelsLastModel(top); err != nil {
		return nil, false, err
	}
	out, err = json.Marshal(top)
	return out, true, err
}

func channelsLastModel(m map[string]any) error {
	class, _ := m["class_name"].(string)
	cfg, _ := m["config"].(map[string]any)
	if cfg == nil {
		return fmt.Errorf("nn: channels_first %s config is not an object", class)
	}
	layers, _ := cfg["layers"].([]any)
	for _, l := range layers {
		if spec, ok := l.(map[string]any); ok {
			switch spec["class_name"] {
			case "Model", "Functional", "Sequential":
				if err := channelsLastModel(spec); err != nil {
					return err
				}
			}
		}
	}
	switch class {
	case "Sequential":
		out, err := channelsLastSequential(layers)
		cfg["layers"] = out
		return err
	case "Model", "Functional":
		return channelsLastFunctional(cfg)
	}
	return fmt.Errorf("nn: channels_first model class %q", class)
}

// layout is how a tensor is held: as declared, or channels-last inside for
// a declared (C, H, W).
type layout struct {
	swapped bool
	rank    int // per-sample rank where known, else 0
}

// channelsFirst2D are the layers whose data_format says how they read and
// write a (C, H, W) or (H, W, C) tensor; global means the output has no
// spatial axes (unless keepdims).
var channelsFirst2D = map[string]bool{
	"Conv2D": true, "DepthwiseConv2D": true, "SeparableConv2D": true, "Conv2DTranspose": true,
	"MaxPooling2D": true, "AveragePooling2D": true, "ZeroPadding2D": true, "Cropping2D": true,
	"UpSampling2D": true, "SpatialDropout2D": true,
	"GlobalAveragePooling2D": true, "GlobalMaxPooling2D": true,
}

// LocallyConnected2D is not among them: its weights depend on the layout
// (a channels_first patch flattens as (C, kh, kw), its bias reshapes from
// (rows, cols, filters)), so it computes channels_first itself, on the
// tensor as declared.

// sameLayout are layers that act value by value (or on the axis they name),
// so a swapped tensor stays swapped through them.
var sameLayout = map[string]bool{
	"Activation": true, "Dropout": true, "ReLU": true, "LeakyReLU": true, "ELU": true,
	"GaussianNoise": true, "GaussianDropout": true, "AlphaDropout": true, "ThresholdedReLU": true,
	"Add": true, "Subtract": true, "Multiply": true, "Average": true, "Maximum": true, "Minimum": true,
	"BatchNormalization": true, "Concatenate": true, "Softmax": true,
}

// swappedAxis is where declared axis a of a (C, H, W) tensor is held
// channels-last, counting the batch as 0.
func swappedAxis(a int) int {
	if a < 0 {
		a += 4
	}
	return map[int]int{0: 0, 1: 3, 2: 1, 3: 2}[a]
}

// planned is a layer application's rewrite: Permutes to insert before it,
// one per input that must change (nil: as is), and the output's layout.
type planned struct {
	toSwapped  []bool // input i must become channels-last
	toDeclared []bool // input i must return to its declared order
	out        layout
}

// planLayer rewrites spec's config in place and says what its inputs need.
func planLayer(spec map[string]any, ins []layout) (planned, error) {
	class, _ := spec["class_name"].(string)
	cfg, _ := spec["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	name, _ := cfg["name"].(string)
	p := planned{toSwapped: make([]bool, len(ins)), toDeclared: make([]bool, len(ins))}
	anySwapped, allSwapped := false, len(ins) > 0
	for _, in := range ins {
		anySwapped = anySwapped || in.swapped
		allSwapped = allSwapped && in.swapped
	}
	rank := 0
	if len(ins) > 0 {
		rank = ins[0].rank
	}
	restore := func() {
		for i, in := range ins {
			p.toDeclared[i] = in.swapped
		}
	}
	switch {
	case channelsFirst2D[class] && cfg["data_format"] == "channels_first":
		cfg["data_format"] = "channels_last"
		for i, in := range ins {
			p.toSwapped[i] = !in.swapped
		}
		p.out = layout{swapped: true, rank: 3}
		if strings.HasPrefix(class, "Global") && cfg["keepdims"] != true {
			p.out = layout{rank: 1}
		}
	case class == "Flatten" && cfg["data_format"] == "channels_first":
		// Keras moves the channels last before flattening.
		cfg["data_format"] = "channels_last"
		if !anySwapped && rank > 2 {
			return p, fmt.Errorf("nn: Flatten %q with data_format channels_first on a rank-%d tensor: Keel moves channels last only for (C, H, W)", name, rank)
		}
		if !anySwapped && rank == 0 {
			return p, fmt.Errorf("nn: Flatten %q with data_format channels_first on an input of unknown rank", name)
		}
		p.out = layout{rank: 1}
	case anySwapped && allSwapped && sameLayout[class]:
		p.out = layout{swapped: true, rank: 3}
		switch class {
		case "BatchNormalization", "Concatenate", "Softmax":
			if err := renumberAxis(cfg, name); err != nil {
				return p, err
			}
		}
	default:
		restore()
		p.out = layout{rank: outRank(class, cfg, rank)}
	}
	return p, nil
}

// renumberAxis moves cfg's axis to where a swapped tensor holds it.
func renumberAxis(cfg map[string]any, name string) error {
	switch a := cfg["axis"].(type) {
	case float64:
		cfg["axis"] = float64(swappedAxis(int(a)))
	case []any:
		if len(a) != 1 {
			return fmt.Errorf("nn: layer %q: axis %v on a channels_first tensor: one axis only", name, a)
		}
		f, _ := a[0].(float64)
		cfg["axis"] = []any{float64(swappedAxis(int(f)))}
	case nil: // Keras' default, -1
		cfg["axis"] = float64(swappedAxis(-1))
	}
	return nil
}

// outRank is the per-sample rank of class's output where it is plain to
// see (0: unknown).
func outRank(class string, cfg map[string]any, in int) int {
	switch class {
	case "Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalMaxPooling1D":
		return 1
	case "Reshape":
		t, _ := cfg["target_shape"].([]any)
		return len(t)
	case "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D", "ZeroPadding2D", "Cropping2D", "UpSampling2D":
		return 3
	}
	return in // Dense, element-wise layers and most others keep the rank
}

// permuteSpec is a Keras Permute layer spec: toSwapped (C, H, W) -> (H, W,
// C), else back.
func permuteSpec(name string, toSwapped bool) map[string]any {
	dims := []any{2.0, 3.0, 1.0}
	if !toSwapped {
		dims = []any{3.0, 1.0, 2.0}
	}
	return map[string]any{"class_name": "Permute", "name": name,
		"config": map[string]any{"name": name, "trainable": false, "dims": dims}}
}

func inputRank(cfg map[string]any) int {
	s, _ := cfg["batch_input_shape"].([]any)
	return max(len(s)-1, 0)
}

func channelsLastSequential(layers []any) ([]any, error) {
	var out []any
	cur := layout{}
	for i, l := range layers {
		spec, ok := l.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("nn: Sequential layer %d is not an object", i)
		}
		cfg, _ := spec["config"].(map[string]any)
		if i == 0 {
			cur.rank = inputRank(cfg)
			if spec["class_name"] != "InputLayer" {
				// An explicit input, so that a Permute can come first.
				name, _ := cfg["name"].(string)
				in := map[string]any{"name": name + "_input", "batch_input_shape": cfg["batch_input_shape"]}
				delete(cfg, "batch_input_shape")
				out = append(out, map[string]any{"class_name": "InputLayer", "config": in})
			} else {
				out = append(out, spec)
				continue
			}
		}
		p, err := planLayer(spec, []layout{cur})
		if err != nil {
			return nil, err
		}
		name, _ := cfg["name"].(string)
		if p.toSwapped[0] {
			out = append(out, permuteSpec(name+"_keel_channels_last", true))
		}
		if p.toDeclared[0] {
			out = append(out, permuteSpec(name+"_keel_channels_first", false))
		}
		out = append(out, spec)
		cur = p.out
	}
	if cur.swapped {
		out = append(out, permuteSpec("keel_output_channels_first", false))
	}
	return out, nil
}

// channelsLastFunctional rewrites a functional config: each layer
// application is planned once its inputs' layouts are known.
func channelsLastFunctional(cfg map[string]any) error {
	layers, _ := cfg["layers"].([]any)
	type key struct {
		layer      string
		node, tens int
	}
	layouts := map[key]layout{}
	var specs []map[string]any
	for i, l := range layers {
		spec, ok := l.(map[string]any)
		if !ok {
			return fmt.Errorf("nn: model layer %d is not an object", i)
		}
		specs = append(specs, spec)
		if spec["class_name"] == "InputLayer" {
			c, _ := spec["config"].(map[string]any)
			n, _ := spec["name"].(string)
			layouts[key{n, 0, 0}] = layout{rank: inputRank(c)}
		}
	}
	refKey := func(r any) (key, []any, bool) {
		rr, ok := r.([]any)
		if !ok || len(rr) < 3 {
			return key{}, nil, false
		}
		n, _ := rr[0].(string)
		ni, _ := rr[1].(float64)
		ti, _ := rr[2].(float64)
		return key{n, int(ni), int(ti)}, rr, true
	}
	var inserted []any
	done := map[string]int{}
	for progress := true; progress; {
		progress = false
		for _, spec := range specs {
			name, _ := spec["name"].(string)
			nodes, _ := spec["inbound_nodes"].([]any)
			for done[name] < len(nodes) {
				ni := done[name]
				node, _ := nodes[ni].([]any)
				var ins []layout
				ready := true
				for _, r := range node {
					k, _, ok := refKey(r)
					lay, known := layouts[k]
					if !ok || !known {
						ready = false
						break
					}
					ins = append(ins, lay)
				}
				if !ready {
					break
				}
				p, err := planLayer(spec, ins)
				if err != nil {
					return err
				}
				for i, r := range node {
					if !p.toSwapped[i] && !p.toDeclared[i] {
						continue
					}
					_, rr, _ := refKey(r)
					suffix := "_keel_channels_last"
					if p.toDeclared[i] {
						suffix = "_keel_channels_first"
					}
					pname := fmt.Sprintf("%s_%d_%d%s", name, ni, i, suffix)
					perm := permuteSpec(pname, p.toSwapped[i])
					perm["inbound_nodes"] = []any{[]any{append([]any{rr[0], rr[1], rr[2]}, rr[3:]...)}}
					inserted = append(inserted, perm)
					node[i] = append([]any{pname, 0.0, 0.0}, rr[3:]...)
				}
				layouts[key{name, ni, 0}] = p.out
				done[name]++
				progress = true
			}
		}
	}
	outs, _ := cfg["output_layers"].([]any)
	for i, r := range outs {
		k, rr, ok := refKey(r)
		if lay := layouts[k]; ok && lay.swapped {
			pname := fmt.Sprintf("keel_output_%d_channels_first", i)
			perm := permuteSpec(pname, false)
			perm["inbound_nodes"] = []any{[]any{[]any{rr[0], rr[1], rr[2], map[string]any{}}}}
			inserted = append(inserted, perm)
			outs[i] = []any{pname, 0.0, 0.0}
		}
	}
	cfg["layers"] = append(layers, inserted...)
	return nil
}
