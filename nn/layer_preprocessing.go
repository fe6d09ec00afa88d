package nn

import (
	"fmt"
	"math"

	"github.com/keelml/keel/kernels"
)

// Rescaling is Keras' Rescaling: y = x * scale + offset, each a scalar or a
// list broadcast over the last axis (EfficientNet's per-channel 1/sqrt(std)),
// computed by kernels.Rescale (threaded).
type Rescaling struct {
	base
	scale, offset []float64 // one value, or one per channel
	scaleList     bool      // Config writes the scale as a list
	offsetList    bool
	channels      int
	s, o          []float32 // per channel, float32 as Keras casts them
}

// NewRescaling returns a Rescaling layer. scale and offset hold one value
// (a scalar) or one per channel; an empty offset is 0.
func NewRescaling(scale, offset []float64, opts ...Option) *Rescaling {
	s, err := collect("Rescaling", opts)
	if len(offset) == 0 {
		offset = []float64{0}
	}
	l := &Rescaling{scale: append([]float64(nil), scale...), offset: append([]float64(nil), offset...),
		scaleList: len(scale) != 1, offsetList: len(offset) != 1}
	if err == nil && len(scale) == 0 {
		err = fmt.Errorf("nn: Rescaling needs a scale")
	}
	l.init(l, "Rescaling", s, err)
	return l
}

// Config is Keras' Rescaling config: scale and offset as numbers or lists.
func (l *Rescaling) Config() map[string]any {
	val := func(v []float64, list bool) any {
		if list {
			return floatsAny(v)
		}
		return v[0]
	}
	return l.withBase(map[string]any{"scale": val(l.scale, l.scaleList), "offset": val(l.offset, l.offsetList)})
}

func floatsAny(v []float64) []any {
	out := make([]any, len(v))
	for i, f := range v {
		out[i] = f
	}
	return out
}

// perChannel broadcasts one value or a list of c values to c float32s.
func perChannel(v []float64, c int, what string) ([]float32, error) {
	if len(v) != 1 && len(v) != c {
		return nil, fmt.Errorf("%s has %d values for %d channels", what, len(v), c)
	}
	out := make([]float32, c)
	for i := range out {
		out[i] = float32(v[min(i, len(v)-1)])
	}
	return out, nil
}

func (l *Rescaling) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *Rescaling) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	c := 1
	if len(in[0]) > 0 {
		c = in[0][len(in[0])-1]
	}
	var err error
	if l.s, err = perChannel(l.scale, c, "scale"); err != nil {
		return nil, err
	}
	if l.o, err = perChannel(l.offset, c, "offset"); err != nil {
		return nil, err
	}
	l.channels = c
	return append([]int(nil), in[0]...), nil
}

// forward rounds the product before adding the offset (no fused
// multiply-add), as the references compute x * scale + offset.
func (l *Rescaling) forward(c *call) {
	kernels.Rescale(c.x[0].Data, l.s, l.o, c.y.Data)
	c.forwardKernel(0)
}

func (l *Rescaling) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	kernels.MulRows(c.dy.Data, l.s, c.dx[0].Data)
	c.backwardKernel(0)
}

// Normalization is Keras 3's Normalization over the last axis:
// y = (x - mean) / max(sqrt(variance), 1e-7). The statistics are constants
// of the config or, when the config has none (EfficientNet, whose file
// holds them), the non-trainable weights mean, variance and count (count is
// never used; Keras 3 files store it as an int64 scalar).
//
// TODO(kernels): plain Go (memory-bound, single-threaded).
type Normalization struct {
	base
	axis           []int
	mean, variance []float64 // from the config; nil: weights
	wMean, wVar    *Variable
	channels       int
	m, d           []float32 // per channel: the mean and the divisor, refreshed from the weights
	version        [2]uint64
}

// NewNormalization returns a Normalization layer over the last axis. mean and
// variance hold one value or one per channel, or are both nil for a layer
// whose statistics are weights (set or loaded later).
func NewNormalization(mean, variance []float64, opts ...Option) *Normalization {
	s, err := collect("Normalization", opts)
	l := &Normalization{axis: []int{-1}}
	if err == nil && (mean == nil) != (variance == nil) {
		err = fmt.Errorf("nn: Normalization needs both mean and variance, or neither")
	}
	if mean != nil {
		l.mean, l.variance = append([]float64{}, mean...), append([]float64{}, variance...)
	}
	l.init(l, "Normalization", s, err)
	return l
}

// Config is Keras 3's Normalization config.
func (l *Normalization) Config() map[string]any {
	var mean, variance any
	if l.mean != nil {
		mean, variance = floatsAny(l.mean), floatsAny(l.variance)
	}
	ax := make([]any, len(l.axis))
	for i, a := range l.axis {
		ax[i] = a
	}
	return l.withBase(map[string]any{"axis": ax, "invert": false, "mean": mean, "variance": variance})
}

