package quant

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/keelml/keel/nn"
)

// fgraph is a float model flattened: nested models are inlined, so every
// op is one computing layer of the source model, in an order where each
// op's inputs come first.
type fgraph struct {
	values []fvalue
	ops    []fop
	input  int // the value of the model's one input
	output int // the value of the model's one output
}

type fvalue struct {
	shape   []int // per sample
	op      int   // producing op, -1 for the input
	readers []int // ops reading it
}

type fop struct {
	layer nn.Layer
	class string
	cfg   layerConfig
	in    []int
	out   int
}

// layerConfig is the part of a layer's Keras config the quantizer reads.
type layerConfig struct {
	Name           string   `json:"name"`
	KernelSize     []int    `json:"kernel_size"`
	Strides        []int    `json:"strides"`
	Padding        any      `json:"padding"` // "same"/"valid", or ZeroPadding2D's [[t, b], [l, r]]
	DilationRate   []int    `json:"dilation_rate"`
	Activation     string   `json:"activation"`
	Groups         int      `json:"groups"`
	DepthMult      int      `json:"depth_multiplier"`
	PoolSize       []int    `json:"pool_size"`
	KeepDims       bool     `json:"keepdims"`
	MaxValue       *float64 `json:"max_value"`
	NegativeSlope  float64  `json:"negative_slope"`
	Threshold      float64  `json:"threshold"`
	Epsilon        float64  `json:"epsilon"`
	paddingString  string
	pads           [4]int // ZeroPadding2D: top, bottom, left, right
	hasZeroPadding bool
}

func readConfig(l nn.Layer) (layerConfig, error) {
	raw := l.Config()
	b, err := json.Marshal(raw)
	if err != nil {
		return layerConfig{}, err
	}
	var c layerConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return layerConfig{}, fmt.Errorf("layer %q (%s): config: %w", l.Name(), l.ClassName(), err)
	}
	switch p := c.Padding.(type) {
	case string:
		c.paddingString = p
	case []any:
		if len(p) == 2 {
			a, ok1 := p[0].([]any)
			b, ok2 := p[1].([]any)
			if ok1 && ok2 && len(a) == 2 && len(b) == 2 {
				c.pads = [4]int{toInt(a[0]), toInt(a[1]), toInt(b[0]), toInt(b[1])}
				c.hasZeroPadding = true
			}
		}
	}
	return c, nil
}

