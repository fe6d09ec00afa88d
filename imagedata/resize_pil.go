package imagedata

import (
	"image"
	"math"
	"sync"
)

// PIL's Resample.c keeps 8-bit coefficients in fixed point with this many
// fractional bits (32 - 8 bits of pixel - 2 bits of headroom).
const precisionBits = 32 - 8 - 2

// filter is one of PIL's separable resampling kernels with its support (the
// radius at scale 1).
type filter struct {
	support float64
	fn      func(x float64) float64
}

var filters = map[Interpolation]filter{
	Box: {0.5, func(x float64) float64 {
		if x > -0.5 && x <= 0.5 {
			return 1
		}
		return 0
	}},
	Bilinear: {1, func(x float64) float64 {
		x = math.Abs(x)
		if x < 1 {
			return 1 - x
		}
		return 0
	}},
	Hamming: {1, func(x float64) float64 {
		x = math.Abs(x)
		if x == 0 {
			return 1
		}
		if x >= 1 {
			return 0
		}
		x *= math.Pi
		return math.Sin(x) / x * (0.54 + float64(0.46*math.Cos(x)))
	}},
	// The float64() conversions keep every product rounded on its own, as
	// PIL's C computes it, on machines where Go would otherwise fuse a
	// multiply and an add.
	Bicubic: {2, func(x float64) float64 {
		const a = -0.5
		x = math.Abs(x)
		if x < 1 {
			return float64(float64(float64((a+2)*x)-(a+3))*x*x) + 1
		}
		if x < 2 {
			return float64(float64(float64(float64(float64(x-5)*x)+8)*x)-4) * a
		}
		return 0
	}},
	Lanczos: {3, func(x float64) float64 {
		if x >= -3 && x < 3 {
			return sinc(x) * sinc(x/3)
		}
		return 0
	}},
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x *= math.Pi
	return math.Sin(x) / x
}

// coeffs is one axis's resampling table: for output i, taps start at
// bounds[2i] and number bounds[2i+1], with fixed-point weights k[i*ksize:].
type coeffs struct {
	bounds []int
	k      []int32
	ksize  int
}

type coeffKey struct {
	axis   span
	out    int
	interp Interpolation
}

// span is the source range [lo, hi) of one axis of length size: the whole
// axis, or one side of a crop box.
type span struct{ size, lo, hi int }

// Tables depend only on the sizes and the filter, and a folder of photos has
// few distinct sizes: compute each once.
var coeffCache sync.Map // coeffKey -> *coeffs

// precompute mirrors PIL's precompute_coeffs and normalize_coeffs_8bpc: the
// filter is stretched by the shrink factor (antialiasing), weights are
// normalised in float64, then rounded half away from zero to fixed point.
func precompute(axis span, out int, interp Interpolation) *coeffs {
	key := coeffKey{axis, out, interp}
	if c, ok := coeffCache.Load(key); ok {
		return c.(*coeffs)
	}
	f := filters[interp]
	in := axis.size
	scale := float64(axis.hi-axis.lo) / float64(out)
	filterscale := max(scale, 1)
	support := f.support * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c := &coeffs{bounds: make([]int, 2*out), k: make([]int32, out*ksize), ksize: ksize}
	w := make([]float64, ksize)
	for xx := 0; xx < out; xx++ {
		center := float64(axis.lo) + float64(float64(float64(xx)+0.5)*scale)
		ss := 1 / filterscale
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), in) - xmin
		total := 0.0
		for x := 0; x < xmax; x++ {
			w[x] = f.fn(float64(float64(x+xmin)-center+0.5) * ss)
			total += w[x]
		}
		for x := 0; x < xmax; x++ {
			if total != 0 {
				w[x] /= total
			}
			v := w[x] * (1 << precisionBits)
			if v < 0 {
				c.k[xx*ksize+x] = int32(v - 0.5)
			} else {
				c.k[xx*ksize+x] = int32(v + 0.5)
			}
		}
		c.bounds[2*xx], c.bounds[2*xx+1] = xmin, xmax
	}
	actual, _ := coeffCache.LoadOrStore(key, c)
	return actual.(*coeffs)
}

func clip8(v int) uint8 {
	if v >= 1<<precisionBits<<8 {
		return 255
	}
	if v <= 0 {
		return 0
	}
	return uint8(v >> precisionBits)
}

// ResizePIL resizes as PIL's Image.resize does for an RGB image, which is what
// Keras' load_img and flow_from_directory call.
func ResizePIL(src *Image, w, h int, interp Interpolation) *Image {
	var r resizer
	return r.resizePIL(src, src.bounds(), w, h, interp, nil)
}

