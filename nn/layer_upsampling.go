package nn

import (
	"fmt"
	"math"
	"slices"
)

// upSampling is what UpSampling1D/2D/3D share: each spatial dimension
// repeated by its factor (nearest), or for UpSampling2D optionally
// interpolated bilinearly.
type upSampling struct {
	base
	gather
	size     []int
	bilinear bool
	lerp     [2][]lerpTap // bilinear: per output row, per output column
	in       []int        // per-sample input shape (bilinear)
}

func newUpSampling(class string, l Layer, u *upSampling, size []int, opts []Option) {
	s, err := collect(class, opts)
	for _, f := range size {
		if err == nil && f < 1 {
			err = fmt.Errorf("nn: %s: size %v must be positive", class, size)
		}
	}
	u.size = size
	u.init(l, class, s, err)
}

func (u *upSampling) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	rank := len(u.size)
	if len(in[0]) != rank+1 {
		return nil, fmt.Errorf("needs inputs of %d spatial dimensions and channels, got %v", rank, in[0])
	}
	dims, out := in[0][:rank], make([]int, rank)
	for i, f := range u.size {
		out[i] = dims[i] * f
	}
	u.in = slices.Clone(in[0])
	if u.bilinear {
		u.lerp[0], u.lerp[1] = halfPixelTaps(dims[0], out[0]), halfPixelTaps(dims[1], out[1])
	} else {
		u.src = make([]int, 0, numElements(out))
		at := make([]int, rank)
		forGrid(out, func(idx []int) {
			for i, v := range idx {
				at[i] = v / u.size[i]
			}
			u.src = append(u.src, flatIndex(at, dims))
		})
		u.chans, u.inPos = in[0][rank], numElements(dims)
	}
	return append(out, in[0][rank]), nil
}

// lerpTap is one output coordinate of a bilinear resize: the two input
// coordinates around it and the weight of the upper one.
type lerpTap struct {
	lo, hi int
	w      float32
}

// halfPixelTaps gives TensorFlow's bilinear coordinates with
// half_pixel_centers (tf.image.resize, which tf.keras' UpSampling2D calls):
// output o samples input (o + 0.5) * in / out - 0.5, clamped to the edges.
func halfPixelTaps(in, out int) []lerpTap {
	taps := make([]lerpTap, out)
	scale := float32(in) / float32(out)
	for o := range taps {
		v := (float32(o)+0.5)*scale - 0.5
		f := float32(math.Floor(float64(v)))
		taps[o] = lerpTap{lo: max(int(f), 0), hi: min(int(math.Ceil(float64(v))), in-1), w: v - f}
	}
	return taps
}

func (u *upSampling) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (u *upSampling) forward(c *call) {
	if !u.bilinear {
		u.gather.forward(c)
		return
	}
	h, w, ch := u.in[0], u.in[1], u.in[2]
	rows, cols := u.lerp[0], u.lerp[1]
	for n := range c.x[0].Batch() {
		x, y := c.x[0].Data[n*h*w*ch:], c.y.Data[n*len(rows)*len(cols)*ch:]
		for oy, ty := range rows {
			top, bottom := x[ty.lo*w*ch:], x[ty.hi*w*ch:]
			for ox, tx := range cols {
				o := y[(oy*len(cols)+ox)*ch:]
				for k := range ch {
					// TensorFlow's order: top and bottom lerps, then between them.
					tl, tr := top[tx.lo*ch+k], top[tx.hi*ch+k]
					bl, br := bottom[tx.lo*ch+k], bottom[tx.hi*ch+k]
					t := tl + (tr-tl)*tx.w
					b := bl + (br-bl)*tx.w
					o[k] = t + (b-t)*ty.w
				}
			}
		}
	}
	c.forwardKernel(0)
}

