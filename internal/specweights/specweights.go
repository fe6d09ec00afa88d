// Package specweights regenerates, bit for bit, the deterministic weights and
// pseudo-images of the golden test data (../shared/golden/WEIGHTS-SPEC.md):
// each variable is filled from a splitmix64 stream seeded with the FNV-1a hash
// of "<layer>/<var>", so tests need no weight files.
package specweights

import (
	"fmt"
	"math"

	"github.com/keelml/keel/internal/splitmix"
	"github.com/keelml/keel/nn"
)

// FNV1a64 is the 64-bit FNV-1a hash of s.
func FNV1a64(s string) uint64 { return splitmix.FNV1a64(s) }

// Stream is the spec's splitmix64 generator.
type Stream = splitmix.Stream

// NewStream starts the stream of seed string s.
func NewStream(s string) *Stream { return splitmix.FromString(s) }

// Variable returns the values of variable v ("kernel", "bias", "gamma", ...)
// of layer, with the given Keras shape. fanIn is the kernel's fan-in (kh*kw*cin
// for Conv2D, kh*kw for DepthwiseConv2D, cin*dm for a SeparableConv2D's
// pointwise kernel, in for Dense); other variables ignore
// it. Unknown variable names give false.
func Variable(layer, v string, shape []int, fanIn int) ([]float32, bool) {
	out := make([]float32, elements(shape))
	if !fill(out, layer, v, fanIn) {
		return nil, false
	}
	return out, true
}

// fill writes Variable's values into out, which has the variable's size.
func fill(out []float32, layer, v string, fanIn int) bool {
	var value func(u float64) float64
	switch v {
	case "kernel", "depthwise_kernel", "pointwise_kernel":
		scale := math.Sqrt(6 / float64(fanIn))
		value = func(u float64) float64 { return (2*u - 1) * scale }
	case "bias", "beta":
		value = func(u float64) float64 { return (2*u - 1) * 0.05 }
	case "gamma":
		value = func(u float64) float64 { return 0.75 + 0.5*u }
	case "moving_mean":
		value = func(u float64) float64 { return (2*u - 1) * 0.1 }
	case "moving_variance":
		value = func(u float64) float64 { return 0.5 + u }
	case "mean": // Keras 3 Normalization
		value = func(u float64) float64 { return 0.4 + 0.2*u }
	case "variance":
		value = func(u float64) float64 { return 0.04 + 0.04*u }
	case "count": // the draw is made and ignored
		value = func(float64) float64 { return 0 }
	default:
		return false
	}
	r := NewStream(layer + "/" + v)
	for i := range out {
		out[i] = float32(value(r.U()))
	}
	return true
}

// Apply gives every weight of m, nested models included, its value from the
// spec. Besides the golden tests, benchmarks use it: the spec's scales
// (He-like kernels, moving variances near 1) keep activations their size
// through a network, where a fresh Keras initialisation shrinks them layer by
// layer into denormal floats, which the CPU computes many times slower and no
// trained model produces.
func Apply(m *nn.Model) error {
	for _, l := range m.Layers() {
		if sub, ok := l.(*nn.Model); ok {
			if err := Apply(sub); err != nil {
				return err
			}
			continue
		}
		for _, v := range l.Weights() {
			// In place: a model's weights are its memory, and a copy of its
			// largest (VGG16's fc1: 400 MB) would stay as garbage.
			vals := v.Value()
			if !fill(vals, l.Name(), v.Name(), FanIn(v.Name(), v.Shape())) {
				return fmt.Errorf("no spec for weight %s", v.Path())
			}
			if err := v.Set(v.Shape(), vals); err != nil { // says the values changed
				return err
			}
		}
	}
	return nil
}

// FanIn is the fan-in the spec uses for a kernel variable of the given Keras
// shape: all dimensions but the last for Conv2D and Dense kernels
// (kh*kw*cin, in), and kh*kw for a depthwise kernel.
func FanIn(v string, shape []int) int {
	if len(shape) == 0 {
		return 1
	}
	if v == "depthwise_kernel" && len(shape) == 4 {
		return shape[0] * shape[1]
	}
	return elements(shape[:len(shape)-1])
}

// RawImages returns the pseudo-images of the given NHWC shape: the stream of
// seed "input", value float32(u*255), in C order.
func RawImages(shape []int) []float32 {
	r := NewStream("input")
	out := make([]float32, elements(shape))
	for i := range out {
		out[i] = float32(r.U() * 255.0)
	}
	return out
}

func elements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
