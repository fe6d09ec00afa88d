package quant

import (
	"fmt"
	"math"

	"github.com/keelml/keel/nn"
)

// Calibration methods: how a tensor's range is chosen from the values it
// took on the calibration images.
const (
	// MinMax takes the smallest and largest value seen.
	MinMax = "minmax"
	// Percentile clips the range at a percentile of |x| (Options.Percentile,
	// 99.99 by default), so that rare outliers do not coarsen the scale.
	Percentile = "percentile"
)

const histBins = 2048

// stat is what calibration records of one tensor.
type stat struct {
	lo, hi, maxAbs float64
	hist           []uint64 // |x| in histBins bins over [0, maxAbs]
	seen           bool
	// sum and count give the mean of each channel (the last dimension),
	// which bias correction needs.
	sum   []float64
	count float64
}

func (s *stat) channelSums(x []float32, c int) {
	if s.sum == nil {
		s.sum = make([]float64, c)
	}
	for i, v := range x {
		s.sum[i%c] += float64(v)
	}
	s.count += float64(len(x) / c)
}

// mean is the per-channel mean, nil if nothing was seen.
func (s *stat) mean() []float64 {
	if s.count == 0 {
		return nil
	}
	m := make([]float64, len(s.sum))
	for i, v := range s.sum {
		m[i] = v / s.count
	}
	return m
}

func (s *stat) observe(x []float32) {
	lo, hi := s.lo, s.hi
	if !s.seen {
		lo, hi, s.seen = math.Inf(1), math.Inf(-1), true
	}
	for _, v := range x {
		f := float64(v)
		if f != f { // NaN: no range
			continue
		}
		lo, hi = min(lo, f), max(hi, f)
	}
	s.lo, s.hi = lo, hi
	s.maxAbs = max(math.Abs(lo), math.Abs(hi))
}

func (s *stat) histogram(x []float32) {
	if s.hist == nil {
		s.hist = make([]uint64, histBins)
	}
	if s.maxAbs == 0 || math.IsInf(s.maxAbs, 0) {
		return
	}
	k := histBins / s.maxAbs
	for _, v := range x {
		b := int(math.Abs(float64(v)) * k)
		if b >= histBins {
			b = histBins - 1
		}
		if b >= 0 {
			s.hist[b]++
		}
	}
}

// clip is the percentile p of |x|: the upper edge of the bin where the
// cumulative count reaches p percent.
func (s *stat) clip(p float64) float64 {
	var total uint64
	for _, c := range s.hist {
		total += c
	}
	if total == 0 {
		return s.maxAbs
	}
	want := uint64(math.Ceil(p / 100 * float64(total)))
	var cum uint64
	for i, c := range s.hist {
		cum += c
		if cum >= want {
			return float64(i+1) / histBins * s.maxAbs
		}
	}
	return s.maxAbs
}

func (s *stat) params(method string, p float64) qparams {
	if !s.seen || math.IsInf(s.lo, 0) || math.IsInf(s.hi, 0) {
		return quantParams(0, 1)
	}
	lo, hi := s.lo, s.hi
	if method == Percentile {
		c := s.clip(p)
		lo, hi = max(lo, -c), min(hi, c)
	}
	return quantParams(lo, hi)
}

// calibrate runs the flat float model over the calibration images one at a
// time and returns the quantization parameters of every float value.
func calibrate(g *fgraph, fm *nn.Model, names []string, x *nn.Tensor, o Options) ([]qparams, [][]float64, error) {
	stats := make([]stat, len(g.values))
	n := x.Batch()
	pass := func(fn func(v int, x []float32)) error {
		for i := 0; i < n; i++ {
			xi := x.Rows(i, i+1)
			outs, err := fm.RunLayers(names, xi)
			if err != nil {
				return fmt.Errorf("quant: calibration image %d: %w", i, err)
			}
			fn(g.input, xi.Data)
			for k, op := range g.ops {
				fn(op.out, outs[k].Data)
			}
		}
		return nil
	}
	o.logf("calibrating on %d images (%s)", n, o.Method)
	if err := pass(func(v int, x []float32) {
		stats[v].observe(x)
		sh := g.values[v].shape
		stats[v].channelSums(x, sh[len(sh)-1])
	}); err != nil {
		return nil, nil, err
	}
	if o.Method == Percentile {
		if err := pass(func(v int, x []float32) { stats[v].histogram(x) }); err != nil {
			return nil, nil, err
		}
	}
	ranges := make([]qparams, len(g.values))
	means := make([][]float64, len(g.values))
	for i := range stats {
		ranges[i] = stats[i].params(o.Method, o.Percentile)
		means[i] = stats[i].mean()
	}
	return ranges, means, nil
}
