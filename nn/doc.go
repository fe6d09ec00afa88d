// Package nn is Keel's library face: float32 NHWC tensors, Keras layers with
// Keras' names, configuration and weight layouts, a functional graph of those
// layers (models nest as layers of other models), backpropagation over that
// graph on the kernels of package kernels, losses, optimizers and metrics, and
// a single training step that the training loop builds on. It reads and
// writes no file format: package modelfile saves and loads weights and
// whole models (ModelCheckpoint takes its save function).
//
// # Building models
//
// A model is built as in Keras' functional API: a layer applied to nodes gives
// a node, and NewModel takes the input and output nodes. Errors in building
// (wrong shapes, options a layer does not take) travel with the nodes and are
// reported by NewModel, so a graph reads as a chain of calls:
//
//	x := nn.Input([]int{32, 32, 3})
//	y := nn.NewConv2D(8, 3, 3, nn.WithPadding("same"), nn.WithActivation("relu")).Apply(x)
//	y = nn.NewGlobalAveragePooling2D().Apply(y)
//	y = nn.NewDense(2, nn.WithActivation("softmax")).Apply(y)
//	m, err := nn.NewModel([]*nn.Node{x}, []*nn.Node{y})
//
// Layers carry Keras' class name, layer name (automatic names follow Keras
// 2.3.1: "dense_1", "activation_2", counted per NameScope), get_config()
// values (Config) and weights in Keras' order and shapes (HWIO kernels), set
// by name with shape checks (SetWeight). Model.Layers lists layers in
// Keras' model.layers order. ModelFromJSON builds a model from Keras' model
// JSON and Model's MarshalJSON writes one; RegisterLayer maps a Keras class
// name to a constructor. Keel runs no Python: of Keras 2's Lambda layers it
// reads only InceptionResNetV2's scaled residual (arguments {"scale": s},
// two inputs), as the CustomScaleLayer Keras 3 replaced it with.
//
// # Running and training
//
// Model.Run computes a batch in inference mode; RunLayers returns the outputs
// of named layers. Compile sets an optimizer, a loss and metrics, and
// TrainStep runs forward, loss, backward and the update, returning the loss
// computed before the update. Each (mode, batch size) of a model gets an
// execution plan, built once and reused: buffers are assigned by liveness,
// so a steady-state step allocates no tensors.
//
// Inference folds a BatchNormalization into the convolution before it and a
// ReLU into the layer before it; a ZeroPadding2D into the valid convolution
// (or max pooling of ReLU outputs) that alone reads it; a residual Add into
// the convolution that computes one of its inputs, whose kernel adds the
// other; a 1x1 convolution into the depthwise convolution before it,
// computed together in bands of rows (a SeparableConv2D is a convolution
// here: its BatchNormalization folds into the pointwise weights, and its two
// halves always run as that one kernel); an inference BatchNormalization
// (and its ReLU) into the 1x1 convolution that alone reads it, which
// normalises each block of pixels as it reads them (DenseNet's
// pre-activations); and a linear 1x1 convolution whose output only an
// average pooling reads is swapped with that pooling, since they commute
// (DenseNet's transitions then convolve a quarter of the pixels). It never
// folds across a layer whose output was requested: a requested output is
// exactly what its layer computes (up to rounding where the layer itself
// absorbed the next one).
//
// # Freezing
//
// Freezing follows Keras on TensorFlow 2. A layer that is not trainable
// (Layer.SetTrainable, Model.SetTrainable for a whole backbone,
// Model.FreezeUntil, Model.UnfreezeFrom) gets no weight gradient, and a frozen
// BatchNormalization normalises with its moving statistics; a trainable one,
// in a training step, uses the batch statistics and updates the moving
// variance with the unbiased batch variance. Below the lowest trainable layer
// a training step runs pure inference: no gradient is computed there, no
// activation is kept for the backward pass, and buffers are reused. A model
// applied with ApplyInference (Keras' base_model(x, training=False)) runs in
// inference mode inside a training step while its trainable weights learn,
// as the Keras fine-tuning guide recommends for BatchNormalization.
// Model.StepStats counts, per layer, the kernels each step ran forward and
// backward and the activations it kept, which is how the tests prove it.
package nn
