// Package transfer runs the Keras transfer-learning workflow on Keel: a
// pretrained backbone from the zoo, frozen whole or up to a layer, a new
// head described by a short spec, training on a folder of labelled images,
// and the result saved as a Keras full-model file.
//
// When the backbone is frozen and no augmentation is asked for, its outputs
// are the same every epoch: Train computes them once and trains the head on
// them, so the epochs after the first cost only the head.
package transfer
