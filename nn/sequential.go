package nn

// NewSequential stacks layers on an input of the given per-sample shape, as
// Keras' Sequential(layers, name=...) does: a model of class "Sequential"
// that can be applied inside another model (ConvNeXt's stem and
// downsampling blocks), its weights those of its layers, named after them.
// Options: WithName (without it, the scope's next "sequential" name),
// WithScope.
func NewSequential(inputShape []int, layers []Layer, opts ...Option) (*Model, error) {
	s, err := collect("Sequential", opts)
	if err != nil {
		return nil, err
	}
	name := layerName(s, "Sequential")
	in := Input(inputShape, WithName(name+"_input"))
	x := in
	for _, l := range layers {
		x = l.Apply(x)
	}
	m, err := NewModel([]*Node{in}, []*Node{x}, WithName(name))
	if m != nil {
		m.class = "Sequential"
	}
	return m, err
}
