// Package zoo builds the Keras applications (VGG16, VGG19, ResNet50 in its
// current and legacy namings, MobileNet and MobileNetV2) as nn models with
// the graphs and layer names of keras_applications 1.0.8 under Keras 2.3.1,
// loads Keras weight files into them by layer name, downloads the official
// ImageNet files on request, and provides each model's preprocess_input and
// decode_predictions.
//
//	base, err := zoo.New("mobilenet", zoo.Options{Weights: "imagenet", InputShape: []int{224, 224, 3}})
//
// Without IncludeTop a model ends at its last convolutional block (or at
// global pooling with Pooling "avg" or "max"): the transfer-learning case.
package zoo
