package nn

import (
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Model is a functional graph of layers from input nodes to output nodes,
// as Keras' Model. It is a Layer, so it can be applied inside another model;
// its layers keep their names and weights there.
type Model struct {
	base
	inputs  []*Node
	outputs []*Node
	layers  []Layer // Keras' model.layers order
	order   []*Node // one node per layer application in a valid compute order, inputs excluded

	mu       sync.Mutex
	plans    map[planKey]*plan
	compiled *compiled
	stats    []LayerStats
	taps     map[string]*Model // models of requested layer outputs, by names

	// afterForward is copied into every plan built (see plan); tests set it.
	afterForward func(*plan)
}

// modelCall is one application of a nested model; every output node of that
// application points to it.
type modelCall struct {
	model     *Model
	inputs    []*Node
	outs      []*Node
	inference bool // applied as Keras' model(x, training=False)
}

// NewModel builds a model from its input nodes (made by Input) to its output
// nodes. It reports the first error met while building the graph.
func NewModel(inputs, outputs []*Node, opts ...Option) (*Model, error) {
	s, err := collect("Model", opts)
	if err != nil {
		return nil, err
	}
	m := &Model{inputs: slices.Clone(inputs), outputs: slices.Clone(outputs)}
	m.init(m, "Model", s, nil)
	if len(inputs) == 0 || len(outputs) == 0 {
		return nil, errors.New("nn: a model needs inputs and outputs")
	}
	if err := firstErr(outputs); err != nil {
		return nil, err
	}
	for _, in := range inputs {
		if in == nil || in.err != nil {
			return nil, fmt.Errorf("nn: bad model input: %v", firstErr([]*Node{in}))
		}
		if _, ok := in.layer.(*InputLayer); !ok {
			return nil, fmt.Errorf("nn: model input %v is not an Input node", in)
		}
	}
	if err := m.mapGraph(); err != nil {
		return nil, err
	}
	m.built = true
	return m, nil
}

// Sequential stacks layers on an input of the given per-sample shape.
func Sequential(inputShape []int, layers ...Layer) (*Model, error) {
	in := Input(inputShape)
	x := in
	for _, l := range layers {
		x = l.Apply(x)
	}
	m, err := NewModel([]*Node{in}, []*Node{x}, WithName(defaultScope.Next("Sequential")))
	if m != nil {
		m.class = "Sequential"
	}
	return m, err
}

// Inputs returns the model's input nodes.
func (m *Model) Inputs() []*Node { return slices.Clone(m.inputs) }

// Outputs returns the model's output nodes.
func (m *Model) Outputs() []*Node { return slices.Clone(m.outputs) }

// Output returns the model's single output node (the first if it has several).
func (m *Model) Output() *Node { return m.outputs[0] }

// Input returns the model's first input node.
func (m *Model) Input() *Node { return m.inputs[0] }

// Layers returns the layers in Keras' model.layers order (inputs first).
func (m *Model) Layers() []Layer { return slices.Clone(m.layers) }

// Layer returns the layer called name, looking into nested models too, or nil.
func (m *Model) Layer(name string) Layer {
	for _, l := range m.layers {
		if l.Name() == name {
			return l
		}
	}
	for _, l := range m.layers {
		if sub, ok := l.(*Model); ok {
			if found := sub.Layer(name); found != nil {
				return found
			}
		}
	}
	return nil
}

// Exclusive runs fn while no Run, training step or other Exclusive call of
// m runs, so that a saver reads (or a loader sets) every weight of one
// state. fn must not run m itself.
func (m *Model) Exclusive(fn func() error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fn()
}

// Weights returns every weight of every layer, in layer order.
func (m *Model) Weights() []*Variable {
	var out []*Variable
	for _, l := range m.layers {
		out = append(out, l.Weights()...)
	}
	return out
}

// OutputsOf returns a model with the same inputs whose outputs are the outputs of
// the named layers (Keras: Model(m.input, m.get_layer(name).output)). It
// shares the layers and weights of m.
func (m *Model) OutputsOf(names ...string) (*Model, error) {
	var outs []*Node
	for _, name := range names {
		n := m.nodeOf(name)
		if n == nil {
			if l := m.Layer(name); l != nil {
				return nil, fmt.Errorf("nn: layer %q is inside a nested model of %q: ask that model", name, m.name)
			}
			return nil, fmt.Errorf("nn: model %q has no layer %q", m.name, name)
		}
		outs = append(outs, n)
	}
	sub, err := NewModel(m.inputs, outs, WithName(m.name))
	return sub, err
}

// nodeOf returns the node the named top-level layer produced in this model.
func (m *Model) nodeOf(name string) *Node {
	for _, in := range m.inputs {
		if in.layer.Name() == name {
			return in
		}
	}
	for _, n := range m.order {
		// A nested model with one output is tapped as a layer (ConvNeXt's
		// Sequential stem).
		if n.layer.Name() == name && (n.call == nil || len(n.call.outs) == 1) {
			return n
		}
	}
	return nil
}

// Apply applies the model as a layer and returns its output; a model with
// several outputs is applied with ApplyAll.
func (m *Model) Apply(in ...*Node) *Node {
	outs := m.ApplyAll(in...)
	if len(outs) > 1 {
		return &Node{layer: m, err: fmt.Errorf("nn: model %q has %d outputs: use ApplyAll", m.name, len(outs))}
	}
	return outs[0]
}

// ApplyAll applies the model as a layer and returns one node per output.
func (m *Model) ApplyAll(in ...*Node) []*Node { return m.apply(false, in) }

// ApplyInference applies the model as a layer that always runs in inference
// mode, as Keras' base_model(x, training=False) in the fine-tuning guide:
// inside it BatchNormalization uses its moving statistics and Dropout is off
// even in a training step, while its trainable weights still get gradients.
// It returns the first output (ApplyAll's rule for several outputs applies).
func (m *Model) ApplyInference(in ...*Node) *Node {
	outs := m.apply(true, in)
	if len(outs) > 1 {
		return &Node{layer: m, err: fmt.Errorf("nn: model %q has %d outputs", m.name, len(outs))}
	}
	return outs[0]
}

func (m *Model) apply(inference bool, in []*Node) []*Node {
	fail := func(err error) []*Node { return []*Node{{layer: m, err: err}} }
	if err := firstErr(in); err != nil {
		return fail(err)
	}
	if len(in) != len(m.inputs) {
		return fail(fmt.Errorf("nn: model %q takes %d inputs, got %d", m.name, len(m.inputs), len(in)))
	}
	for i, x := range in {
		if !slices.Equal(x.shape, m.inputs[i].shape) {
			return fail(fmt.Errorf("nn: model %q input %d has shape %v, got %v", m.name, i, m.inputs[i].shape, x.shape))
		}
	}
	call := &modelCall{model: m, inputs: slices.Clone(in), inference: inference}
	for i, o := range m.outputs {
		call.outs = append(call.outs, &Node{layer: m, inputs: call.inputs, shape: slices.Clone(o.shape), index: i, call: call})
	}
	m.nodes = append(m.nodes, call.outs[0])
	return slices.Clone(call.outs)
}

// Config is Keras' functional model config: name, layers with their
// inbound nodes, input and output layers.
func (m *Model) Config() map[string]any {
	if m.class == "Sequential" {
		return m.sequentialConfig()
	}
	var layers []any
	for _, l := range m.layers {
		var inbound []any
		for _, n := range l.InboundNodes() {
			if !m.owns(n) {
				continue
			}
			kwargs := map[string]any{}
			if n.call != nil && n.call.inference {
				kwargs["training"] = false
			}
			var ins []any
			for _, x := range appInputs(n) {
				ins = append(ins, []any{x.layer.Name(), m.nodeIndex(x), x.index, kwargs})
			}
			if ins != nil {
				inbound = append(inbound, ins)
			}
		}
		if inbound == nil {
			inbound = []any{}
		}
		layers = append(layers, map[string]any{"name": l.Name(), "class_name": l.ClassName(), "config": l.Config(), "inbound_nodes": inbound})
	}
	ref := func(nodes []*Node) []any {
		var out []any
		for _, n := range nodes {
			out = append(out, []any{n.layer.Name(), m.nodeIndex(n), n.index})
		}
		return out
	}
	return map[string]any{"name": m.name, "layers": layers, "input_layers": ref(m.inputs), "output_layers": ref(m.outputs)}
}

// owns says whether the node (an application) belongs to this model's graph.
func (m *Model) owns(n *Node) bool {
	if slices.Contains(m.inputs, n) {
		return true
	}
	k := appKey(n)
	return slices.ContainsFunc(m.order, func(o *Node) bool { return appKey(o) == k })
}

// nodeIndex is the index of n's application among its layer's
// applications, as Keras counts it in a model config: a nested model's own
// graph is its node 0, so its applications count from 1.
func (m *Model) nodeIndex(n *Node) int {
	first := 0
	if _, nested := n.layer.(*Model); nested {
		first = 1
	}
	k := appKey(n)
	for i, o := range n.layer.InboundNodes() {
		if appKey(o) == k {
			return first + i
		}
	}
	return first
}
