package transfer

import (
	"fmt"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/nn"
)

// Optimizer names the optimizer of a run, Keras' compile(optimizer=...):
// "adam" (the default), "sgd" or "rmsprop".
type Optimizer string

// The optimizers Train knows.
const (
	Adam    Optimizer = "adam"
	SGD     Optimizer = "sgd"
	RMSprop Optimizer = "rmsprop"
)

// NewOptimizer returns a fresh optimizer of the kind named, at learning
// rate lr (0: Keras' default, 0.001 for Adam and RMSprop, 0.01 for SGD),
// with Keras' other defaults. momentum and nesterov are SGD's (Keras'
// defaults 0 and false); the others refuse them.
func NewOptimizer(name Optimizer, lr, momentum float64, nesterov bool) (nn.StatefulOptimizer, error) {
	o := nn.OptimizerOptions{LearningRate: lr}
	if name != SGD && name != "" && (momentum != 0 || nesterov) {
		return nil, fmt.Errorf("optimizer %s: momentum and nesterov are SGD's arguments", name)
	}
	switch name {
	case "", Adam:
		return nn.NewAdam(nn.AdamConfig{OptimizerOptions: o}), nil
	case SGD:
		if momentum < 0 || momentum > 1 {
			return nil, fmt.Errorf("optimizer sgd: momentum %g is not in [0, 1]", momentum)
		}
		return nn.NewSGD(nn.SGDConfig{OptimizerOptions: o, Momentum: momentum, Nesterov: nesterov}), nil
	case RMSprop:
		return nn.NewRMSprop(nn.RMSpropConfig{OptimizerOptions: o}), nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (adam, sgd, rmsprop)", name)
}

// NewLoss returns the Keras loss named: "categorical_crossentropy" (the
// default), "sparse_categorical_crossentropy" or "binary_crossentropy",
// with Keras' label_smoothing (which the sparse loss does not take).
func NewLoss(name string, labelSmoothing float64) (nn.Loss, error) {
	if labelSmoothing < 0 || labelSmoothing > 1 {
		return nil, fmt.Errorf("label smoothing %g is not in [0, 1]", labelSmoothing)
	}
	switch name {
	case "", "categorical_crossentropy":
		return nn.CategoricalCrossentropy{LabelSmoothing: labelSmoothing}, nil
	case "binary_crossentropy":
		return nn.BinaryCrossentropy{LabelSmoothing: labelSmoothing}, nil
	case "sparse_categorical_crossentropy":
		if labelSmoothing != 0 {
			return nil, fmt.Errorf("sparse_categorical_crossentropy takes no label smoothing (Keras' does not)")
		}
		return nn.SparseCategoricalCrossentropy{}, nil
	}
	return nil, fmt.Errorf("unknown loss %q (categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy)", name)
}

// labelMode is how the loader writes the labels the loss expects:
// class indices for the sparse loss and for a one-unit binary output,
// one-hot rows otherwise (flow_from_directory's class_mode).
func labelMode(loss nn.Loss, outputUnits, classes int) (imagedata.LabelMode, error) {
	switch loss.(type) {
	case nn.SparseCategoricalCrossentropy:
		return imagedata.Sparse, nil
	case nn.BinaryCrossentropy:
		if outputUnits == 1 {
			if classes != 2 {
				return 0, fmt.Errorf("a one-unit binary output needs 2 classes, the data has %d", classes)
			}
			return imagedata.Binary, nil
		}
	}
	if outputUnits != classes {
		return 0, fmt.Errorf("the head's last dense layer has %d units for %d classes", outputUnits, classes)
	}
	return imagedata.Categorical, nil
}

// BalancedClassWeights is sklearn's compute_class_weight("balanced"):
// n_samples / (n_classes * count) per class, for Keras' class_weight. A
// class without samples is left out (it weighs 1).
func BalancedClassWeights(labels []int, classes int) map[int]float64 {
	counts := make([]int, classes)
	for _, l := range labels {
		counts[l]++
	}
	w := map[int]float64{}
	for c, n := range counts {
		if n > 0 {
			w[c] = float64(len(labels)) / float64(classes*n)
		}
	}
	return w
}
