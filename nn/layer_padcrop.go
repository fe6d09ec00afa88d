package nn

import (
	"fmt"
	"slices"
)

// padCrop is what ZeroPadding1D/3D and Cropping1D/3D share: per spatial
// dimension, a count before and after, added as zeros or removed.
type padCrop struct {
	base
	gather
	key   string   // Keras' config key: padding or cropping
	sides [][2]int // per spatial dimension: before, after
	crop  bool
}

func newPadCrop(class string, l Layer, p *padCrop, sides [][2]int, crop bool, opts []Option) {
	s, err := collect(class, opts)
	for _, sd := range sides {
		if err == nil && (sd[0] < 0 || sd[1] < 0) {
			err = fmt.Errorf("nn: %s: negative sizes %v", class, sides)
		}
	}
	p.sides, p.crop, p.key = sides, crop, "padding"
	if crop {
		p.key = "cropping"
	}
	p.init(l, class, s, err)
}

// Config is Keras' config: 1-D layers give (before, after), 3-D ones a
// pair per dimension.
func (p *padCrop) Config() map[string]any {
	if len(p.sides) == 1 {
		return p.withBase(map[string]any{p.key: []int{p.sides[0][0], p.sides[0][1]}})
	}
	v := make([][]int, len(p.sides))
	for i, sd := range p.sides {
		v[i] = []int{sd[0], sd[1]}
	}
	return p.withBase(map[string]any{p.key: v, "data_format": "channels_last"})
}

func (p *padCrop) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	rank := len(p.sides)
	if len(in[0]) != rank+1 {
		return nil, fmt.Errorf("needs inputs of %d spatial dimensions and channels, got %v", rank, in[0])
	}
	dims, out, shift := in[0][:rank], make([]int, rank), make([]int, rank)
	for i, sd := range p.sides {
		if p.crop {
			out[i], shift[i] = dims[i]-sd[0]-sd[1], sd[0]
		} else {
			out[i], shift[i] = dims[i]+sd[0]+sd[1], -sd[0]
		}
		if out[i] < 1 {
			return nil, fmt.Errorf("%s %v leaves nothing of an input of shape %v", p.key, p.sides, in[0])
		}
	}
	p.src, p.chans, p.inPos = shiftMap(out, dims, shift), in[0][rank], numElements(dims)
	return append(out, in[0][rank]), nil
}

// ZeroPadding1D is Keras' zero padding of steps.
type ZeroPadding1D struct{ padCrop }

// NewZeroPadding1D returns a ZeroPadding1D adding before and after zero steps.
func NewZeroPadding1D(before, after int, opts ...Option) *ZeroPadding1D {
	l := &ZeroPadding1D{}
	newPadCrop("ZeroPadding1D", l, &l.padCrop, [][2]int{{before, after}}, false, opts)
	return l
}

// Cropping1D is Keras' cropping of steps.
type Cropping1D struct{ padCrop }

// NewCropping1D returns a Cropping1D removing before and after steps.
func NewCropping1D(before, after int, opts ...Option) *Cropping1D {
	l := &Cropping1D{}
	newPadCrop("Cropping1D", l, &l.padCrop, [][2]int{{before, after}}, true, opts)
	return l
}

// ZeroPadding3D is Keras' zero padding of (depth, height, width) volumes.
type ZeroPadding3D struct{ padCrop }

// NewZeroPadding3D returns a ZeroPadding3D with (before, after) per
// dimension: depth, height, width.
func NewZeroPadding3D(pads [3][2]int, opts ...Option) *ZeroPadding3D {
	l := &ZeroPadding3D{}
	newPadCrop("ZeroPadding3D", l, &l.padCrop, slices.Clone(pads[:]), false, opts)
	return l
}

// Cropping3D is Keras' cropping of (depth, height, width) volumes.
type Cropping3D struct{ padCrop }

// NewCropping3D returns a Cropping3D with (before, after) per dimension.
func NewCropping3D(crops [3][2]int, opts ...Option) *Cropping3D {
	l := &Cropping3D{}
	newPadCrop("Cropping3D", l, &l.padCrop, slices.Clone(crops[:]), true, opts)
	return l
}

// sidesOf reads Keras' padding or cropping for rank spatial dimensions: an
// int (every side), rank ints (symmetric per dimension; for rank 1 the pair
// (before, after)) or rank pairs; missing, every side is def.
func sidesOf(r *reader, key string, rank, def int) [][2]int {
	out := make([][2]int, rank)
	fill := func(i, a, b int) { out[i] = [2]int{a, b} }
	switch v := r.c[key].(type) {
	case nil:
		for i := range out {
			fill(i, def, def)
		}
		return out
	case float64:
		for i := range out {
			fill(i, int(v), int(v))
		}
		return out
	case []any:
		if flat, err := r.c.ints(key); err == nil {
			switch {
			case rank == 1 && len(flat) == 2:
				fill(0, flat[0], flat[1])
				return out
			case len(flat) == rank:
				for i, n := range flat {
					fill(i, n, n)
				}
				return out
			}
		} else if len(v) == rank {
			ok := true
			for i, p := range v {
				pr, err := Config{"p": p}.ints("p")
				if err != nil || len(pr) != 2 {
					ok = false
					break
				}
				fill(i, pr[0], pr[1])
			}
			if ok {
				return out
			}
		}
	}
	r.keep(fmt.Errorf("%s %v not understood", key, r.c[key]))
	return out
}

func init() {
	registerConfig("ZeroPadding1D", func(r *reader, o []Option) Layer {
		s := sidesOf(r, "padding", 1, 1)
		return NewZeroPadding1D(s[0][0], s[0][1], o...)
	})
	registerConfig("Cropping1D", func(r *reader, o []Option) Layer {
		s := sidesOf(r, "cropping", 1, 1)
		return NewCropping1D(s[0][0], s[0][1], o...)
	})
	registerConfig("ZeroPadding3D", func(r *reader, o []Option) Layer {
		s := sidesOf(r, "padding", 3, 1)
		return NewZeroPadding3D([3][2]int{s[0], s[1], s[2]}, o...)
	})
	registerConfig("Cropping3D", func(r *reader, o []Option) Layer {
		s := sidesOf(r, "cropping", 3, 1)
		return NewCropping3D([3][2]int{s[0], s[1], s[2]}, o...)
	})
}
