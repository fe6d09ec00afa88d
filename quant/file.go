package quant

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
	"github.com/keelml/keel/weightsio/h5write"
)

// AttrFormat is the root attribute that marks a Keel quantized file, and
// FormatVersion its value.
const (
	AttrFormat    = "keel_quantized"
	FormatVersion = "int8/1"
)

// The root attributes of modelfile.Meta (modelfile writes the same).
const (
	attrPreprocess = "keel_preprocess"
	attrInputSize  = "keel_input_size"
	attrClassNames = "keel_class_names"
)

func init() {
	modelfile.RegisterLoader(loadHook)
}

// layerJSON is one layer of the saved model_config, as Keras writes it.
type layerJSON struct {
	ClassName    string         `json:"class_name"`
	Name         string         `json:"name"`
	Config       map[string]any `json:"config"`
	InboundNodes [][][]any      `json:"inbound_nodes"`
}

type configJSON struct {
	ClassName string `json:"class_name"`
	Config    struct {
		Name         string      `json:"name"`
		Layers       []layerJSON `json:"layers"`
		InputLayers  [][]any     `json:"input_layers"`
		OutputLayers [][]any     `json:"output_layers"`
	} `json:"config"`
}

const inputName = "input_1"

// Save writes m as a Keras full-model HDF5 file (model_config and
// model_weights in Keras 2.3.1's layout) with Keel's int8 datasets and
// quantization parameters, and meta's attributes (the preprocessing mode,
// input size and class names keel predict uses). The layout is in the
// package documentation. The file is written atomically.
func Save(path string, m *Model, meta modelfile.Meta) error {
	if m.bf16 {
		return fmt.Errorf("%s: a bf16 model is not saved (save the float32 model, or quantize it to int8)", path)
	}
	f, err := m.encode(meta)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Save(path)
}

func (m *Model) valueName(v int) string {
	if v == m.input {
		return inputName
	}
	for i := range m.ops {
		if m.ops[i].out == v {
			return m.ops[i].name
		}
	}
	return ""
}

func pairs(p [4]int) [][]int { return [][]int{{p[0], p[1]}, {p[2], p[3]}} }

