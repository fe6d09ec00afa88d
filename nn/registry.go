package nn

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
)

// LayerConstructor builds a layer from its Keras config (the "config" object
// of a layer in a model_config JSON).
type LayerConstructor func(cfg Config) (Layer, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]LayerConstructor{}
)

// RegisterLayer makes LayerFromConfig and ModelFromConfig build Keras class
// name with fn. Keel registers every layer it has.
func RegisterLayer(class string, fn LayerConstructor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[class] = fn
}

// LayerClasses lists the registered Keras class names.
func LayerClasses() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var out []string
	for c := range registry {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// LayerFromConfig builds a layer of the given Keras class from its config.
func LayerFromConfig(class string, cfg Config) (Layer, error) {
	registryMu.RLock()
	fn, ok := registry[class]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("nn: Keras layer class %q is not supported (supported: %s)", class, strings.Join(LayerClasses(), ", "))
	}
	l, err := fn(cfg)
	if err != nil {
		return nil, fmt.Errorf("nn: %s %q: %w", class, cfg.name(), err)
	}
	return l, nil
}

func init() {
	reg := registerConfig
	reg("Conv2D", func(r *reader, o []Option) Layer {
		k := r.pair("kernel_size", 1)
		return NewGroupedConv2D(r.int("filters", 0), r.int("groups", 1), k[0], k[1], r.convOptions(o)...)
	})
	reg("DepthwiseConv2D", func(r *reader, o []Option) Layer {
		k := r.pair("kernel_size", 1)
		return NewDepthwiseConv2D(k[0], k[1], append(r.convOptions(o), WithDepthMultiplier(r.int("depth_multiplier", 1)))...)
	})
	reg("SeparableConv2D", func(r *reader, o []Option) Layer {
		k := r.pair("kernel_size", 1)
		return NewSeparableConv2D(r.int("filters", 0), k[0], k[1], append(r.convOptions(o), WithDepthMultiplier(r.int("depth_multiplier", 1)))...)
	})
	reg("Dense", func(r *reader, o []Option) Layer {
		if in, ok := initializerFromConfig(r.c["kernel_initializer"]); ok {
			o = append(o, WithKernelInitializer(in))
		}
		return NewDense(r.int("units", 0), append(o, WithActivation(ActivationName(r.str("activation", "linear"))), WithUseBias(r.boolean("use_bias", true)))...)
	})
	reg("BatchNormalization", func(r *reader, o []Option) Layer {
		axis := -1
		if ax, err := r.c.ints("axis"); err == nil && len(ax) == 1 {
			axis = ax[0]
		} else if r.c.has("axis") {
			r.keep(fmt.Errorf("axis %v: only one axis is supported", r.c["axis"]))
		}
		return NewBatchNormalization(append(o, WithAxis(axis), WithMomentum(r.float("momentum", 0.99)), WithEpsilon(r.float("epsilon", 1e-3)),
			WithCenter(r.boolean("center", true)), WithScale(r.boolean("scale", true)))...)
	})
	reg("LayerNormalization", layerNormFromConfig)
	reg("LayerScale", func(r *reader, o []Option) Layer {
		return NewLayerScale(r.float("init_values", 0), r.int("projection_dim", 0), o...)
	})
	reg("StochasticDepth", func(r *reader, o []Option) Layer { return NewStochasticDepth(r.float("drop_path_rate", 0), o...) })
	reg("Activation", func(r *reader, o []Option) Layer {
		return NewActivation(ActivationName(r.str("activation", "linear")), o...)
	})
	reg("ReLU", func(r *reader, o []Option) Layer {
		if r.c.has("max_value") {
			o = append(o, WithMaxValue(r.float("max_value", 0)))
		}
		return NewReLU(append(o, WithNegativeSlope(r.float("negative_slope", 0)), WithThreshold(r.float("threshold", 0)))...)
	})
	reg("ZeroPadding2D", func(r *reader, o []Option) Layer {
		p := quad(r, "padding", 1)
		return NewZeroPadding2D(p[0], p[1], p[2], p[3], o...)
	})
	reg("Cropping2D", func(r *reader, o []Option) Layer {
		p := quad(r, "cropping", 0)
		return NewCropping2D(p[0], p[1], p[2], p[3], o...)
	})
	pool := func(r *reader, o []Option) ([2]int, []Option) {
		size := r.pair("pool_size", 2)
		if r.c.has("strides") {
			s := r.pair("strides", 1)
			o = append(o, WithStrides(s[0], s[1]))
		}
		return size, append(o, WithPadding(Padding(r.str("padding", "valid"))))
	}
	reg("MaxPooling2D", func(r *reader, o []Option) Layer {
		s, o := pool(r, o)
		return NewMaxPooling2D(s[0], s[1], o...)
	})
	reg("AveragePooling2D", func(r *reader, o []Option) Layer {
		s, o := pool(r, o)
		return NewAveragePooling2D(s[0], s[1], o...)
	})
	reg("GlobalAveragePooling2D", func(r *reader, o []Option) Layer {
		return NewGlobalAveragePooling2D(append(o, WithKeepDims(r.boolean("keepdims", false)))...)
	})
	reg("GlobalMaxPooling2D", func(r *reader, o []Option) Layer {
		return NewGlobalMaxPooling2D(append(o, WithKeepDims(r.boolean("keepdims", false)))...)
	})
	reg("Flatten", func(r *reader, o []Option) Layer { return NewFlatten(o...) })
	reg("Reshape", func(r *reader, o []Option) Layer {
		t, err := r.c.ints("target_shape")
		r.keep(err)
		return NewReshape(t, o...)
	})
	reg("Dropout", dropoutFromConfig)
	reg("Add", func(r *reader, o []Option) Layer { return NewAdd(o...) })
	reg("Multiply", func(r *reader, o []Option) Layer { return NewMultiply(o...) })
	reg("Concatenate", func(r *reader, o []Option) Layer {
		return NewConcatenate(append(o, WithAxis(r.int("axis", -1)))...)
	})
	reg("CustomScaleLayer", func(r *reader, o []Option) Layer {
		if !r.c.has("scale") {
			r.keep(fmt.Errorf("config without scale"))
		}
		return NewCustomScaleLayer(r.float("scale", 1), o...)
	})
	RegisterLayer("Lambda", lambdaFromConfig)
	reg("Rescaling", rescalingFromConfig)
	reg("Normalization", normalizationFromConfig)
}