func (u *upSampling) backward(c *call) {
	if !u.bilinear {
		u.gather.backward(c)
		return
	}
	if c.dx[0] == nil {
		return
	}
	h, w, ch := u.in[0], u.in[1], u.in[2]
	rows, cols := u.lerp[0], u.lerp[1]
	clear(c.dx[0].Data)
	for n := range c.dy.Batch() {
		dx, dy := c.dx[0].Data[n*h*w*ch:], c.dy.Data[n*len(rows)*len(cols)*ch:]
		for oy, ty := range rows {
			top, bottom := dx[ty.lo*w*ch:], dx[ty.hi*w*ch:]
			for ox, tx := range cols {
				g := dy[(oy*len(cols)+ox)*ch:]
				for k := range ch {
					gt, gb := g[k]*(1-ty.w), g[k]*ty.w
					top[tx.lo*ch+k] += gt * (1 - tx.w)
					top[tx.hi*ch+k] += gt * tx.w
					bottom[tx.lo*ch+k] += gb * (1 - tx.w)
					bottom[tx.hi*ch+k] += gb * tx.w
				}
			}
		}
	}
	c.backwardKernel(0)
}

// UpSampling1D is Keras' repetition of each step size times.
type UpSampling1D struct{ upSampling }

// NewUpSampling1D returns an UpSampling1D repeating steps size times.
func NewUpSampling1D(size int, opts ...Option) *UpSampling1D {
	l := &UpSampling1D{}
	newUpSampling("UpSampling1D", l, &l.upSampling, []int{size}, opts)
	return l
}

// Config is Keras' UpSampling1D config.
func (l *UpSampling1D) Config() map[string]any { return l.withBase(map[string]any{"size": l.size[0]}) }

// UpSampling2D is Keras' image upsampling: rows and columns repeated
// (interpolation "nearest") or interpolated ("bilinear").
type UpSampling2D struct{ upSampling }

// NewUpSampling2D returns an UpSampling2D by factors sh, sw; interpolation
// is "nearest" or "bilinear".
func NewUpSampling2D(sh, sw int, interpolation string, opts ...Option) *UpSampling2D {
	l := &UpSampling2D{}
	newUpSampling("UpSampling2D", l, &l.upSampling, []int{sh, sw}, opts)
	switch interpolation {
	case "bilinear":
		l.bilinear = true
	case "nearest":
	default:
		if l.err == nil {
			l.err = fmt.Errorf("nn: UpSampling2D: interpolation %q, want nearest or bilinear", interpolation)
		}
	}
	return l
}

// Config is Keras' UpSampling2D config.
func (l *UpSampling2D) Config() map[string]any {
	interp := "nearest"
	if l.bilinear {
		interp = "bilinear"
	}
	return l.withBase(map[string]any{"size": slices.Clone(l.size), "data_format": "channels_last", "interpolation": interp})
}

// UpSampling3D is Keras' volume upsampling: depth, rows and columns repeated.
type UpSampling3D struct{ upSampling }

// NewUpSampling3D returns an UpSampling3D by factors (depth, height, width).
func NewUpSampling3D(size [3]int, opts ...Option) *UpSampling3D {
	l := &UpSampling3D{}
	newUpSampling("UpSampling3D", l, &l.upSampling, slices.Clone(size[:]), opts)
	return l
}

// Config is Keras' UpSampling3D config.
func (l *UpSampling3D) Config() map[string]any {
	return l.withBase(map[string]any{"size": slices.Clone(l.size), "data_format": "channels_last"})
}

// perDim reads an int or rank ints (Keras' size, pool_size, kernel_size of
// an n-D layer); missing, every one is def.
func perDim(r *reader, key string, rank, def int) []int {
	out := slices.Repeat([]int{def}, rank)
	if !r.c.has(key) {
		return out
	}
	v, err := r.c.ints(key)
	switch {
	case err != nil:
		r.keep(err)
	case len(v) == 1:
		return slices.Repeat(v, rank)
	case len(v) == rank:
		return v
	default:
		r.keep(fmt.Errorf("%s: %v is not 1 or %d integers", key, v, rank))
	}
	return out
}

func init() {
	registerConfig("UpSampling1D", func(r *reader, o []Option) Layer {
		return NewUpSampling1D(r.single("size", 2), o...)
	})
	registerConfig("UpSampling2D", func(r *reader, o []Option) Layer {
		s := perDim(r, "size", 2, 2)
		return NewUpSampling2D(s[0], s[1], r.str("interpolation", "nearest"), o...)
	})
	registerConfig("UpSampling3D", func(r *reader, o []Option) Layer {
		s := perDim(r, "size", 3, 2)
		return NewUpSampling3D([3]int{s[0], s[1], s[2]}, o...)
	})
}