func (m *Model) encode(meta modelfile.Meta) (*h5write.File, error) {
	var cfg configJSON
	cfg.ClassName = "Functional"
	cfg.Config.Name = m.name
	in := m.values[m.input]
	cfg.Config.Layers = append(cfg.Config.Layers, layerJSON{ClassName: "InputLayer", Name: inputName,
		Config:       map[string]any{"name": inputName, "dtype": "float32", "batch_input_shape": append([]any{nil}, anyInts(in.shape)...)},
		InboundNodes: [][][]any{}})
	f := h5write.New()
	root := f.Root()
	mw := root.Group("model_weights")
	layerNames := []string{inputName}
	mw.Group(inputName).SetStrings("weight_names", []string{})
	for i := range m.ops {
		o := &m.ops[i]
		c := map[string]any{"name": o.name}
		if o.layer != nil {
			c = o.layer.Config()
			c["name"] = o.name
		}
		v := m.values[o.out]
		c["keel_output_shape"] = v.shape
		if !v.float {
			c["keel_output_scale"] = float64(v.q.scale)
			c["keel_output_zero_point"] = v.q.zero
		}
		type ds struct {
			name  string
			shape []int
			f32   []float32
			i8    []int8
		}
		var weights []ds
		switch o.class {
		case classConv, classDepthwise:
			ic, oc := m.values[o.in[0]].shape[2], v.shape[2]
			c["kernel_size"], c["strides"], c["dilation_rate"] = []int{o.kh, o.kw}, []int{o.sh, o.sw}, []int{o.dh, o.dw}
			c["padding"], c["activation"], c["residual"] = pairs(o.pads), o.act, o.residual
			kshape := []int{o.kh, o.kw, ic, oc}
			if o.class == classDepthwise {
				kshape = []int{o.kh, o.kw, ic, 1}
			} else {
				c["filters"] = oc
			}
			weights = []ds{{"kernel:0", kshape, nil, o.weights}, {"kernel_scale:0", []int{oc}, o.wscale, nil}, {"bias:0", []int{oc}, o.bias, nil}}
		case classAdd, classReLU:
			c["activation"] = o.act
		case classMaxPool, classAvgPool:
			pad := "valid"
			if o.same {
				pad = "same"
			}
			c["pool_size"], c["strides"], c["padding"] = []int{o.ph, o.pw}, []int{o.sh, o.sw}, pad
		case classGAP, classGMP:
			c["keepdims"] = o.keepDims
		case classPad:
			c["padding"] = pairs(o.pads)
		case classReshape:
			c["target_shape"] = v.shape
		case classQuantize, classDequantize:
		default:
			for _, w := range o.fweights {
				weights = append(weights, ds{w.name + ":0", w.shape, w.data, nil})
			}
		}
		c["keel_from"] = o.from
		var inbound [][]any
		for _, x := range o.in {
			inbound = append(inbound, []any{m.valueName(x), 0, 0, map[string]any{}})
		}
		cfg.Config.Layers = append(cfg.Config.Layers, layerJSON{ClassName: o.class, Name: o.name, Config: c, InboundNodes: [][][]any{inbound}})
		layerNames = append(layerNames, o.name)
		g := mw.Group(o.name)
		var wnames []string
		for _, w := range weights {
			name := o.name + "/" + w.name
			var err error
			if w.i8 != nil {
				_, err = g.DatasetInt8(name, w.shape, w.i8)
			} else {
				_, err = g.Dataset(name, w.shape, w.f32)
			}
			if err != nil {
				return nil, fmt.Errorf("layer %s: %w", o.name, err)
			}
			wnames = append(wnames, name)
		}
		g.SetStrings("weight_names", wnames)
	}
	cfg.Config.InputLayers = [][]any{{inputName, 0, 0}}
	cfg.Config.OutputLayers = [][]any{{m.valueName(m.output), 0, 0}}
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	root.SetString("keras_version", "2.3.1")
	root.SetString("backend", "tensorflow")
	root.SetString("model_config", string(js))
	root.SetString(AttrFormat, FormatVersion)
	if meta.Preprocess != "" {
		root.SetString(attrPreprocess, meta.Preprocess)
	}
	if meta.InputSize > 0 {
		root.SetString(attrInputSize, strconv.Itoa(meta.InputSize))
	}
	if meta.ClassNames != nil {
		b, _ := json.Marshal(meta.ClassNames)
		root.SetString(attrClassNames, string(b))
	}
	if err := mw.SetStringsWidth("layer_names", layerNames, maxLen(layerNames)); err != nil {
		return nil, err
	}
	mw.SetString("backend", "tensorflow")
	mw.SetString("keras_version", "2.3.1")
	return f, nil
}

func maxLen(s []string) int {
	n := 1
	for _, x := range s {
		n = max(n, len(x))
	}
	return n
}

func anyInts(v []int) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// IsQuantized says whether f is a Keel quantized model file.
func IsQuantized(f *weightsio.File) bool {
	h := f.HDF5()
	if h == nil {
		return false
	}
	root, err := h.Root()
	if err != nil {
		return false
	}
	a, err := root.Attr(AttrFormat)
	return err == nil && a != nil
}

// loadHook is modelfile's loader for quantized files: modelfile.Load (and
// so keel predict, evaluate and serve) read them as they read any model.
func loadHook(f *weightsio.File, path string) (*nn.Model, bool, error) {
	if !IsQuantized(f) {
		return nil, false, nil
	}
	m, err := Read(f, path)
	if err != nil {
		return nil, true, err
	}
	nm, err := m.NN()
	if err != nil {
		return nil, true, fmt.Errorf("%s: %w", path, err)
	}
	return nm, true, nil
}