// scaledResidualLambda reads the one Lambda Keel knows without running its
// Python bytecode: keras_applications' InceptionResNetV2 residual
// Lambda(lambda inputs, scale: inputs[0] + inputs[1] * scale,
// arguments={'scale': s}), as Keras 2 serialises it. It becomes the
// CustomScaleLayer Keras 3 replaced it with; its build checks the two
// inputs. Any other Lambda is an error.
func scaledResidualLambda(r *reader, o []Option) Layer {
	fail := func(why string) Layer {
		r.keep(fmt.Errorf("Keel does not run Python code: it reads a Lambda only as InceptionResNetV2's scaled residual "+
			"(inputs[0] + inputs[1] * scale, arguments {\"scale\": s}, two inputs); this one %s", why))
		return NewCustomScaleLayer(0, o...)
	}
	args, ok := r.c["arguments"].(map[string]any)
	if !ok || len(args) != 1 {
		return fail(fmt.Sprintf("has arguments %v", r.c["arguments"]))
	}
	scale, ok := args["scale"].(float64)
	if !ok {
		return fail(fmt.Sprintf("has arguments %v (scale %#v is not a number)", args, args["scale"]))
	}
	if ft := r.str("function_type", "lambda"); ft != "lambda" {
		return fail(fmt.Sprintf("has function_type %q", ft))
	}
	// func_dump's (code, defaults, closure): the residual's lambda has
	// neither defaults nor a closure.
	if fn, ok := r.c["function"].([]any); ok && (len(fn) != 3 || fn[1] != nil || fn[2] != nil) {
		return fail("has defaults or a closure")
	}
	l := NewCustomScaleLayer(scale, o...)
	l.fromLambda = true
	if r.c.has("output_shape") {
		shape, ok := lambdaOutputShape(r.c["output_shape"])
		if !ok {
			return fail(fmt.Sprintf("has output_shape %v", r.c["output_shape"]))
		}
		l.lambdaShape = shape
	}
	return l
}

// lambdaOutputShape reads a Lambda's raw output_shape, -1 for the
// dimensions Keras left unknown (null: a model built for any image size).
func lambdaOutputShape(v any) ([]int, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	shape := make([]int, len(list))
	for i, d := range list {
		switch d := d.(type) {
		case nil:
			shape[i] = -1
		case float64:
			if d != math.Trunc(d) || d < 0 {
				return nil, false
			}
			shape[i] = int(d)
		default:
			return nil, false
		}
	}
	return shape, true
}

// quad reads ZeroPadding2D's padding or Cropping2D's cropping as Keras
// takes them: an int, a pair (symmetric rows, columns) or ((top, bottom),
// (left, right)); missing, every side is def.
func quad(r *reader, key string, def int) [4]int {
	switch v := r.c[key].(type) {
	case float64:
		n := int(v)
		return [4]int{n, n, n, n}
	case []any:
		if len(v) == 2 {
			if a, ok := v[0].(float64); ok {
				b, _ := v[1].(float64)
				return [4]int{int(a), int(a), int(b), int(b)}
			}
			sub := Config{"a": v[0], "b": v[1]}
			a, err1 := sub.ints("a")
			b, err2 := sub.ints("b")
			if err1 == nil && err2 == nil && len(a) == 2 && len(b) == 2 {
				return [4]int{a[0], a[1], b[0], b[1]}
			}
		}
	case nil:
		return [4]int{def, def, def, def}
	}
	r.keep(fmt.Errorf("%s %v not understood", key, r.c[key]))
	return [4]int{}
}
