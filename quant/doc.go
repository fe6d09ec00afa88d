// Package quant quantizes float32 Keel models to int8 for inference
// (post-training static quantization, as TFLite and ONNX Runtime do it),
// runs them on the int8 kernels of package kernels, and saves and loads
// them as Keras-layout HDF5 files.
//
// # Quantizing
//
// Quantize takes a float model (nested models, as a transfer-learned
// backbone, are inlined) and a batch of calibration inputs, preprocessed as
// the model takes them. Weights become int8, symmetric, one scale per
// output channel (max |w| / 127; with Options.ReduceRange, Conv2D weights
// take 7 bits, max |w| / 63, which CPUs without dot-product instructions
// multiply on a faster exact kernel); activations become uint8 with one scale
// and zero point per tensor (real = scale * (q - zero)), the range
// calibrated on the inputs: MinMax takes the extremes, Percentile (the
// default) clips at the 99.99th percentile of |x|; the range always holds 0
// exactly, so zero padding and ReLU's floor are exact. Inference folds are
// those of package nn: a BatchNormalization folds into the convolution
// before it (kernels.FoldBatchNorm), and the bias, a ReLU or ReLU6, and a
// residual Add (one of whose inputs the convolution computes) fold into
// the convolution's requantizing epilogue; a ZeroPadding2D folds into the
// valid convolution that alone reads it. Each convolution's bias is then
// corrected for the mean error its int8 weights make on its calibrated
// input (bias -= (W_q - W) . E[x]), which halves the error of deep
// MobileNets.
//
// Conv2D (groups 1), DepthwiseConv2D (depth multiplier 1), Add, ReLU,
// ZeroPadding2D, MaxPooling2D, AveragePooling2D, the global poolings,
// Flatten and Reshape run in int8, activations staying uint8 between them.
// Every other layer (the Dense head and its softmax, or what the quantizer
// does not support) runs in float32 between a dequantize and a quantize
// step, so any model with one input and one output works. Quantize returns
// a Report: for every layer of the quantized model, the relative RMS error
// of its output against the float model's on the calibration images, both
// accumulated from the input and of the layer alone (its inputs the float
// values, quantized), and its precision. `keel quantize` prints it.
//
// # Running
//
// Model.Run computes a batch. Model.NN gives the model as an *nn.Model (an
// input layer and one Lambda layer running the int8 graph), so everything
// that runs models runs it; modelfile.Load returns that model for a
// quantized file once this package is imported (it registers a
// modelfile.Loader), which is how keel predict, keel evaluate and keel
// serve read int8 files. The model is for inference only: it has no
// trainable weights (a training step leaves it as it is, as a frozen
// backbone), and a trainable layer before it makes a training step an
// error naming it (gradients cannot pass through its Lambda). Each batch
// size gets workspaces allocated once (a uint8 buffer per activation), so
// steady-state runs allocate no activations.
//
// # File layout
//
// Save writes Keras 2.3.1's full-model layout, which Keras reads as far as
// its layer classes go (Keel's int8 classes are not Keras'):
//
//	/ attributes      keras_version "2.3.1", backend "tensorflow",
//	                  model_config (JSON, below), keel_quantized "int8/1",
//	                  and modelfile.Meta's keel_preprocess, keel_input_size,
//	                  keel_class_names
//	/model_weights    layer_names, backend, keras_version attributes;
//	                  one group per layer with a weight_names attribute:
//	  <conv>/<conv>/kernel:0        int8, (KH, KW, C, OutC); depthwise (KH, KW, C, 1);
//	                                values -127..127
//	  <conv>/<conv>/kernel_scale:0  float32 (OutC): the per-channel weight scales
//	  <conv>/<conv>/bias:0          float32 (OutC): the float bias, BatchNormalization
//	                                folded in and corrected
//	  <float layer>/<float layer>/<weight>:0   float32, as Keras stores the layer's weights
//
// model_config is a Keras functional config ({"class_name": "Functional",
// "config": {"name", "layers", "input_layers", "output_layers"}}): an
// InputLayer with its batch_input_shape, then the layers in execution
// order, each with its inbound_nodes ([[["<input layer>", 0, 0, {}], ...]]).
// Every layer's config has keel_output_shape (per sample), keel_from (the
// source layers it computes), and for a uint8 output keel_output_scale and
// keel_output_zero_point. The int8 classes and their own keys:
//
//	KeelQuantize, KeelDequantize              float32 <-> uint8 at the output's (input's) parameters
//	KeelQuantConv2D, KeelQuantDepthwiseConv2D kernel_size, strides, dilation_rate,
//	                                          padding [[top, bottom], [left, right]] (explicit,
//	                                          padded with the input's zero point), activation
//	                                          (linear, relu, relu6), residual (a second input added
//	                                          in the epilogue); filters (Conv2D)
//	KeelQuantAdd, KeelQuantReLU               activation
//	KeelQuantMaxPooling2D, KeelQuantAveragePooling2D  pool_size, strides, padding (same, valid)
//	KeelQuantGlobalAveragePooling2D, KeelQuantGlobalMaxPooling2D  keepdims
//	KeelQuantZeroPadding2D                    padding [[top, bottom], [left, right]]
//	KeelQuantReshape                          target_shape
//
// Any other class is a Keras layer with its Keras config, run in float32.
// Pooling, padding, reshape and ReLU keep their input's scale and zero
// point. Read checks every dataset's type and shape against the graph, that
// no dataset declares more than the file holds, every scale and zero point,
// every shape and window, before anything runs: a bad file is an error
// naming the file and the layer or dataset.
package quant