// Load reads a quantized model file.
func Load(path string) (*Model, error) {
	f, err := weightsio.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path)
}

// Read reads a quantized model from an open file; path names it in errors.
// Every dataset's type and size and every quantization parameter is
// checked against the graph before use.
func Read(f *weightsio.File, path string) (*Model, error) {
	m, err := read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func read(f *weightsio.File) (*Model, error) {
	h := f.HDF5()
	if h == nil {
		return nil, errors.New("not an HDF5 file")
	}
	root, err := h.Root()
	if err != nil {
		return nil, err
	}
	a, err := root.Attr(AttrFormat)
	if err != nil || a == nil {
		return nil, fmt.Errorf("no %s attribute: not a Keel quantized model", AttrFormat)
	}
	if v, err := a.String(); err != nil || v != FormatVersion {
		return nil, fmt.Errorf("%s attribute %q: this Keel reads %q", AttrFormat, v, FormatVersion)
	}
	if len(f.ModelConfigJSON) == 0 {
		return nil, errors.New("no model_config")
	}
	var cfg configJSON
	if err := json.Unmarshal(f.ModelConfigJSON, &cfg); err != nil {
		return nil, fmt.Errorf("model_config: %w", err)
	}
	layers := cfg.Config.Layers
	if len(layers) < 2 || layers[0].ClassName != "InputLayer" {
		return nil, errors.New("model_config: the first layer must be the InputLayer, and one layer must follow")
	}
	if len(layers) > 1<<16 {
		return nil, fmt.Errorf("model_config: %d layers", len(layers))
	}
	fileBytes := float64(h.Size())
	m := &Model{name: cfg.Config.Name}
	byName := map[string]int{}
	inShape, err := shapeOf(layers[0].Config["batch_input_shape"], true)
	if err != nil {
		return nil, fmt.Errorf("layer %q: batch_input_shape: %w", layers[0].Name, err)
	}
	m.values = append(m.values, value{shape: inShape, float: true, src: -1})
	byName[layerName(layers[0])] = 0
	for _, lj := range layers[1:] {
		name := layerName(lj)
		if _, dup := byName[name]; dup || name == "" {
			return nil, fmt.Errorf("model_config: layer name %q is empty or repeated", name)
		}
		o, err := readLayer(f, lj, name, byName, m, fileBytes)
		if err != nil {
			return nil, fmt.Errorf("layer %q (%s): %w", name, lj.ClassName, err)
		}
		m.ops = append(m.ops, *o)
		byName[name] = o.out
	}
	if len(cfg.Config.OutputLayers) != 1 || len(cfg.Config.OutputLayers[0]) < 1 {
		return nil, errors.New("model_config: one output layer is supported")
	}
	outName, _ := cfg.Config.OutputLayers[0][0].(string)
	out, ok := byName[outName]
	if !ok {
		return nil, fmt.Errorf("model_config: output layer %q is not a layer", outName)
	}
	m.output = out
	if err := m.prepare(); err != nil {
		return nil, err
	}
	return m, nil
}

func layerName(l layerJSON) string {
	if l.Name != "" {
		return l.Name
	}
	s, _ := l.Config["name"].(string)
	return s
}

// shapeOf reads a per-sample shape; batch: the list starts with the batch.
func shapeOf(v any, batch bool) ([]int, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%v is not a list", v)
	}
	if batch {
		if len(list) == 0 {
			return nil, errors.New("empty")
		}
		list = list[1:]
	}
	if len(list) == 0 || len(list) > 4 {
		return nil, fmt.Errorf("%v: rank %d", v, len(list))
	}
	out := make([]int, len(list))
	for i, d := range list {
		x, ok := d.(float64)
		if !ok || x < 1 || x > 1<<24 || x != math.Trunc(x) {
			return nil, fmt.Errorf("%v: dimension %v", v, d)
		}
		out[i] = int(x)
	}
	return out, nil
}

