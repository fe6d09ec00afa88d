package imagedata

import (
	"fmt"
	"math"
	"slices"
)

// FillMode is how points outside the input are filled (scipy.ndimage's modes,
// as ImageDataGenerator passes them through).
type FillMode int

const (
	FillNearest  FillMode = iota // aaaa|abcd|dddd (Keras' default)
	FillConstant                 // cval outside the input
	FillReflect                  // scipy 'reflect': dcba|abcd|dcba
	FillWrap                     // scipy 'wrap', whose period is size-1, not size
)

var fillModeNames = [...]string{"nearest", "constant", "reflect", "wrap"}

func (m FillMode) String() string {
	if m >= 0 && int(m) < len(fillModeNames) {
		return fillModeNames[m]
	}
	return fmt.Sprintf("FillMode(%d)", int(m))
}

// ParseFillMode accepts Keras' fill_mode names.
func ParseFillMode(s string) (FillMode, error) {
	for i, n := range fillModeNames {
		if n == s {
			return FillMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown fill mode %q (want one of %v)", s, fillModeNames)
}

// Augment is ImageDataGenerator's random augmentation and standardisation,
// field for field. The zero value changes nothing. Not carried over:
// interpolation_order other than 1 (Keras' default), and the featurewise
// options and ZCA whitening (they need ImageDataGenerator.fit over the data).
type Augment struct {
	RotationRange    float64 // degrees: theta ~ U(-r, r)
	WidthShiftRange  float64 // < 1: fraction of the width, else pixels
	HeightShiftRange float64 // < 1: fraction of the height, else pixels
	// WidthShiftChoices and HeightShiftChoices are Keras' list form of the
	// shift ranges (ShiftChoices(n) its integer form): one value drawn with
	// np.random.choice, times a random sign; fractions of the size when all
	// are below 1. They take precedence over the float ranges.
	WidthShiftChoices  []float64
	HeightShiftChoices []float64
	ShearRange         float64 // degrees, counter-clockwise
	// ZoomRange is [lower, upper]; zx and zy are drawn independently. {0, 0}
	// and {1, 1} mean no zoom. Keras' float form z is ZoomRange{1-z, 1+z}.
	ZoomRange      [2]float64
	HorizontalFlip bool
	VerticalFlip   bool
	// BrightnessRange is [lower, upper] of PIL's ImageEnhance.Brightness
	// factor; {0, 0} means none.
	BrightnessRange   [2]float64
	ChannelShiftRange float64
	FillMode          FillMode
	Cval              float64
	// Preprocess is Keras' preprocessing_function: run on each image after the
	// augmentation and before Rescale. x is HWC RGB float32.
	Preprocess func(x []float32, h, w int)
	Rescale    float64 // multiply by this after Preprocess; 0 means none
	// SamplewiseCenter subtracts each image's mean after Rescale;
	// SamplewiseStdNormalization then divides by its standard deviation
	// (+1e-6), and implies SamplewiseCenter, as in Keras.
	SamplewiseCenter           bool
	SamplewiseStdNormalization bool
}

// Transform is one draw of random parameters: get_random_transform's dict.
type Transform struct {
	Theta, Tx, Ty, Shear, Zx, Zy float64 // Tx shifts rows, Ty columns, as in Keras
	FlipHorizontal, FlipVertical bool
	ChannelShift                 float64 // intensity, used when HasChannelShift
	HasChannelShift              bool
	Brightness                   float64 // factor, used when HasBrightness
	HasBrightness                bool
}

func (a *Augment) zoom() [2]float64 {
	if a.ZoomRange == [2]float64{} {
		return [2]float64{1, 1}
	}
	return a.ZoomRange
}

// RandomTransform draws parameters for an h x w image exactly as Keras'
// get_random_transform draws them from numpy's global state: the same
// sequence of uniform and random_sample calls, including the flip draws that
// happen even when flips are off.
func (a *Augment) RandomTransform(r *Rand, h, w int) Transform {
	t := Transform{Zx: 1, Zy: 1}
	if a.RotationRange != 0 {
		t.Theta = r.Uniform(-a.RotationRange, a.RotationRange)
	}
	t.Tx = shift(r, a.HeightShiftRange, a.HeightShiftChoices, h)
	t.Ty = shift(r, a.WidthShiftRange, a.WidthShiftChoices, w)
	if a.ShearRange != 0 {
		t.Shear = r.Uniform(-a.ShearRange, a.ShearRange)
	}
	if z := a.zoom(); z != [2]float64{1, 1} {
		t.Zx = r.Uniform(z[0], z[1])
		t.Zy = r.Uniform(z[0], z[1])
	}
	t.FlipHorizontal = r.Float64() < 0.5 && a.HorizontalFlip
	t.FlipVertical = r.Float64() < 0.5 && a.VerticalFlip
	if a.ChannelShiftRange != 0 {
		t.ChannelShift = r.Uniform(-a.ChannelShiftRange, a.ChannelShiftRange)
		t.HasChannelShift = true
	}
	if a.BrightnessRange != [2]float64{} {
		t.Brightness = r.Uniform(a.BrightnessRange[0], a.BrightnessRange[1])
		t.HasBrightness = true
	}
	return t
}

// shift draws one of get_random_transform's tx or ty.
func shift(r *Rand, span float64, choices []float64, size int) float64 {
	var v, largest float64
	switch {
	case len(choices) > 0: // np.random.choice(range) * np.random.choice([-1, 1])
		v = choices[r.interval(uint32(len(choices)-1))]
		v *= [2]float64{-1, 1}[r.interval(1)]
		largest = slices.Max(choices)
	case span != 0:
		v, largest = r.Uniform(-span, span), span
	default:
		return 0
	}
	if largest < 1 {
		v *= float64(size)
	}
	return v
}

// ShiftChoices is Keras' integer form of a shift range, n: np.random.choice(n)
// draws from 0, 1, ..., n-1.
func ShiftChoices(n int) []float64 {
	c := make([]float64, n)
	for i := range c {
		c[i] = float64(i)
	}
	return c
}

// Matrix is apply_affine_transform's 3x3 matrix (rotation, then shift, shear
// and zoom, composed about Keras' centre h/2+0.5, w/2+0.5), mapping output
// (row, col, 1) to input coordinates. ok is false when the transform is the
// identity, in which case Keras skips the resampling altogether.
func (t Transform) Matrix(h, w int) (m [3][3]float64, ok bool) {
	m = identity3()
	if t.Theta != 0 {
		th := t.Theta * math.Pi / 180
		c, s := math.Cos(th), math.Sin(th)
		m, ok = [3][3]float64{{c, -s, 0}, {s, c, 0}, {0, 0, 1}}, true
	}
	if t.Tx != 0 || t.Ty != 0 {
		m, ok = mul3(m, [3][3]float64{{1, 0, t.Tx}, {0, 1, t.Ty}, {0, 0, 1}}), true
	}
	if t.Shear != 0 {
		sh := t.Shear * math.Pi / 180
		m, ok = mul3(m, [3][3]float64{{1, -math.Sin(sh), 0}, {0, math.Cos(sh), 0}, {0, 0, 1}}), true
	}
	if t.Zx != 1 || t.Zy != 1 {
		m, ok = mul3(m, [3][3]float64{{t.Zx, 0, 0}, {0, t.Zy, 0}, {0, 0, 1}}), true
	}
	if !ok {
		return m, false
	}
	ox, oy := float64(h)/2+0.5, float64(w)/2+0.5
	offset := [3][3]float64{{1, 0, ox}, {0, 1, oy}, {0, 0, 1}}
	reset := [3][3]float64{{1, 0, -ox}, {0, 1, -oy}, {0, 0, 1}}
	return mul3(mul3(offset, m), reset), true
}

func identity3() [3][3]float64 { return [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}} }

// mul3 is np.dot for 3x3 matrices (sums in index order).
func mul3(a, b [3][3]float64) (c [3][3]float64) {
	for i := range 3 {
		for j := range 3 {
			s := 0.0
			for k := range 3 {
				s += float64(a[i][k] * b[k][j])
			}
			c[i][j] = s
		}
	}
	return c
}

// Apply is apply_transform followed by standardize: the affine resampling,
// channel shift, horizontal then vertical flip, brightness, then Preprocess and
// Rescale. x is an h x w HWC RGB image; the result is written to dst (which may
// not alias x; allocated when too small) and returned.
func (a *Augment) Apply(x []float32, h, w int, t Transform, dst []float32) []float32 {
	n := 3 * h * w
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	if m, ok := t.Matrix(h, w); ok {
		affine(dst, x, h, w, m, a.FillMode, a.Cval)
	} else {
		copy(dst, x[:n])
	}
	if t.HasChannelShift {
		channelShift(dst, t.ChannelShift)
	}
	if t.FlipHorizontal {
		flipColumns(dst, h, w)
	}
	if t.FlipVertical {
		flipRows(dst, h, w)
	}
	if t.HasBrightness {
		brightness(dst, t.Brightness)
	}
	a.Standardize(dst, h, w)
	return dst
}

// Standardize is ImageDataGenerator.standardize for the options Augment has:
// Preprocess, Rescale, then the samplewise centring and normalisation.
func (a *Augment) Standardize(x []float32, h, w int) {
	if a.Preprocess != nil {
		a.Preprocess(x, h, w)
	}
	if a.Rescale != 0 {
		s := float32(a.Rescale)
		for i := range x {
			x[i] *= s
		}
	}
	if a.SamplewiseCenter || a.SamplewiseStdNormalization {
		samplewise(x, a.SamplewiseCenter, a.SamplewiseStdNormalization)
	}
}