func toInt(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// flatten walks m's graph from its output, inlining nested models.
func flatten(m *nn.Model) (*fgraph, error) {
	if len(m.Inputs()) != 1 || len(m.Outputs()) != 1 {
		return nil, fmt.Errorf("quant: model %q has %d inputs and %d outputs; one of each is supported", m.Name(), len(m.Inputs()), len(m.Outputs()))
	}
	g := &fgraph{}
	g.input = g.addValue(m.Input().Shape(), -1)
	top := &frame{model: m, inputs: []int{g.input}, memo: map[*nn.Node]int{}}
	out, err := g.resolve(m.Output(), top, 0)
	if err != nil {
		return nil, err
	}
	g.output = out
	return g, nil
}

// frame is one application of a (nested) model: its inputs' values.
type frame struct {
	model  *nn.Model
	inputs []int
	memo   map[*nn.Node]int
}

func (g *fgraph) addValue(shape []int, op int) int {
	g.values = append(g.values, fvalue{shape: slices.Clone(shape), op: op})
	return len(g.values) - 1
}

func (g *fgraph) resolve(n *nn.Node, f *frame, depth int) (int, error) {
	if depth > 10000 {
		return 0, fmt.Errorf("quant: graph deeper than 10000 layers")
	}
	if v, ok := f.memo[n]; ok {
		return v, nil
	}
	var v int
	switch l := n.Layer().(type) {
	case *nn.InputLayer:
		i := slices.Index(f.model.Inputs(), n)
		if i < 0 {
			return 0, fmt.Errorf("quant: input %q is not an input of model %q", l.Name(), f.model.Name())
		}
		v = f.inputs[i]
	case *nn.Model:
		var ins []int
		for _, x := range n.Inputs() {
			iv, err := g.resolve(x, f, depth+1)
			if err != nil {
				return 0, err
			}
			ins = append(ins, iv)
		}
		inner := &frame{model: l, inputs: ins, memo: map[*nn.Node]int{}}
		outs := l.Outputs()
		if n.OutputIndex() >= len(outs) {
			return 0, fmt.Errorf("quant: model %q has no output %d", l.Name(), n.OutputIndex())
		}
		iv, err := g.resolve(outs[n.OutputIndex()], inner, depth+1)
		if err != nil {
			return 0, err
		}
		v = iv
	default:
		var ins []int
		for _, x := range n.Inputs() {
			iv, err := g.resolve(x, f, depth+1)
			if err != nil {
				return 0, err
			}
			ins = append(ins, iv)
		}
		cfg, err := readConfig(l)
		if err != nil {
			return 0, err
		}
		op := len(g.ops)
		v = g.addValue(n.Shape(), op)
		g.ops = append(g.ops, fop{layer: l, class: l.ClassName(), cfg: cfg, in: ins, out: v})
		for _, iv := range ins {
			g.values[iv].readers = append(g.values[iv].readers, op)
		}
	}
	f.memo[n] = v
	return v, nil
}

// soleReader is the one op reading value v, if v is read once and is not
// the graph's output.
func (g *fgraph) soleReader(v int) (int, bool) {
	if v == g.output || len(g.values[v].readers) != 1 {
		return 0, false
	}
	return g.values[v].readers[0], true
}

// floatModel builds a flat Keel model of g (fresh layers with the source's
// configs and weights), whose named layers give the float value of every
// op: what calibration measures and the error table compares with.
func (g *fgraph) floatModel() (*nn.Model, []string, error) {
	nodes := make([]*nn.Node, len(g.values))
	nodes[g.input] = nn.Input(g.values[g.input].shape, nn.WithName("keel_quant_input"))
	names := make([]string, len(g.ops))
	for i, op := range g.ops {
		l, err := cloneLayer(op.layer, fmt.Sprintf("q%d_%s", i, op.layer.Name()))
		if err != nil {
			return nil, nil, err
		}
		var ins []*nn.Node
		for _, v := range op.in {
			ins = append(ins, nodes[v])
		}
		nodes[op.out] = l.Apply(ins...)
		names[i] = l.Name()
	}
	m, err := nn.NewModel([]*nn.Node{nodes[g.input]}, []*nn.Node{nodes[g.output]})
	if err != nil {
		return nil, nil, fmt.Errorf("quant: flattened float model: %w", err)
	}
	// Weights are set once the layers are built (their shapes follow from
	// the inputs).
	for i, op := range g.ops {
		if err := copyWeights(m.Layer(names[i]), op.layer); err != nil {
			return nil, nil, err
		}
	}
	return m, names, nil
}

// cloneLayer builds a fresh layer of l's class and config under name.
func cloneLayer(l nn.Layer, name string) (nn.Layer, error) {
	cfg, err := jsonConfig(l)
	if err != nil {
		return nil, err
	}
	cfg["name"] = name
	return nn.LayerFromConfig(l.ClassName(), cfg)
}

// jsonConfig is l's config as read back from JSON, the form configs are
// built from.
func jsonConfig(l nn.Layer) (nn.Config, error) {
	b, err := json.Marshal(l.Config())
	if err != nil {
		return nil, fmt.Errorf("quant: layer %q: config: %w", l.Name(), err)
	}
	var cfg nn.Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("quant: layer %q: config: %w", l.Name(), err)
	}
	return cfg, nil
}

func copyWeights(dst, src nn.Layer) error {
	for _, w := range src.Weights() {
		if err := dst.SetWeight(w.Name(), w.Shape(), w.Value()); err != nil {
			return fmt.Errorf("quant: layer %q: %w", src.Name(), err)
		}
	}
	return nil
}
