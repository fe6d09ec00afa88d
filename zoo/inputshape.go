package zoo

import (
	"fmt"
	"strings"
)

// Shape is an (H, W, C) input shape; 0 stands for Keras' None (any size).
type Shape [3]int

// String formats the shape as Python prints the tuple, so that messages read
// exactly as Keras' do: (224, 224, 3), (None, None, 3).
func (s Shape) String() string {
	parts := make([]string, 3)
	for i, d := range s {
		if d == 0 {
			parts[i] = "None"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// obtainInputShape is keras_applications' _obtain_input_shape for
// channels-last data: it fills in or checks a model's input shape. given is
// nil for "not given". It returns the shape and any warning Keras would print.
func obtainInputShape(given []int, defaultSize, minSize int, requireFlatten bool, imagenet bool) (Shape, []string, error) {
	var warnings []string
	var in Shape
	if given != nil {
		if len(given) != 3 {
			return Shape{}, nil, fmt.Errorf("`input_shape` must be a tuple of three integers.")
		}
		copy(in[:], given)
	}
	defaultShape := Shape{defaultSize, defaultSize, 3}
	if !imagenet && given != nil {
		if in[2] != 1 && in[2] != 3 {
			warnings = append(warnings, fmt.Sprintf("This model usually expects 1 or 3 input channels. However, it was passed an input_shape with %d input channels.", in[2]))
		}
		defaultShape[2] = in[2]
	}
	if imagenet && requireFlatten {
		if given != nil && in != defaultShape {
			return Shape{}, warnings, fmt.Errorf("When setting `include_top=True` and loading `imagenet` weights, `input_shape` should be %s.", defaultShape)
		}
		return defaultShape, warnings, nil
	}
	if given != nil {
		if in[2] != 3 && imagenet {
			return Shape{}, warnings, fmt.Errorf("The input must have 3 channels; got `input_shape=%s`", in)
		}
		if (in[0] != 0 && in[0] < minSize) || (in[1] != 0 && in[1] < minSize) {
			return Shape{}, warnings, fmt.Errorf("Input size must be at least %dx%d; got `input_shape=%s`", minSize, minSize, in)
		}
	} else if requireFlatten {
		in = defaultShape
	} else {
		in = Shape{0, 0, 3}
	}
	if requireFlatten && (in[0] == 0 || in[1] == 0 || in[2] == 0) {
		return Shape{}, warnings, fmt.Errorf("If `include_top` is True, you should specify a static `input_shape`. Got `input_shape=%s`", in)
	}
	return in, warnings, nil
}