func intsOf(c map[string]any, key string, n int) ([]int, error) {
	list, ok := c[key].([]any)
	if !ok || len(list) != n {
		return nil, fmt.Errorf("%s: %v is not %d integers", key, c[key], n)
	}
	out := make([]int, n)
	for i, d := range list {
		x, ok := d.(float64)
		if !ok || x != math.Trunc(x) || math.Abs(x) > 1<<20 {
			return nil, fmt.Errorf("%s: %v is not %d integers", key, c[key], n)
		}
		out[i] = int(x)
	}
	return out, nil
}

func padsOf(c map[string]any) ([4]int, error) {
	list, ok := c["padding"].([]any)
	var p [4]int
	if !ok || len(list) != 2 {
		return p, fmt.Errorf("padding: %v is not [[top, bottom], [left, right]]", c["padding"])
	}
	for i, pair := range list {
		v, err := intsOf(map[string]any{"padding": pair}, "padding", 2)
		if err != nil {
			return p, fmt.Errorf("padding: %v is not [[top, bottom], [left, right]]", c["padding"])
		}
		p[2*i], p[2*i+1] = v[0], v[1]
	}
	return p, nil
}

func strOf(c map[string]any, key, def string) string {
	if s, ok := c[key].(string); ok {
		return s
	}
	return def
}

