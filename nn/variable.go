package nn

import (
	"fmt"
	"slices"
)

// Variable is one weight array of a layer, with Keras' name ("kernel",
// "bias", "gamma", "moving_mean", ...) and Keras' shape (HWIO kernels).
type Variable struct {
	layer     string
	name      string
	shape     []int
	data      []float32
	grad      []float32
	trainable bool   // false for statistics such as moving_mean
	version   uint64 // bumped on every change, so derived caches (packed, folded) know when to refresh
}

func newVariable(layer, name string, shape []int, trainable bool) *Variable {
	return &Variable{layer: layer, name: name, shape: slices.Clone(shape), data: make([]float32, numElements(shape)), trainable: trainable}
}

// Name is the variable's name within its layer, e.g. "kernel".
func (v *Variable) Name() string { return v.name }

// Path is "<layer>/<name>", Keras' variable name without the ":0".
func (v *Variable) Path() string { return v.layer + "/" + v.name }

// Shape is the Keras shape.
func (v *Variable) Shape() []int { return slices.Clone(v.shape) }

// Trainable says whether an optimizer may change the variable (moving
// statistics never are, whatever the layer's setting).
func (v *Variable) Trainable() bool { return v.trainable }

// Value returns the live values. Change them only through Set, so that
// cached forms of the weights are refreshed.
func (v *Variable) Value() []float32 { return v.data }

// Grad returns the gradient of the last training step (nil before one ran,
// or when the variable was frozen).
func (v *Variable) Grad() []float32 { return v.grad }

// Set copies data into the variable after checking that shape is its shape.
func (v *Variable) Set(shape []int, data []float32) error {
	if !slices.Equal(shape, v.shape) {
		return fmt.Errorf("nn: %s: shape %v, want %v", v.Path(), shape, v.shape)
	}
	if len(data) != len(v.data) {
		return fmt.Errorf("nn: %s: %d values for shape %v", v.Path(), len(data), v.shape)
	}
	copy(v.data, data)
	v.changed()
	return nil
}

// changed records that the values were modified in place.
func (v *Variable) changed() { v.version++ }

func (v *Variable) ensureGrad() []float32 {
	if v.grad == nil {
		v.grad = make([]float32, len(v.data))
	}
	return v.grad
}
