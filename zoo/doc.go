// Package zoo builds the Keras applications as nn models with the graphs and
// layer names keras_applications 1.0.8 builds under Keras 2.3.1, loads Keras
// weight files into them (by layer name, else by topological order with every
// shape checked), downloads the official ImageNet files on request, and
// provides each model's preprocess_input and decode_predictions. The models
// Keras 3 added (MobileNetV3, EfficientNet, EfficientNetV2) follow Keras 3's
// applications instead, built with newKeras3Builder, whose automatic names
// are Keras 3's ("re_lu", "re_lu_1", ...).
//
//	base, err := zoo.New("mobilenet", zoo.Options{Weights: "imagenet", InputShape: []int{224, 224, 3}})
//
// Without IncludeTop a model ends at its last convolutional block (or at
// global pooling with Pooling "avg" or "max"): the transfer-learning case.
// Names lists the models; `keel models` prints them with Keras' figures.
//
// # Adding a model
//
// A model family is one file, as in Keras' applications/*.py: a builder
// func(Options, Shape) (*nn.Model, error) that creates the layers in Keras'
// order with Keras' names (pass "" for the layers Keras names automatically;
// the builder's scope numbers them as a fresh Keras session does), and an
// init function that calls Register with the model's Spec: its names, default
// and minimum input size, ImageNet files and their hashes, preprocess_input
// mode, default transfer head and Keras' published figures. Every command,
// transfer and the benchmarks read the spec, so nothing else changes. Its
// tests: add the golden architecture ids to zooName in golden_test.go (the
// graph, weights, parameter totals and forward outputs are then checked
// against ../shared/golden) and the weight URLs to
// TestImagenetWeightsMatchKerasApplications; TestSpecsComplete and
// TestImagenetOfEveryModel cover the spec itself.
package zoo