func (l *Normalization) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (l *Normalization) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	rank := len(in[0]) + 1
	if len(l.axis) != 1 || (l.axis[0] != -1 && l.axis[0] != rank-1) {
		return nil, fmt.Errorf("axis %v: only the last axis is supported", l.axis)
	}
	c := in[0][len(in[0])-1]
	l.channels = c
	if l.mean == nil {
		if l.wMean == nil {
			l.wMean = l.addWeight("mean", []int{c}, false, constant(0))
			l.wVar = l.addWeight("variance", []int{c}, false, constant(1))
			l.addWeight("count", []int{}, false, constant(0))
		}
		return append([]int(nil), in[0]...), nil
	}
	m, err := perChannel(l.mean, c, "mean")
	if err != nil {
		return nil, err
	}
	v, err := perChannel(l.variance, c, "variance")
	if err != nil {
		return nil, err
	}
	l.m, l.d = m, divisors(v)
	return append([]int(nil), in[0]...), nil
}

// divisors is max(sqrt(variance), 1e-7) in float32.
func divisors(v []float32) []float32 {
	d := make([]float32, len(v))
	for i, x := range v {
		d[i] = max(float32(math.Sqrt(float64(x))), 1e-7)
	}
	return d
}

// stats returns the per-channel mean and divisor.
func (l *Normalization) stats() ([]float32, []float32) {
	if l.wMean != nil && (l.m == nil || l.version != [2]uint64{l.wMean.version, l.wVar.version}) {
		l.m = append([]float32(nil), l.wMean.data...)
		l.d = divisors(l.wVar.data)
		l.version = [2]uint64{l.wMean.version, l.wVar.version}
	}
	return l.m, l.d
}

func (l *Normalization) forward(c *call) {
	m, d := l.stats()
	x, y, ch := c.x[0].Data, c.y.Data, l.channels
	// pixel by pixel: an index modulo ch per value costs an integer division
	for o := 0; o+ch <= len(x); o += ch {
		xs, ys := x[o:o+ch], y[o:o+ch]
		for k, v := range xs {
			ys[k] = (v - m[k]) / d[k]
		}
	}
	c.forwardKernel(0)
}

func (l *Normalization) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	_, d := l.stats()
	dx, dy, ch := c.dx[0].Data, c.dy.Data, l.channels
	for o := 0; o+ch <= len(dy); o += ch {
		gs, ds := dy[o:o+ch], dx[o:o+ch]
		for k, g := range gs {
			ds[k] = g / d[k]
		}
	}
	c.backwardKernel(0)
}

// statGrads returns the gradients of sum(y * dy) with respect to the mean
// and the variance (Keras never trains them; the golden gradients check
// them).
func (l *Normalization) statGrads(x, dy []float32) (dmean, dvar []float32) {
	m, d := l.stats()
	ch := l.channels
	sm, sv := make([]float64, ch), make([]float64, ch)
	for i, g := range dy {
		k := i % ch
		sm[k] += float64(g)
		sv[k] += float64(g) * (float64(x[i]) - float64(m[k]))
	}
	dmean, dvar = make([]float32, ch), make([]float32, ch)
	for k := range sm {
		dk := float64(d[k])
		dmean[k] = float32(-sm[k] / dk)
		if d[k] > 1e-7 {
			// y = (x - m) / sqrt(v): dy/dv = -(x - m) / (2 v^1.5).
			dvar[k] = float32(-sv[k] / (2 * dk * dk * dk))
		}
	}
	return dmean, dvar
}

// rescalingFromConfig and normalizationFromConfig read the Keras configs.
func rescalingFromConfig(r *reader, o []Option) Layer {
	scale, err := numbers(r.c["scale"], []float64{1})
	r.keep(err)
	offset, err := numbers(r.c["offset"], []float64{0})
	r.keep(err)
	return NewRescaling(scale, offset, o...)
}

func normalizationFromConfig(r *reader, o []Option) Layer {
	if r.boolean("invert", false) {
		r.keep(fmt.Errorf("invert true is not supported"))
	}
	var mean, variance []float64
	if r.c.has("mean") || r.c.has("variance") {
		var err error
		mean, err = numbers(r.c["mean"], nil)
		r.keep(err)
		variance, err = numbers(r.c["variance"], nil)
		r.keep(err)
	}
	l := NewNormalization(mean, variance, o...)
	switch a := r.c["axis"].(type) {
	case float64:
		l.axis = []int{int(a)}
	case []any:
		ax, err := r.c.ints("axis")
		r.keep(err)
		l.axis = ax
	case nil:
		r.keep(fmt.Errorf("axis null (normalising every value by one statistic) is not supported"))
	}
	return l
}

// numbers reads a number or a (nested) list of numbers, flattened; def when
// absent.
func numbers(v any, def []float64) ([]float64, error) {
	switch v := v.(type) {
	case nil:
		return def, nil
	case float64:
		return []float64{v}, nil
	case []any:
		var out []float64
		for _, e := range v {
			sub, err := numbers(e, nil)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%v is not a number or a list of numbers", v)
}
