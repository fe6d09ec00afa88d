package nn

import (
	"fmt"
	"slices"
)

// Permute is Keras' Permute: the per-sample axes reordered, dims counting
// them from 1 (Permute((2, 1, 3)) swaps an image's rows and columns).
type Permute struct {
	base
	gather
	dims []int
}

// NewPermute returns a Permute; dims is a permutation of 1..rank.
func NewPermute(dims []int, opts ...Option) *Permute {
	s, err := collect("Permute", opts)
	sorted := slices.Sorted(slices.Values(dims))
	for i, d := range sorted {
		if err == nil && d != i+1 {
			err = fmt.Errorf("nn: Permute: dims %v is not a permutation of 1..%d", dims, len(dims))
		}
	}
	l := &Permute{dims: slices.Clone(dims)}
	l.init(l, "Permute", s, err)
	return l
}

// Config is Keras' Permute config.
func (l *Permute) Config() map[string]any {
	return l.withBase(map[string]any{"dims": slices.Clone(l.dims)})
}

func (l *Permute) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if len(in[0]) != len(l.dims) {
		return nil, fmt.Errorf("dims %v do not permute inputs of rank %d", l.dims, len(in[0]))
	}
	out := make([]int, len(l.dims))
	for i, d := range l.dims {
		out[i] = in[0][d-1]
	}
	at := make([]int, len(l.dims))
	l.src, l.chans, l.inPos = make([]int, 0, numElements(out)), 1, numElements(in[0])
	forGrid(out, func(idx []int) {
		for i, d := range l.dims {
			at[d-1] = idx[i]
		}
		l.src = append(l.src, flatIndex(at, in[0]))
	})
	return out, nil
}

// RepeatVector is Keras' RepeatVector: (features) in, (n, features) out.
type RepeatVector struct {
	base
	gather
	n int
}

// NewRepeatVector returns a RepeatVector repeating its input n times.
func NewRepeatVector(n int, opts ...Option) *RepeatVector {
	s, err := collect("RepeatVector", opts)
	if err == nil && n < 1 {
		err = fmt.Errorf("nn: RepeatVector: n %d must be positive", n)
	}
	l := &RepeatVector{n: n}
	l.init(l, "RepeatVector", s, err)
	return l
}

// Config is Keras' RepeatVector config.
func (l *RepeatVector) Config() map[string]any { return l.withBase(map[string]any{"n": l.n}) }

func (l *RepeatVector) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if len(in[0]) != 1 {
		return nil, fmt.Errorf("needs (features) inputs, got %v", in[0])
	}
	l.src, l.chans, l.inPos = make([]int, l.n), in[0][0], 1
	return []int{l.n, in[0][0]}, nil
}

func init() {
	registerConfig("Permute", func(r *reader, o []Option) Layer {
		d, err := r.c.ints("dims")
		r.keep(err)
		return NewPermute(d, o...)
	})
	registerConfig("RepeatVector", func(r *reader, o []Option) Layer { return NewRepeatVector(r.int("n", 0), o...) })
}
