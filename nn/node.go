package nn

import (
	"fmt"
	"slices"
)

// Node is the symbolic output of a layer applied to other nodes, as a Keras
// tensor is: it knows its producer and its per-sample shape (without the
// batch dimension).
type Node struct {
	layer  Layer
	inputs []*Node
	shape  []int
	err    error
	index  int        // which output of a nested model
	call   *modelCall // the application of a nested model this node is an output of
	// mask is the node whose layer computed this node's Keras mask
	// (Masking, Embedding with mask_zero), passed on by the layers in
	// between (layer_masking.go); nil: no mask.
	mask *Node
}

// Layer returns the layer that produced the node.
func (n *Node) Layer() Layer { return n.layer }

// Inputs returns the nodes the layer was applied to.
func (n *Node) Inputs() []*Node { return slices.Clone(n.inputs) }

// Shape is the per-sample shape: (H, W, C) for images, (units) for Dense.
func (n *Node) Shape() []int { return slices.Clone(n.shape) }

// Err is the error met while building the node, if any.
func (n *Node) Err() error { return n.err }

// OutputIndex says which output of a multi-output model the node is.
func (n *Node) OutputIndex() int { return n.index }

func (n *Node) String() string {
	if n.layer == nil {
		return "Node(<nil>)"
	}
	return fmt.Sprintf("Node(%s, %v)", n.layer.Name(), n.shape)
}

// InputLayer is the layer behind an Input node.
type InputLayer struct {
	base
	shape []int
}

// Input returns a model input of the given per-sample shape (Keras'
// Input(shape=...)); its layer is named "input_1", "input_2", ... unless
// WithName says otherwise.
func Input(shape []int, opts ...Option) *Node {
	s, err := collect("InputLayer", opts)
	l := &InputLayer{shape: slices.Clone(shape)}
	if s.name == "" {
		sc := s.scope
		if sc == nil {
			sc = defaultScope
		}
		prefix := "Input" // Keras 2: input_1
		if sc.keras3 {
			prefix = "InputLayer" // Keras 3: input_layer
		}
		s.name = sc.Next(prefix)
	}
	l.init(l, "InputLayer", s, err)
	for _, d := range shape {
		if d < 1 && l.err == nil {
			l.err = fmt.Errorf("nn: Input: shape %v must be positive", shape)
		}
	}
	n := &Node{layer: l, shape: slices.Clone(shape), err: l.err}
	l.built, l.outShape = true, n.shape
	l.nodes = append(l.nodes, n)
	return n
}

// Config is Keras' InputLayer config.
func (l *InputLayer) Config() map[string]any {
	return map[string]any{"batch_input_shape": append([]any{nil}, intsAny(l.shape)...), "dtype": "float32", "sparse": false, "name": l.name}
}

// Apply on an InputLayer is an error: inputs are made by Input.
func (l *InputLayer) Apply(in ...*Node) *Node {
	return &Node{layer: l, err: fmt.Errorf("nn: input layer %q cannot be applied to nodes", l.name)}
}

func intsAny(v []int) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}
