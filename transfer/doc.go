// Package transfer runs the Keras transfer-learning workflow on Keel: a
// pretrained backbone from the zoo, frozen whole or up to a layer, a new
// head described by a short spec, training on a folder of labelled images,
// and the result saved as a Keras full-model file.
//
// The Keras guide's VGG16 example is, in one Config (or one `keel train`
// line, the flag of each field in brackets):
//
//	transfer.Config{
//		Model: "vgg16", Weights: "imagenet", InputSize: 300, // [--model --weights --input-size]
//		Head:            "flatten,dense:100:relu,dense:2:softmax:init=random_uniform", // [--head]
//		Optimizer:       transfer.Adam, Loss: "categorical_crossentropy", // [--optimizer --loss]
//		Data:            "cats_and_dogs/train", ValidationSplit: 0.15, BatchSize: 16, // [--data --validation-split --batch]
//		Augment:         &imagedata.Augment{RotationRange: 10, WidthShiftRange: 0.1, HeightShiftRange: 0.1,
//			ShearRange: 0.1, ZoomRange: [2]float64{0.8, 1.2}, HorizontalFlip: true}, // [--augment]
//		Test:            "cats_and_dogs/test", // [--test]
//	}
//
// preprocess_input is the model's own (zoo.PreprocessMode), applied to
// training, validation and test images alike. Optional parts: FineTuneFrom,
// FineTuneEpochs and FineTuneLR (the guide's second phase, the backbone
// unfrozen from a layer with BatchNormalization in inference mode),
// EarlyStopping, Checkpoint, ClassWeight "balanced", LabelSmoothing.
//
// What a report draws from: Result.History (per epoch loss, accuracy,
// val_loss, val_accuracy of both phases) with Result.FineTuneStart, and
// Result.Test, an Evaluation (classes, confusion matrix, per-class
// precision, recall, F1 and support, and the misclassified images with
// their path, true and predicted class and probability). Evaluate scores
// any saved model on a folder the same way; Score does it from
// predictions.
//
// When the backbone is frozen and no augmentation is asked for, its outputs
// are the same every epoch: Train computes them once and trains the head on
// them, so the epochs after the first cost only the head. TrainFeatures runs
// that same training on features computed before, elsewhere (keel-beam's
// feature folders, package featureset; `keel train --features`), and
// EvaluateFeatures scores the head on them.
package transfer
