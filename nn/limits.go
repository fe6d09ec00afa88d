package nn

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/keelml/keel/internal/sizes"
)

// Limits bounds what building a model from a config may allocate, so that a
// hostile config is an error instead of exhausting memory: the weights all
// layers declare, and the activations, which follow from the input.
type Limits struct {
	// MaxWeights is the most weight values all layers together may declare
	// (a loader passes the number of values its file holds).
	MaxWeights int64
	// WeightsBound says in errors what MaxWeights is: "the file holds"
	// (default "a model may have").
	WeightsBound string
	// MaxInputValues bounds the values of one sample, summed over the
	// model's inputs.
	MaxInputValues int64
}

// DefaultLimits are ModelFromJSON's and ModelFromConfig's: far above any
// Keras application, far below what overflows or exhausts a machine.
var DefaultLimits = Limits{MaxWeights: 1 << 32, MaxInputValues: 1 << 24}

// The activation budget of one sample follows from its input values: every
// layer output at most layerFactor times them (and never past maxLayer), all
// outputs together at most totalFactor times, with floors for small inputs
// that wide layers legitimately widen. The Keras applications stay below a
// tenth of each: VGG's first convolutions output 21 times their input,
// ResNet152's layers 525 times in all.
const (
	layerFactor, layerFloor = 256, 1 << 22
	maxLayer                = 1 << 28
	totalFactor, totalFloor = 8192, 1 << 26
)

// maxModelNesting bounds models nested in models: each level of a config is
// decoded again, and no real model nests more than a few.
const maxModelNesting = 32

var errTooDeep = fmt.Errorf("nn: models nest more than %d deep", maxModelNesting)

// maxJSONDepth bounds the nesting of a model JSON's brackets, checked before
// decoding; a Keras config nests about 12 levels per nested model.
const maxJSONDepth = 512

// budget is what one model build has spent of its Limits. Layers built from
// a config point to it and charge it before allocating.
type budget struct {
	lim       Limits
	weights   int64
	inputs    int64
	acts      int64
	nesting   int
	err       error
	submodels map[*Model]int64 // activations of one application of a nested model
	watched   []*base
}

func newBudget(lim Limits) *budget {
	if lim.MaxWeights <= 0 {
		lim.MaxWeights = DefaultLimits.MaxWeights
	}
	if lim.WeightsBound == "" {
		lim.WeightsBound = "a model may have"
	}
	if lim.MaxInputValues <= 0 {
		lim.MaxInputValues = DefaultLimits.MaxInputValues
	}
	return &budget{lim: lim, submodels: map[*Model]int64{}}
}

// values is the product of a shape's dimensions, or -1 when it passes
// math.MaxInt64 or a dimension is negative.
func values(shape []int) int64 {
	n := int64(1)
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt64/int64(d)) {
			return -1
		}
		n *= int64(d)
	}
	return n
}

func (b *budget) fail(err error) error {
	if b.err == nil {
		b.err = err
	}
	return b.err
}

// weight charges a weight of l; false when it does not fit, in which case
// nothing may be allocated for it.
func (b *budget) weight(l *base, name string, shape []int) bool {
	n := values(shape)
	if n < 0 || n > b.lim.MaxWeights-b.weights {
		b.fail(fmt.Errorf("nn: layer %q (%s) declares weight %s of shape %s = %s of float32, more than the %d weight values %s (%d declared before it)",
			l.name, l.class, name, sizes.Shape(shape), sizes.Bytes(4*sizes.Product(shape)), b.lim.MaxWeights, b.lim.WeightsBound, b.weights))
		return false
	}
	b.weights += n
	return true
}

// input charges a model input's per-sample shape.
func (b *budget) input(name string, shape []int) error {
	n := values(shape)
	if n < 0 || n > b.lim.MaxInputValues-b.inputs {
		return b.fail(fmt.Errorf("nn: input %q declares shape %s per sample = %s of float32, more than the %d input values a model may take",
			name, sizes.Shape(shape), sizes.Bytes(4*sizes.Product(shape)), b.lim.MaxInputValues))
	}
	b.inputs += n
	return nil
}

// output charges one layer output of per-sample shape; it also reports a
// weight that did not fit.
func (b *budget) output(l *base, shape []int) error {
	if b.err != nil {
		return b.err
	}
	in := max(b.inputs, 1)
	n := values(shape)
	if limit := min(max(layerFactor*in, layerFloor), maxLayer); n < 0 || n > limit {
		return b.fail(fmt.Errorf("nn: layer %q (%s) outputs shape %s per sample = %s of float32, more than the %d values a layer may output for %d input values",
			l.name, l.class, sizes.Shape(shape), sizes.Bytes(4*sizes.Product(shape)), limit, in))
	}
	return b.activations(l.name, n)
}

func (b *budget) activations(name string, n int64) error {
	limit := max(totalFactor*max(b.inputs, 1), totalFloor)
	if n > limit-b.acts {
		return b.fail(fmt.Errorf("nn: at layer %q the activations total more than the %d values per sample allowed for %d input values",
			name, limit, max(b.inputs, 1)))
	}
	b.acts += n
	return nil
}

// watch makes l charge b for what it allocates when applied, until the
// build ends.
func (b *budget) watch(l Layer) {
	l.core().budget = b
	b.watched = append(b.watched, l.core())
}

// release ends the build: the layers are the caller's to apply again.
func (b *budget) release() {
	for _, l := range b.watched {
		l.budget = nil
	}
}

// jsonDepth is the deepest nesting of brackets in a JSON text (brackets in
// strings excluded), scanning no further than past limit.
func jsonDepth(data []byte, limit int) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range data {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped, inString = c == '\\', c != '"'
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > deepest {
				if deepest = depth; deepest > limit {
					return deepest
				}
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// ModelFromJSONWithin is ModelFromJSON within lim.
func ModelFromJSONWithin(data []byte, lim Limits) (*Model, error) {
	if d := jsonDepth(data, maxJSONDepth); d > maxJSONDepth {
		return nil, fmt.Errorf("nn: model JSON nests brackets more than %d deep", maxJSONDepth)
	}
	var top struct {
		ClassName string `json:"class_name"`
		Config    Config `json:"config"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("nn: model JSON: %w", err)
	}
	return ModelFromConfigWithin(top.ClassName, top.Config, lim)
}

// ModelFromConfigWithin is ModelFromConfig within lim: a config whose layers
// declare more weights, inputs or activations than lim allows is an error
// naming the first layer past it, before that layer allocates anything.
func ModelFromConfigWithin(class string, cfg Config, lim Limits) (*Model, error) {
	b := newBudget(lim)
	defer b.release()
	return modelFromConfig(class, cfg, b)
}
