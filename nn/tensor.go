package nn

import (
	"fmt"
	"slices"
)

// Tensor is a dense float32 array in row-major (C) order. Image batches are
// NHWC, (batch, height, width, channels), as in Keras' channels_last.
type Tensor struct {
	Shape []int
	Data  []float32
}

// NewTensor returns a zeroed tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	return &Tensor{Shape: slices.Clone(shape), Data: make([]float32, numElements(shape))}
}

// TensorOf wraps data (not copied) as a tensor of the given shape.
func TensorOf(data []float32, shape ...int) (*Tensor, error) {
	if n := numElements(shape); n != len(data) {
		return nil, fmt.Errorf("nn: %d values do not make a tensor of shape %v (%d values)", len(data), shape, n)
	}
	return &Tensor{Shape: slices.Clone(shape), Data: data}, nil
}

// Len is the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Batch is the size of the first dimension.
func (t *Tensor) Batch() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return t.Shape[0]
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
}

// Reshape returns a view of t with another shape of the same size; one
// dimension may be -1 and is then inferred.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	s, err := resolveShape(shape, len(t.Data))
	if err != nil {
		return nil, err
	}
	return &Tensor{Shape: s, Data: t.Data}, nil
}

// Rows returns a view of samples lo..hi-1 along the first dimension.
func (t *Tensor) Rows(lo, hi int) *Tensor {
	per := len(t.Data) / max(t.Batch(), 1)
	s := slices.Clone(t.Shape)
	s[0] = hi - lo
	return &Tensor{Shape: s, Data: t.Data[lo*per : hi*per]}
}

func (t *Tensor) String() string { return fmt.Sprintf("Tensor%v", t.Shape) }

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// resolveShape fills in a single -1 so that the shape holds n values.
func resolveShape(shape []int, n int) ([]int, error) {
	s := slices.Clone(shape)
	known, free := 1, -1
	for i, d := range s {
		switch {
		case d == -1 && free < 0:
			free = i
		case d < 0:
			return nil, fmt.Errorf("nn: bad shape %v", shape)
		default:
			known *= d
		}
	}
	if free >= 0 {
		if known == 0 || n%known != 0 {
			return nil, fmt.Errorf("nn: cannot reshape %d values to %v", n, shape)
		}
		s[free] = n / known
	} else if known != n {
		return nil, fmt.Errorf("nn: cannot reshape %d values to %v", n, shape)
	}
	return s, nil
}