func readLayer(f *weightsio.File, lj layerJSON, name string, byName map[string]int, m *Model, fileBytes float64) (*op, error) {
	c := lj.Config
	if c == nil {
		return nil, errors.New("no config")
	}
	o := &op{class: lj.ClassName, name: name}
	if len(lj.InboundNodes) != 1 || len(lj.InboundNodes[0]) == 0 {
		return nil, errors.New("inbound_nodes: one application with inputs is supported")
	}
	for _, ref := range lj.InboundNodes[0] {
		if len(ref) < 1 {
			return nil, errors.New("inbound_nodes: empty reference")
		}
		s, _ := ref[0].(string)
		v, ok := byName[s]
		if !ok {
			return nil, fmt.Errorf("inbound_nodes: %q is not a layer before it", s)
		}
		o.in = append(o.in, v)
	}
	shape, err := shapeOf(c["keel_output_shape"], false)
	if err != nil {
		return nil, fmt.Errorf("keel_output_shape: %w", err)
	}
	if from, ok := c["keel_from"].([]any); ok {
		for _, s := range from {
			if str, ok := s.(string); ok {
				o.from = append(o.from, str)
			}
		}
	}
	v := value{shape: shape, src: -1, float: !isInt8(o.class) && o.class != classQuantize}
	if !v.float {
		s, ok1 := c["keel_output_scale"].(float64)
		z, ok2 := c["keel_output_zero_point"].(float64)
		if !ok1 || !ok2 || z != math.Trunc(z) {
			return nil, fmt.Errorf("keel_output_scale %v and keel_output_zero_point %v must be numbers", c["keel_output_scale"], c["keel_output_zero_point"])
		}
		if !(s > 0) || s > math.MaxFloat32 || z < 0 || z > 255 {
			return nil, fmt.Errorf("keel_output_scale %v must be finite and positive, keel_output_zero_point %v in 0..255", s, z)
		}
		v.q = qparams{scale: float32(s), zero: int32(z)}
	}
	m.values = append(m.values, v)
	o.out = len(m.values) - 1
	weights, err := layerWeights(f, name)
	if err != nil {
		return nil, err
	}
	switch o.class {
	case classConv, classDepthwise:
		ks, err := intsOf(c, "kernel_size", 2)
		if err != nil {
			return nil, err
		}
		st, err := intsOf(c, "strides", 2)
		if err != nil {
			return nil, err
		}
		dl, err := intsOf(c, "dilation_rate", 2)
		if err != nil {
			return nil, err
		}
		if o.pads, err = padsOf(c); err != nil {
			return nil, err
		}
		o.kh, o.kw, o.sh, o.sw, o.dh, o.dw = ks[0], ks[1], st[0], st[1], dl[0], dl[1]
		if o.act, err = actOf(c); err != nil {
			return nil, err
		}
		o.residual, _ = c["residual"].(bool)
		if len(o.in) == 0 || len(m.values[o.in[0]].shape) != 3 || len(shape) != 3 {
			return nil, fmt.Errorf("input %v and output %v must be images", m.values[o.in[0]].shape, shape)
		}
		ic, oc := m.values[o.in[0]].shape[2], shape[2]
		kshape := []int{o.kh, o.kw, ic, oc}
		if o.class == classDepthwise {
			kshape = []int{o.kh, o.kw, ic, 1}
		}
		if o.weights, err = int8Weight(weights, "kernel:0", kshape, fileBytes); err != nil {
			return nil, err
		}
		if o.wscale, err = floatWeight(weights, "kernel_scale:0", []int{oc}, fileBytes); err != nil {
			return nil, err
		}
		if o.bias, err = floatWeight(weights, "bias:0", []int{oc}, fileBytes); err != nil {
			return nil, err
		}
	case classAdd, classReLU:
		if o.act, err = actOf(c); err != nil {
			return nil, err
		}
	case classMaxPool, classAvgPool:
		ps, err := intsOf(c, "pool_size", 2)
		if err != nil {
			return nil, err
		}
		st, err := intsOf(c, "strides", 2)
		if err != nil {
			return nil, err
		}
		o.ph, o.pw, o.sh, o.sw = ps[0], ps[1], st[0], st[1]
		switch strOf(c, "padding", "") {
		case "same":
			o.same = true
		case "valid":
		default:
			return nil, fmt.Errorf("padding %v: want same or valid", c["padding"])
		}
	case classGAP, classGMP:
		o.keepDims, _ = c["keepdims"].(bool)
	case classPad:
		if o.pads, err = padsOf(c); err != nil {
			return nil, err
		}
	case classReshape, classQuantize, classDequantize:
	default:
		if strings.HasPrefix(o.class, "Keel") {
			return nil, fmt.Errorf("class %q is not a Keel quantized layer", o.class)
		}
		kc := nn.Config(maps.Clone(c))
		for k := range kc {
			if strings.HasPrefix(k, "keel_") {
				delete(kc, k)
			}
		}
		fm, err := floatLayerModel(o.class, kc, o.in, m, fileBytes)
		if err != nil {
			return nil, err
		}
		o.fm, o.layer = fm, fm.Layer(name)
		for _, w := range weights {
			if w.Len() > 0 && float64(w.Len()) > fileBytes {
				return nil, fmt.Errorf("dataset %q declares %d values, more than the file's %v bytes hold", w.Path, w.Len(), fileBytes)
			}
			data, err := w.Float32()
			if err != nil {
				return nil, fmt.Errorf("dataset %q: %w", w.Path, err)
			}
			short := w.Name
			if i := strings.LastIndex(short, "/"); i >= 0 {
				short = short[i+1:]
			}
			o.fweights = append(o.fweights, fweight{name: strings.TrimSuffix(short, ":0"), shape: w.Shape, data: data})
		}
	}
	return o, nil
}

