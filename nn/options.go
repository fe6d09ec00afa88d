package nn

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Option sets one of a layer's Keras arguments: WithName("conv1"),
// WithStrides(2), WithPadding("same"), ... A layer given an option it does not
// take reports it as an error when applied.
type Option struct{ apply func(*settings) }

// settings collects every option; each constructor reads the ones it takes.
type settings struct {
	set map[string]bool // which options were given

	name          string
	scope         *NameScope
	trainable     bool
	strides       [2]int
	padding       string
	activation    string
	useBias       bool
	dilation      [2]int
	depthMult     int
	momentum      float64
	epsilon       float64
	axis          int
	center, scale bool
	keepDims      bool
	maxValue      float64
	negSlope      float64
	threshold     float64
	seed          uint64
	kernelInit    Initializer
}

func (s *settings) mark(key string) {
	if s.set == nil {
		s.set = map[string]bool{}
	}
	s.set[key] = true
}

// WithName names the layer (Keras' name=); without it the layer gets an
// automatic Keras name such as "dense_1".
func WithName(name string) Option { return Option{func(s *settings) { s.mark("name"); s.name = name }} }

// WithScope counts the automatic names in scope instead of the package's
// default scope.
func WithScope(scope *NameScope) Option {
	return Option{func(s *settings) { s.mark("scope"); s.scope = scope }}
}

// WithTrainable sets the layer's trainable flag (Keras' trainable=).
func WithTrainable(t bool) Option {
	return Option{func(s *settings) { s.mark("trainable"); s.trainable = t }}
}

// WithStrides sets strides: one value for both dimensions, or height and width.
func WithStrides(st ...int) Option {
	return Option{func(s *settings) { s.mark("strides"); s.strides = pair(st) }}
}

// Padding is Keras' padding of a convolution or pooling, by its Keras name
// (TensorFlow's rules). Untyped strings ("same") convert; configs give any
// case.
type Padding string

const (
	PaddingValid Padding = "valid"
	PaddingSame  Padding = "same"
)

// WithPadding sets the padding.
func WithPadding(p Padding) Option {
	return Option{func(s *settings) { s.mark("padding"); s.padding = strings.ToLower(string(p)) }}
}

// ActivationName is the Keras name of an activation function.
type ActivationName string

const (
	ActLinear  ActivationName = "linear"
	ActReLU    ActivationName = "relu"
	ActReLU6   ActivationName = "relu6"
	ActSigmoid ActivationName = "sigmoid"
	ActTanh    ActivationName = "tanh"
	ActSoftmax ActivationName = "softmax" // over the last axis
)

// WithActivation sets the activation applied to the layer's output.
func WithActivation(a ActivationName) Option {
	return Option{func(s *settings) { s.mark("activation"); s.activation = string(a) }}
}

// WithUseBias says whether the layer adds a bias (Keras' use_bias, default true).
func WithUseBias(b bool) Option {
	return Option{func(s *settings) { s.mark("use_bias"); s.useBias = b }}
}

// WithDilationRate sets the dilation: one value, or height and width.
func WithDilationRate(d ...int) Option {
	return Option{func(s *settings) { s.mark("dilation_rate"); s.dilation = pair(d) }}
}

// WithDepthMultiplier sets DepthwiseConv2D's and SeparableConv2D's depth multiplier.
func WithDepthMultiplier(m int) Option {
	return Option{func(s *settings) { s.mark("depth_multiplier"); s.depthMult = m }}
}

// WithMomentum sets BatchNormalization's momentum (default 0.99).
func WithMomentum(m float64) Option {
	return Option{func(s *settings) { s.mark("momentum"); s.momentum = m }}
}

// WithEpsilon sets BatchNormalization's epsilon (default 1e-3).
func WithEpsilon(e float64) Option {
	return Option{func(s *settings) { s.mark("epsilon"); s.epsilon = e }}
}

// WithAxis sets the axis of BatchNormalization (only the last is supported:
// -1, or 3 for images) or of Concatenate (default -1).
func WithAxis(a int) Option { return Option{func(s *settings) { s.mark("axis"); s.axis = a }} }

// WithCenter says whether BatchNormalization has beta (default true).
func WithCenter(c bool) Option { return Option{func(s *settings) { s.mark("center"); s.center = c }} }

// WithScale says whether BatchNormalization has gamma (default true).
func WithScale(c bool) Option { return Option{func(s *settings) { s.mark("scale"); s.scale = c }} }

// WithKeepDims keeps the pooled spatial dimensions as 1x1 (global pooling).
func WithKeepDims(k bool) Option {
	return Option{func(s *settings) { s.mark("keepdims"); s.keepDims = k }}
}

// WithMaxValue caps ReLU (Keras' max_value; default none).
func WithMaxValue(v float64) Option {
	return Option{func(s *settings) { s.mark("max_value"); s.maxValue = v }}
}

// WithNegativeSlope sets ReLU's slope below the threshold (default 0).
func WithNegativeSlope(v float64) Option {
	return Option{func(s *settings) { s.mark("negative_slope"); s.negSlope = v }}
}

// WithThreshold sets ReLU's threshold (default 0).
func WithThreshold(v float64) Option {
	return Option{func(s *settings) { s.mark("threshold"); s.threshold = v }}
}

// WithKernelInitializer sets how Dense draws its initial kernel (Keras'
// kernel_initializer, default glorot_uniform): see Initializer.
func WithKernelInitializer(in Initializer) Option {
	return Option{func(s *settings) { s.mark("kernel_initializer"); s.kernelInit = in }}
}

// WithSeed seeds Dropout's mask.
func WithSeed(seed uint64) Option { return Option{func(s *settings) { s.mark("seed"); s.seed = seed }} }

func pair(v []int) [2]int {
	switch len(v) {
	case 0:
		return [2]int{}
	case 1:
		return [2]int{v[0], v[0]}
	}
	return [2]int{v[0], v[1]}
}

// collect applies opts over Keras' defaults and checks that the layer takes
// every option given: allowed lists the option keys beyond name, scope and
// trainable.
func collect(class string, opts []Option, allowed ...string) (*settings, error) {
	s := &settings{
		trainable: true, strides: [2]int{1, 1}, padding: "valid", activation: "linear", useBias: true,
		dilation: [2]int{1, 1}, depthMult: 1, momentum: 0.99, epsilon: 1e-3, axis: -1, center: true, scale: true,
		maxValue: math.Inf(1),
	}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(s)
		}
	}
	ok := map[string]bool{"name": true, "scope": true, "trainable": true}
	for _, a := range allowed {
		ok[a] = true
	}
	var bad []string
	for k := range s.set {
		if !ok[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return s, fmt.Errorf("nn: %s does not take %s", class, strings.Join(bad, ", "))
	}
	if s.padding != "valid" && s.padding != "same" {
		return s, fmt.Errorf("nn: %s: padding %q, want valid or same", class, s.padding)
	}
	if s.strides[0] < 1 || s.strides[1] < 1 || s.dilation[0] < 1 || s.dilation[1] < 1 {
		return s, fmt.Errorf("nn: %s: strides %v and dilation %v must be positive", class, s.strides, s.dilation)
	}
	if _, err := parseActivation(s.activation); err != nil {
		return s, fmt.Errorf("nn: %s: %w", class, err)
	}
	if s.kernelInit != "" {
		if _, err := ParseInitializer(string(s.kernelInit)); err != nil {
			return s, fmt.Errorf("%s: %w", class, err)
		}
	}
	return s, nil
}
