package transfer

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/keelml/keel/internal/sizes"
	"github.com/keelml/keel/nn"
)

// HeadLayer is one layer of a head spec.
type HeadLayer struct {
	Kind       string            // gap, gmp, flatten, dense, dropout
	Units      int               // dense: 0 means the number of classes
	Activation nn.ActivationName // dense: linear when empty
	Rate       float64           // dropout
	// KernelInitializer is a dense layer's kernel_initializer ("" is
	// Keras' glorot_uniform).
	KernelInitializer nn.Initializer
}

// ParseHead parses a head spec: comma-separated layers, each one of
// "gap" (GlobalAveragePooling2D), "gmp" (GlobalMaxPooling2D), "flatten",
// "dropout:RATE", "dense:UNITS[:ACTIVATION]" or "dense:ACTIVATION" (units
// then default to the number of classes, meant for the last layer). A dense
// layer may end with ":init=NAME", its Keras kernel_initializer
// (nn.Initializer: random_uniform, he_normal, ...).
//
//	gap,dense:100:relu,dropout:0.5,dense:softmax
//	flatten,dense:100:relu,dense:2:softmax:init=random_uniform
func ParseHead(spec string) ([]HeadLayer, error) {
	var head []HeadLayer
	for i, item := range strings.Split(spec, ",") {
		parts := strings.Split(strings.TrimSpace(item), ":")
		l := HeadLayer{Kind: strings.ToLower(parts[0])}
		bad := func(why string) error {
			return fmt.Errorf("head layer %d %q: %s", i+1, item, why)
		}
		switch l.Kind {
		case "gap", "gmp", "flatten":
			if len(parts) != 1 {
				return nil, bad("takes no arguments")
			}
		case "dropout":
			if len(parts) != 2 {
				return nil, bad("want dropout:RATE")
			}
			r, err := strconv.ParseFloat(parts[1], 64)
			if err != nil || r < 0 || r >= 1 {
				return nil, bad("the rate must be a number in [0, 1)")
			}
			l.Rate = r
		case "dense":
			args := parts[1:]
			if n := len(args); n > 0 && strings.HasPrefix(args[n-1], "init=") {
				in, err := nn.ParseInitializer(strings.TrimPrefix(args[n-1], "init="))
				if err != nil {
					return nil, bad(err.Error())
				}
				l.KernelInitializer, args = in, args[:n-1]
			}
			if len(args) > 0 {
				if n, err := strconv.Atoi(args[0]); err == nil {
					if n < 1 || n > maxHeadUnits {
						return nil, bad(fmt.Sprintf("units must be in [1, %d]", maxHeadUnits))
					}
					l.Units, args = n, args[1:]
				}
			}
			if len(args) > 1 {
				return nil, bad("want dense:UNITS[:ACTIVATION][:init=INITIALIZER]")
			}
			if len(args) == 1 {
				if err := nn.CheckActivation(args[0]); err != nil {
					return nil, bad(err.Error())
				}
				l.Activation = nn.ActivationName(args[0])
			}
		default:
			return nil, bad("unknown layer (gap, gmp, flatten, dense, dropout)")
		}
		head = append(head, l)
	}
	if len(head) == 0 || head[len(head)-1].Kind != "dense" {
		return nil, fmt.Errorf("head %q must end with a dense layer", spec)
	}
	return head, nil
}

// maxHeadUnits bounds a dense layer's units, maxHeadWeights a whole head's
// weights (1 GB of float32): a typo must be an error, not an exhausted
// machine.
const (
	maxHeadUnits   = 1 << 20
	maxHeadWeights = 1 << 28
)

// CheckHead checks, before anything is allocated, that head fits on a
// backbone whose output has per-sample shape features: pooling needs
// (H, W, C), and the dense layers' weights must total at most 2^28 values.
func CheckHead(head []HeadLayer, features []int, classes int) error {
	shape := slices.Clone(features)
	total := 0.0 // float64: the products of absurd specs must not wrap
	for i, l := range head {
		switch l.Kind {
		case "gap", "gmp":
			if len(shape) != 3 {
				return fmt.Errorf("head layer %d (%s) needs (H, W, C) features, got %s", i+1, l.Kind, sizes.Shape(shape))
			}
			shape = shape[2:]
		case "flatten":
			shape = []int{int(min(sizes.Product(shape), math.MaxInt32))}
		case "dense":
			if len(shape) == 0 {
				return fmt.Errorf("head layer %d (dense) needs features with a dimension", i+1)
			}
			units := l.Units
			if units == 0 {
				units = classes
			}
			in := float64(shape[len(shape)-1])
			total += in*float64(units) + float64(units)
			if total > maxHeadWeights {
				return fmt.Errorf("head layer %d (dense:%d) on features %s brings the head to %s of float32 weights, more than the %s allowed",
					i+1, units, sizes.Shape(shape), sizes.Bytes(4*total), sizes.Bytes(4*maxHeadWeights))
			}
			shape = append(shape[:len(shape)-1:len(shape)-1], units)
		}
	}
	return nil
}

// HeadLayers makes the head's layers, named head_1_dense, head_2_dropout,
// ... so that they never clash with the backbone's. The last dense layer's
// units default to classes. The layers can be applied to more than one node
// (the cached-features model and the whole model share them).
func HeadLayers(head []HeadLayer, classes int) []nn.Layer {
	var layers []nn.Layer
	for i, l := range head {
		name := nn.WithName(fmt.Sprintf("head_%d_%s", i+1, l.Kind))
		switch l.Kind {
		case "gap":
			layers = append(layers, nn.NewGlobalAveragePooling2D(name))
		case "gmp":
			layers = append(layers, nn.NewGlobalMaxPooling2D(name))
		case "flatten":
			layers = append(layers, nn.NewFlatten(name))
		case "dropout":
			layers = append(layers, nn.NewDropout(l.Rate, name, nn.WithSeed(uint64(i+1))))
		case "dense":
			units := l.Units
			if units == 0 {
				units = classes
			}
			act := l.Activation
			if act == "" {
				act = "linear"
			}
			opts := []nn.Option{name, nn.WithActivation(act)}
			if l.KernelInitializer != "" {
				opts = append(opts, nn.WithKernelInitializer(l.KernelInitializer))
			}
			layers = append(layers, nn.NewDense(units, opts...))
		}
	}
	return layers
}

// Apply applies layers in turn to x.
func Apply(layers []nn.Layer, x *nn.Node) *nn.Node {
	for _, l := range layers {
		x = l.Apply(x)
	}
	return x
}
