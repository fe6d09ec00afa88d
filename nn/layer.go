package nn

import (
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
)

// Layer is a Keras layer: a class name, a name unique within its model, the
// configuration Keras' get_config() holds, and weights in Keras' order and
// shapes. A *Model is a Layer too, so models nest.
type Layer interface {
	// Name is the Keras layer name ("block1_conv1", "dense_1").
	Name() string
	// ClassName is the Keras class ("Conv2D", "BatchNormalization", "Model").
	ClassName() string
	// Config returns the layer's Keras configuration (a fresh map).
	Config() map[string]any
	// Weights returns the weights in Keras order (empty before the layer is
	// first applied: shapes follow from the input).
	Weights() []*Variable
	// Weight returns the named weight ("kernel", "moving_mean"), or nil.
	Weight(name string) *Variable
	// SetWeight copies data into the named weight after checking its shape:
	// how weights are loaded by layer name.
	SetWeight(name string, shape []int, data []float32) error
	// Trainable reports the layer's trainable flag.
	Trainable() bool
	// SetTrainable freezes (false) or unfreezes the layer; on a model, every
	// layer inside it.
	SetTrainable(bool)
	// Apply applies the layer to input nodes and returns its output node.
	Apply(inputs ...*Node) *Node
	// InboundNodes lists the nodes the layer produced, one per application.
	InboundNodes() []*Node

	core() *base
}

// kernelLayer is what a layer that computes (every layer but Model)
// implements on top of Layer.
type kernelLayer interface {
	Layer
	// build creates the weights on the first application and returns the
	// per-sample output shape for the per-sample input shapes.
	build(in [][]int) ([]int, error)
	forward(c *call)
	backward(c *call)
}

// base holds what every layer has; layers embed it.
type base struct {
	self      Layer
	name      string
	class     string
	trainable bool
	weights   []*Variable
	err       error // a construction error, reported when the layer is applied
	built     bool
	inShapes  [][]int
	outShape  []int
	nodes     []*Node
	budget    *budget // what a layer built from a config may allocate; nil: unbounded
	// gen counts changes that invalidate the plans of models containing
	// the layer (its trainable flag); see plan.deps.
	gen atomic.Uint64
}

func (b *base) init(self Layer, class string, s *settings, err error) {
	b.self, b.class, b.name, b.trainable, b.err = self, class, layerName(s, class), s.trainable, err
}

func (b *base) core() *base           { return b }
func (b *base) Name() string          { return b.name }
func (b *base) ClassName() string     { return b.class }
func (b *base) Trainable() bool       { return b.trainable }
func (b *base) Weights() []*Variable  { return slices.Clone(b.weights) }
func (b *base) InboundNodes() []*Node { return slices.Clone(b.nodes) }
func (b *base) SetTrainable(t bool)   { b.trainable = t; b.gen.Add(1) }
func (b *base) String() string        { return fmt.Sprintf("%s %q", b.class, b.name) }
func (b *base) baseConfig() map[string]any {
	return map[string]any{"name": b.name, "trainable": b.trainable, "dtype": "float32"}
}

// Weight returns the named weight ("kernel", "moving_mean"), or nil.
func (b *base) Weight(name string) *Variable {
	for _, v := range b.weights {
		if v.name == name {
			return v
		}
	}
	return nil
}

// SetWeight copies data into the named weight after checking its shape.
func (b *base) SetWeight(name string, shape []int, data []float32) error {
	v := b.Weight(name)
	if v == nil {
		return fmt.Errorf("nn: layer %q (%s) has no weight %q (has %v)", b.name, b.class, name, b.weightNames())
	}
	return v.Set(shape, data)
}

// SetWeights sets all weights in Keras order, checking every shape.
func (b *base) SetWeights(shapes [][]int, values [][]float32) error {
	if len(values) != len(b.weights) || len(shapes) != len(b.weights) {
		return fmt.Errorf("nn: layer %q (%s) has %d weights %v, got %d", b.name, b.class, len(b.weights), b.weightNames(), len(values))
	}
	for i, v := range b.weights {
		if err := v.Set(shapes[i], values[i]); err != nil {
			return err
		}
	}
	return nil
}

func (b *base) weightNames() []string {
	var names []string
	for _, v := range b.weights {
		names = append(names, v.name)
	}
	return names
}

// addWeight creates a weight with Keras' name and shape, filled by init.
// Past its budget it allocates no values, and Apply reports the error.
func (b *base) addWeight(name string, shape []int, trainable bool, init initializer) *Variable {
	if b.budget != nil && !b.budget.weight(b, name, shape) {
		v := &Variable{layer: b.name, name: name, shape: slices.Clone(shape), trainable: trainable}
		b.weights = append(b.weights, v)
		return v
	}
	v := newVariable(b.name, name, shape, trainable)
	init.fill(v)
	b.weights = append(b.weights, v)
	return v
}

// Apply applies the layer to in. Shapes are checked here; an error is kept
// in the returned node and reported by NewModel.
func (b *base) Apply(in ...*Node) *Node {
	n := &Node{layer: b.self, inputs: slices.Clone(in)}
	if err := firstErr(in); err != nil {
		n.err = err
		return n
	}
	if b.err != nil {
		n.err = b.err
		return n
	}
	kl, ok := b.self.(kernelLayer)
	if !ok {
		n.err = fmt.Errorf("nn: %s cannot be applied", b)
		return n
	}
	shapes := make([][]int, len(in))
	for i, x := range in {
		shapes[i] = x.shape
	}
	if b.built && !equalShapes(shapes, b.inShapes) {
		n.err = fmt.Errorf("nn: layer %q (%s) was built for inputs %v, applied to %v", b.name, b.class, b.inShapes, shapes)
		return n
	}
	out, err := kl.build(shapes)
	if err != nil {
		n.err = fmt.Errorf("nn: layer %q (%s) on inputs %v: %w", b.name, b.class, shapes, err)
		return n
	}
	if b.budget != nil {
		if n.err = b.budget.output(b, out); n.err != nil {
			return n
		}
	}
	b.built, b.inShapes, b.outShape = true, shapes, out
	n.shape = out
	n.mask = maskOf(n)
	b.nodes = append(b.nodes, n)
	return n
}

func firstErr(in []*Node) error {
	for i, x := range in {
		if x == nil {
			return fmt.Errorf("nn: input %d is nil", i)
		}
		if x.err != nil {
			return x.err
		}
	}
	return nil
}

func equalShapes(a, b [][]int) bool {
	return slices.EqualFunc(a, b, func(x, y []int) bool { return slices.Equal(x, y) })
}

// withBase merges a layer's own config keys over the common ones.
func (b *base) withBase(own map[string]any) map[string]any {
	c := b.baseConfig()
	maps.Copy(c, own)
	return c
}

// needOne checks that a layer got exactly one input.
func needOne(in [][]int) error {
	if len(in) != 1 {
		return fmt.Errorf("takes one input, got %d", len(in))
	}
	return nil
}