// floatLayerModel builds a float32 layer of the file alone in a model
// whose inputs are the layer's, within nn's limits: its weights may not
// total more values than the file holds.
func floatLayerModel(class string, cfg nn.Config, in []int, m *Model, fileBytes float64) (*nn.Model, error) {
	layers := []any{}
	var inbound, inputs []any
	for i, v := range in {
		name := fmt.Sprintf("keel_float_input_%d", i)
		layers = append(layers, map[string]any{"class_name": "InputLayer", "name": name, "inbound_nodes": []any{},
			"config": map[string]any{"name": name, "dtype": "float32", "batch_input_shape": append([]any{nil}, anyInts(m.values[v].shape)...)}})
		inbound = append(inbound, []any{name, 0, 0, map[string]any{}})
		inputs = append(inputs, []any{name, 0, 0})
	}
	name, _ := cfg["name"].(string)
	layers = append(layers, map[string]any{"class_name": class, "name": name, "config": map[string]any(cfg), "inbound_nodes": []any{inbound}})
	top := map[string]any{"class_name": "Model", "config": map[string]any{"name": "keel_float_" + name, "layers": layers,
		"input_layers": inputs, "output_layers": []any{[]any{name, 0, 0}}}}
	js, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	lim := nn.DefaultLimits
	lim.MaxWeights, lim.WeightsBound = max(1, min(lim.MaxWeights, int64(fileBytes/4))), "the file holds"
	return nn.ModelFromJSONWithin(js, lim)
}

func actOf(c map[string]any) (string, error) {
	a := strOf(c, "activation", "linear")
	switch a {
	case "linear", "relu", "relu6":
		return a, nil
	}
	return "", fmt.Errorf("activation %q: want linear, relu or relu6", a)
}

func layerWeights(f *weightsio.File, name string) ([]weightsio.Weight, error) {
	l, ok := f.Layer(name)
	if !ok {
		return nil, nil
	}
	return l.Weights, nil
}

func findWeight(ws []weightsio.Weight, suffix string) (*weightsio.Weight, error) {
	for i := range ws {
		if ws[i].Name == suffix || strings.HasSuffix(ws[i].Name, "/"+suffix) {
			return &ws[i], nil
		}
	}
	var names []string
	for _, w := range ws {
		names = append(names, w.Name)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("no dataset %q (has %v)", suffix, names)
}

func checkShape(w *weightsio.Weight, shape []int, fileBytes float64, elem int) error {
	if !slices.Equal(w.Shape, shape) {
		return fmt.Errorf("dataset %q has shape %v, the layer needs %v", w.Path, w.Shape, shape)
	}
	n := 1.0
	for _, d := range shape {
		n *= float64(d)
	}
	if n*float64(elem) > fileBytes {
		return fmt.Errorf("dataset %q declares %v values, more than the file's %v bytes hold", w.Path, n, fileBytes)
	}
	return nil
}

func int8Weight(ws []weightsio.Weight, name string, shape []int, fileBytes float64) ([]int8, error) {
	w, err := findWeight(ws, name)
	if err != nil {
		return nil, err
	}
	if w.Dtype != "int8" {
		return nil, fmt.Errorf("dataset %q is %s, not int8", w.Path, w.Dtype)
	}
	if err := checkShape(w, shape, fileBytes, 1); err != nil {
		return nil, err
	}
	raw, err := w.Dataset().ReadRaw()
	if err != nil {
		return nil, fmt.Errorf("dataset %q: %w", w.Path, err)
	}
	if len(raw) != w.Len() {
		return nil, fmt.Errorf("dataset %q: %d bytes for %d values", w.Path, len(raw), w.Len())
	}
	q := make([]int8, len(raw))
	for i, b := range raw {
		q[i] = int8(b)
		if q[i] == -128 {
			return nil, fmt.Errorf("dataset %q: value -128 at %d (symmetric weights are -127..127)", w.Path, i)
		}
	}
	return q, nil
}

func floatWeight(ws []weightsio.Weight, name string, shape []int, fileBytes float64) ([]float32, error) {
	w, err := findWeight(ws, name)
	if err != nil {
		return nil, err
	}
	if w.Dtype != "float32" {
		return nil, fmt.Errorf("dataset %q is %s, not float32", w.Path, w.Dtype)
	}
	if err := checkShape(w, shape, fileBytes, 4); err != nil {
		return nil, err
	}
	v, err := w.Float32()
	if err != nil {
		return nil, fmt.Errorf("dataset %q: %w", w.Path, err)
	}
	if !finite(v) {
		return nil, fmt.Errorf("dataset %q holds values that are not finite", w.Path)
	}
	return v, nil
}
