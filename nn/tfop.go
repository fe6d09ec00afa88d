package nn

import (
	"fmt"
	"slices"
	"strconv"
)

// tfOpLayerFromConfig reads tf.keras 2.2-2.3's TensorFlowOpLayer, a raw
// TensorFlow op in a functional model, for the ops that are Keras layers in
// disguise: Transpose that keeps the batch first (a Permute) and Reshape
// that keeps the batch (a Reshape). Its constant operands are in
// "constants", by operand index. Other ops are an error naming them.
func tfOpLayerFromConfig(c Config) (Layer, error) {
	opts, err := c.common()
	if err != nil {
		return nil, err
	}
	// Keras names the layer "tf_op_layer_" + its config's name.
	opts = append(opts, WithName("tf_op_layer_"+c.name()))
	node, _ := c["node_def"].(map[string]any)
	op, _ := node["op"].(string)
	consts, _ := c["constants"].(map[string]any)
	operand := func(i int) ([]int, error) {
		v, ok := consts[strconv.Itoa(i)]
		if !ok {
			return nil, fmt.Errorf("op %s without constant operand %d", op, i)
		}
		return Config{"v": v}.ints("v")
	}
	switch op {
	case "Transpose":
		perm, err := operand(1)
		if err != nil {
			return nil, err
		}
		if len(perm) < 2 || perm[0] != 0 {
			return nil, fmt.Errorf("op Transpose with perm %v moves the batch axis", perm)
		}
		// perm counts the batch as axis 0, as Permute's dims count the
		// sample's axes from 1.
		l := NewPermute(perm[1:], opts...)
		return l, l.err
	case "Reshape":
		shape, err := operand(1)
		if err != nil {
			return nil, err
		}
		if len(shape) < 1 || shape[0] != -1 || slices.Contains(shape[1:], -1) {
			return nil, fmt.Errorf("op Reshape to %v: Keel reads a Reshape that keeps the batch first ([-1, d1, ...] with every other dimension given)", shape)
		}
		l := NewReshape(shape[1:], opts...)
		return l, l.err
	}
	return nil, fmt.Errorf("TensorFlow op %q is not supported (Keel reads a TensorFlowOpLayer only as Transpose keeping the batch first or Reshape keeping the batch)", op)
}

// tfOpLambdaFromConfig refuses tf.keras 2.4+'s TFOpLambda and
// SlicingOpLambda by the TensorFlow function they call: their operands are
// the call's arguments, kept in the model's inbound nodes.
func tfOpLambdaFromConfig(class string) LayerConstructor {
	return func(c Config) (Layer, error) {
		fn, _ := c["function"].(string)
		return nil, fmt.Errorf("TensorFlow function tf.%s is not supported: Keel does not run TensorFlow ops (a %s layer)", fn, class)
	}
}

func init() {
	RegisterLayer("TensorFlowOpLayer", tfOpLayerFromConfig)
	RegisterLayer("TFOpLambda", tfOpLambdaFromConfig("TFOpLambda"))
	RegisterLayer("SlicingOpLambda", tfOpLambdaFromConfig("SlicingOpLambda"))
}
