// Package nn is Keel's library face: float32 NHWC tensors, Keras layers with
// Keras' names, configuration and weight layouts, a functional graph of those
// layers (models nest as layers of other models), backpropagation over that
// graph on the kernels of package kernels, losses, optimizers and metrics, and
// a single training step that the training loop builds on.
//
// A model is built as in Keras' functional API: a layer applied to nodes gives
// a node, and NewModel takes the input and output nodes. Errors in building
// (wrong shapes, bad options) travel with the nodes and are reported by
// NewModel, so a graph reads as a chain of calls:
//
//	x := nn.Input([]int{32, 32, 3})
//	y := nn.NewConv2D(8, 3, 3, nn.WithPadding("same"), nn.WithActivation("relu")).Apply(x)
//	y = nn.NewGlobalAveragePooling2D().Apply(y)
//	y = nn.NewDense(2, nn.WithActivation("softmax")).Apply(y)
//	m, err := nn.NewModel([]*nn.Node{x}, []*nn.Node{y})
//
// Freezing follows Keras on TensorFlow 2: a layer that is not trainable gets
// no weight gradient, a frozen BatchNormalization normalises with its moving
// statistics, and below the lowest trainable layer a training step runs pure
// inference: no gradient is computed there and no activation is kept for the
// backward pass.
package nn
