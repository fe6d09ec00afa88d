package weightsio

import (
	"sort"
	"strconv"
	"strings"

	"github.com/keelml/keel/weightsio/hdf5"
)

// tf2LayersGroup is the container under which tf.keras 2.13-2.15 saves a
// model's layers in .keras archives. On Windows the path separator was a
// backslash, so the root may instead hold groups literally named
// `_layer_checkpoint_dependencies\<layer>`.
const tf2LayersGroup = "_layer_checkpoint_dependencies"

// loadKeras3 reads Keras 3 (`layers/<name>/vars/<i>`) and tf.keras 2.13-2.15
// (`_layer_checkpoint_dependencies/<name>/vars/<i>`) weights. Keras 3 names a
// layer's group after its class (conv2d, conv2d_1, ...) rather than the
// layer, so with an archive's config the groups are matched to the config's
// layers in order; otherwise layers come in storage order.
func (f *File) loadKeras3(root *hdf5.Group, config map[string]any) error {
	groups, err := keras3LayerGroups(root)
	if err != nil {
		return err
	}
	if len(groups) > 0 && groups[0].tf2 && f.Format == FormatArchive {
		f.Format = FormatArchiveTF2
	}
	ordered := orderByConfig(groups, config)
	for _, lg := range ordered {
		layer := Layer{Name: lg.name, Group: lg.group.Path()}
		if err := collectVars(f.h5.Name(), lg.group, "", &layer.Weights, 0); err != nil {
			return err
		}
		f.layers = append(f.layers, layer)
	}
	return nil
}

// layerGroup is a layer's group and the name it goes by.
type layerGroup struct {
	key   string // group name: class-based (Keras 3) or the layer name (tf.keras)
	name  string // the layer's name when known from the config, else key
	group *hdf5.Group
	tf2   bool
}

// keras3LayerGroups finds the layer groups, in storage (address) order.
func keras3LayerGroups(root *hdf5.Group) ([]layerGroup, error) {
	var out []layerGroup
	add := func(parent *hdf5.Group, tf2 bool, keyOf func(string) (string, bool)) error {
		links, err := parent.Links()
		if err != nil {
			return err
		}
		for _, l := range links {
			key, ok := keyOf(l.Name)
			if !ok || !l.IsHard() {
				continue
			}
			g, err := parent.Group(l.Name)
			if err != nil {
				return err
			}
			out = append(out, layerGroup{key: key, name: key, group: g, tf2: tf2})
		}
		return nil
	}
	all := func(name string) (string, bool) { return name, true }
	for _, c := range []struct {
		name string
		tf2  bool
	}{{"layers", false}, {tf2LayersGroup, true}} {
		if g, err := root.Group(c.name); err == nil {
			if err := add(g, c.tf2, all); err != nil {
				return nil, err
			}
		}
	}
	err := add(root, true, func(name string) (string, bool) {
		i := strings.LastIndex(name, tf2LayersGroup+`\`)
		if i < 0 {
			return "", false
		}
		return name[i+len(tf2LayersGroup)+1:], true
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].group.Address() < out[j].group.Address() })
	return out, nil
}

// orderByConfig puts the layer groups in the order of the config's layers
// and gives them the config's names; groups the config does not explain
// follow in storage order.
func orderByConfig(groups []layerGroup, config map[string]any) []layerGroup {
	layers := configLayers(config)
	if len(layers) == 0 {
		return groups
	}
	// tf.keras names groups by layer name; Keras 3 by class with a counter.
	byName, bySnake := map[string]int{}, map[string]int{}
	for i, g := range groups {
		if g.tf2 {
			byName[g.key] = i
		} else {
			bySnake[g.key] = i
		}
	}
	used := make([]bool, len(groups))
	var out []layerGroup
	counters := map[string]int{}
	for _, l := range layers {
		snake := toSnakeCase(l.class)
		if n, seen := counters[snake]; seen {
			counters[snake] = n + 1
			snake += "_" + strconv.Itoa(n+1)
		} else {
			counters[snake] = 0
		}
		i, ok := bySnake[snake]
		if !ok {
			i, ok = byName[l.name]
		}
		if ok && !used[i] {
			used[i] = true
			g := groups[i]
			g.name = l.name
			out = append(out, g)
		}
	}
	for i, g := range groups {
		if !used[i] {
			out = append(out, g)
		}
	}
	return out
}

type configLayer struct{ name, class string }

// configLayers lists the top-level layers of a model config, in order.
func configLayers(config map[string]any) []configLayer {
	inner, _ := config["config"].(map[string]any)
	list, _ := inner["layers"].([]any)
	var out []configLayer
	for _, item := range list {
		m, _ := item.(map[string]any)
		class, _ := m["class_name"].(string)
		name, _ := m["name"].(string)
		if c, ok := m["config"].(map[string]any); ok {
			if n, ok := c["name"].(string); ok {
				name = n
			}
		}
		out = append(out, configLayer{name: name, class: class})
	}
	return out
}

// maxVarDepth bounds the nesting of sub-objects inside one layer group.
const maxVarDepth = 32

// collectVars appends a layer group's variables: vars/0, vars/1, ... in
// numeric order, then those of nested objects (cells, sub-layers) in storage
// order. prefix is the path below the layer group.
func collectVars(file string, g *hdf5.Group, prefix string, dst *[]Weight, depth int) error {
	if depth > maxVarDepth {
		return &hdf5.Error{File: file, Path: g.Path(), Err: errf("layer groups nested more than %d deep", maxVarDepth)}
	}
	links, err := g.Links()
	if err != nil {
		return err
	}
	if vars, err := g.Group("vars"); err == nil {
		if err := appendVars(vars, prefix+"vars/", dst); err != nil {
			return err
		}
	}
	var subs []*hdf5.Group
	for _, l := range links {
		if l.Name == "vars" || !l.IsHard() {
			continue
		}
		obj, err := g.Open(l.Name)
		if err != nil {
			return err
		}
		switch o := obj.(type) {
		case *hdf5.Group:
			subs = append(subs, o)
		case *hdf5.Dataset:
			*dst = append(*dst, newWeight(prefix+l.Name, o))
		}
	}
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].Address() < subs[j].Address() })
	for _, s := range subs {
		name := s.Path()[strings.LastIndex(s.Path(), "/")+1:]
		if err := collectVars(file, s, prefix+name+"/", dst, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// appendVars appends the datasets of a vars group, numbered names in numeric
// order first.
func appendVars(vars *hdf5.Group, prefix string, dst *[]Weight) error {
	links, err := vars.Links()
	if err != nil {
		return err
	}
	sort.SliceStable(links, func(i, j int) bool {
		a, errA := strconv.Atoi(links[i].Name)
		b, errB := strconv.Atoi(links[j].Name)
		switch {
		case errA == nil && errB == nil:
			return a < b
		case errA == nil || errB == nil:
			return errA == nil
		}
		return links[i].Name < links[j].Name
	})
	for _, l := range links {
		if !l.IsHard() {
			continue
		}
		ds, err := vars.Dataset(l.Name)
		if err != nil {
			return err
		}
		*dst = append(*dst, newWeight(prefix+l.Name, ds))
	}
	return nil
}
