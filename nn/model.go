package nn

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
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
}

// modelCall is one application of a nested model; every output node of that
// application points to it.
type modelCall struct {
	model  *Model
	inputs []*Node
	outs   []*Node
}

// structureGen changes whenever a trainable flag does, so cached execution
// plans (which depend on what is frozen) are rebuilt.
var structureGen atomic.Uint64

func bumpStructure() { structureGen.Add(1) }

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

// appKey identifies one layer application: the node, or the nested model
// call that several output nodes share.
func appKey(n *Node) any {
	if n.call != nil {
		return n.call
	}
	return n
}

func appInputs(n *Node) []*Node {
	if n.call != nil {
		return n.call.inputs
	}
	return n.inputs
}

// mapGraph orders the layers as Keras 2.3.1's _map_graph_network does:
// depth from the outputs, deepest first, ties in the order a depth-first
// walk from the outputs first meets the layers.
func (m *Model) mapGraph() error {
	isInput := map[*Node]bool{}
	for _, in := range m.inputs {
		isInput[in] = true
	}
	layerIndex := map[Layer]int{}
	finished := map[any]bool{}
	inProgress := map[any]bool{}
	var decreasing []*Node // one representative node per application, producers before consumers
	var visit func(n *Node) error
	visit = func(n *Node) error {
		key := appKey(n)
		if inProgress[key] {
			return fmt.Errorf("nn: the graph has a cycle through layer %q", n.layer.Name())
		}
		if finished[key] {
			return nil
		}
		if _, ok := layerIndex[n.layer]; !ok {
			layerIndex[n.layer] = len(layerIndex)
		}
		if _, ok := n.layer.(*InputLayer); ok && !isInput[n] {
			return fmt.Errorf("nn: graph disconnected: input %q is not an input of the model", n.layer.Name())
		}
		inProgress[key] = true
		for _, in := range appInputs(n) {
			if err := visit(in); err != nil {
				return err
			}
		}
		delete(inProgress, key)
		finished[key] = true
		decreasing = append(decreasing, n)
		return nil
	}
	for _, out := range m.outputs {
		if err := visit(out); err != nil {
			return err
		}
	}
	rep := map[any]*Node{}
	for _, n := range decreasing {
		rep[appKey(n)] = n
	}
	nodeDepth := map[any]int{}
	layerDepth := map[Layer]int{}
	for i := len(decreasing) - 1; i >= 0; i-- {
		n := decreasing[i]
		key := appKey(n)
		d := max(nodeDepth[key], layerDepth[n.layer])
		layerDepth[n.layer], nodeDepth[key] = d, d
		for _, in := range appInputs(n) {
			k := appKey(in)
			nodeDepth[k] = max(nodeDepth[k], d+1)
		}
	}
	m.layers = m.layers[:0]
	for l := range layerDepth {
		m.layers = append(m.layers, l)
	}
	sort.Slice(m.layers, func(i, j int) bool {
		a, b := m.layers[i], m.layers[j]
		if layerDepth[a] != layerDepth[b] {
			return layerDepth[a] > layerDepth[b]
		}
		return layerIndex[a] < layerIndex[b]
	})
	pos := map[any]int{}
	for i, n := range decreasing {
		pos[appKey(n)] = i
	}
	m.order = m.order[:0]
	for _, n := range decreasing {
		if !isInput[n] {
			m.order = append(m.order, n)
		}
	}
	sort.SliceStable(m.order, func(i, j int) bool {
		a, b := appKey(m.order[i]), appKey(m.order[j])
		if nodeDepth[a] != nodeDepth[b] {
			return nodeDepth[a] > nodeDepth[b]
		}
		return pos[a] < pos[b]
	})
	seen := map[string]Layer{}
	for _, l := range m.layers {
		if o, ok := seen[l.Name()]; ok && o != l {
			return fmt.Errorf("nn: two layers named %q in model %q", l.Name(), m.name)
		}
		seen[l.Name()] = l
	}
	return nil
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

// Weights returns every weight of every layer, in layer order.
func (m *Model) Weights() []*Variable {
	var out []*Variable
	for _, l := range m.layers {
		out = append(out, l.Weights()...)
	}
	return out
}

// TrainableWeights returns the weights an optimizer changes: trainable
// variables of trainable layers of trainable (sub)models.
func (m *Model) TrainableWeights() []*Variable {
	var out []*Variable
	m.walk(true, func(l Layer, trainable bool) {
		if _, ok := l.(*Model); ok {
			return
		}
		for _, v := range l.Weights() {
			if trainable && v.trainable {
				out = append(out, v)
			}
		}
	})
	return out
}

// NonTrainableWeights returns the other weights.
func (m *Model) NonTrainableWeights() []*Variable {
	var out []*Variable
	m.walk(true, func(l Layer, trainable bool) {
		if _, ok := l.(*Model); ok {
			return
		}
		for _, v := range l.Weights() {
			if !trainable || !v.trainable {
				out = append(out, v)
			}
		}
	})
	return out
}

// walk calls fn for every layer, nested ones included, in order, with its
// effective trainability (its flag and those of the models around it).
func (m *Model) walk(trainable bool, fn func(l Layer, trainable bool)) {
	trainable = trainable && m.trainable
	for _, l := range m.layers {
		eff := trainable && l.Trainable()
		fn(l, eff)
		if sub, ok := l.(*Model); ok {
			sub.walk(trainable, fn)
		}
	}
}

// SetTrainable sets the flag of the model and of every layer inside it, as
// setting model.trainable does in tf.keras.
func (m *Model) SetTrainable(t bool) {
	m.trainable = t
	for _, l := range m.layers {
		l.SetTrainable(t)
	}
	bumpStructure()
}

// flatLayers lists the layers with nested models expanded in place (the
// model itself first, then its layers).
func (m *Model) flatLayers() []Layer {
	var out []Layer
	for _, l := range m.layers {
		out = append(out, l)
		if sub, ok := l.(*Model); ok {
			out = append(out, sub.flatLayers()...)
		}
	}
	return out
}

// FreezeUntil freezes every layer up to and including the named one (in
// layer order, nested models expanded) and makes every later layer trainable.
func (m *Model) FreezeUntil(name string) error {
	flat := m.flatLayers()
	i := slices.IndexFunc(flat, func(l Layer) bool { return l.Name() == name })
	if i < 0 {
		return fmt.Errorf("nn: model %q has no layer %q", m.name, name)
	}
	m.trainableFrom(flat, i+1)
	return nil
}

// UnfreezeFrom makes the named layer and every later one trainable and
// freezes the layers before it: fine-tuning the top of a backbone.
func (m *Model) UnfreezeFrom(name string) error {
	flat := m.flatLayers()
	i := slices.IndexFunc(flat, func(l Layer) bool { return l.Name() == name })
	if i < 0 {
		return fmt.Errorf("nn: model %q has no layer %q", m.name, name)
	}
	m.trainableFrom(flat, i)
	return nil
}

func (m *Model) trainableFrom(flat []Layer, from int) {
	for i, l := range flat {
		if _, ok := l.(*Model); ok {
			continue
		}
		l.core().trainable = i >= from
	}
	// A nested model is trainable when anything inside it is.
	var fix func(*Model) bool
	fix = func(mm *Model) bool {
		any := false
		for _, l := range mm.layers {
			if sub, ok := l.(*Model); ok {
				any = fix(sub) || any
			} else {
				any = any || l.Trainable()
			}
		}
		mm.trainable = any
		return any
	}
	fix(m)
	m.trainable = true
	bumpStructure()
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
		if n.layer.Name() == name && n.call == nil {
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
func (m *Model) ApplyAll(in ...*Node) []*Node {
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
	call := &modelCall{model: m, inputs: slices.Clone(in)}
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
			var ins []any
			for _, x := range appInputs(n) {
				ins = append(ins, []any{x.layer.Name(), m.nodeIndex(x), x.index, map[string]any{}})
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

// nodeIndex is the index of n's application among its layer's applications.
func (m *Model) nodeIndex(n *Node) int {
	k := appKey(n)
	for i, o := range n.layer.InboundNodes() {
		if appKey(o) == k {
			return i
		}
	}
	return 0
}