// ResizePILBox resizes the region box of src (which must lie inside it) as
// PIL's Image.resize(size, resample, box) does.
func ResizePILBox(src *Image, box image.Rectangle, w, h int, interp Interpolation) *Image {
	var r resizer
	return r.resizePIL(src, box, w, h, interp, nil)
}

// resizer holds the intermediate image of the two-pass resize, so a worker
// allocates it once.
type resizer struct {
	tmp *Image
}

func (r *resizer) resizePIL(src *Image, box image.Rectangle, w, h int, interp Interpolation, dst *Image) *Image {
	dst = reuse(dst, w, h)
	if src.W == w && src.H == h && box == src.bounds() {
		copy(dst.Pix, src.Pix)
		return dst
	}
	sx, sy := spans(src, box)
	if interp == Nearest {
		resizeNearest(src, sx, sy, dst)
		return dst
	}
	cx := precompute(sx, w, interp)
	cy := precompute(sy, h, interp)
	// PIL resamples horizontally first, and only the source rows the vertical
	// pass will read; a pass is skipped only when its axis is kept whole.
	first := cy.bounds[0]
	last := cy.bounds[2*h-2] + cy.bounds[2*h-1]
	in, rowOffset := src, 0
	if w != src.W || box.Min.X != 0 || box.Max.X != w {
		r.tmp = reuse(r.tmp, w, last-first)
		resampleH(r.tmp, src, first, cx)
		in, rowOffset = r.tmp, first
	}
	if h != src.H || box.Min.Y != 0 || box.Max.Y != h {
		resampleV(dst, in, rowOffset, cy)
	} else {
		copy(dst.Pix, in.Pix) // the box spans every row
	}
	return dst
}

func resampleH(dst, src *Image, firstRow int, c *coeffs) {
	for y := 0; y < dst.H; y++ {
		in := src.Pix[3*(y+firstRow)*src.W : 3*(y+firstRow+1)*src.W]
		out := dst.Pix[3*y*dst.W : 3*(y+1)*dst.W]
		for x := 0; x < dst.W; x++ {
			xmin, n := c.bounds[2*x], c.bounds[2*x+1]
			k := c.k[x*c.ksize : x*c.ksize+n]
			p := in[3*xmin : 3*(xmin+n)]
			s0, s1, s2 := 1<<(precisionBits-1), 1<<(precisionBits-1), 1<<(precisionBits-1)
			for i, kv := range k {
				kk := int(kv)
				s0 += int(p[3*i]) * kk
				s1 += int(p[3*i+1]) * kk
				s2 += int(p[3*i+2]) * kk
			}
			out[3*x], out[3*x+1], out[3*x+2] = clip8(s0), clip8(s1), clip8(s2)
		}
	}
}

// resampleV reads source row bounds-rowOffset, as PIL shifts the vertical
// bounds after a horizontal pass over a band of rows. It accumulates whole rows
// tap by tap (integer sums, so the order does not change the result) to read
// memory sequentially.
func resampleV(dst, src *Image, rowOffset int, c *coeffs) {
	stride := 3 * src.W
	acc := make([]int, stride)
	for y := 0; y < dst.H; y++ {
		ymin, n := c.bounds[2*y]-rowOffset, c.bounds[2*y+1]
		k := c.k[y*c.ksize : y*c.ksize+n]
		for x := range acc {
			acc[x] = 1 << (precisionBits - 1)
		}
		for t, kv := range k {
			kk := int(kv)
			row := src.Pix[(ymin+t)*stride : (ymin+t+1)*stride]
			row = row[:len(acc)]
			for x, p := range row {
				acc[x] += int(p) * kk
			}
		}
		out := dst.Pix[y*stride : (y+1)*stride]
		out = out[:len(acc)]
		for x, v := range acc {
			out[x] = clip8(v)
		}
	}
}

// resizeNearest mirrors PIL's ImagingScaleAffine: the source coordinate starts
// at half a step past the box's edge and accumulates the step in float64,
// truncating to a pixel.
func resizeNearest(src *Image, sx, sy span, dst *Image) {
	xs := nearestTable(sx, dst.W)
	ys := nearestTable(sy, dst.H)
	for y, sy := range ys {
		in := src.Pix[3*sy*src.W : 3*(sy+1)*src.W]
		out := dst.Pix[3*y*dst.W : 3*(y+1)*dst.W]
		for x, sx := range xs {
			out[3*x], out[3*x+1], out[3*x+2] = in[3*sx], in[3*sx+1], in[3*sx+2]
		}
	}
}

func nearestTable(axis span, out int) []int {
	step := float64(axis.hi-axis.lo) / float64(out)
	t := make([]int, out)
	pos := float64(axis.lo) + step*0.5
	for i := range t {
		t[i] = max(0, min(int(pos), axis.size-1))
		pos += step
	}
	return t
}
