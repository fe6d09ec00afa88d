package bench

import (
	"slices"
	"time"
)

// Options control how long a measurement runs.
type Options struct {
	Samples   int           // timed samples (median reported); default 5
	MinSample time.Duration // each sample repeats the call at least this long; default 50ms
	Warmup    int           // untimed calls first; default 1
}

func (o Options) withDefaults() Options {
	if o.Samples <= 0 {
		o.Samples = 5
	}
	if o.MinSample <= 0 {
		o.MinSample = 50 * time.Millisecond
	}
	if o.Warmup <= 0 {
		o.Warmup = 1
	}
	return o
}

// Median times fn and returns the median seconds per call over the samples.
func Median(o Options, fn func()) float64 {
	o = o.withDefaults()
	for i := 0; i < o.Warmup; i++ {
		fn()
	}
	per := make([]float64, o.Samples)
	for s := range per {
		calls := 0
		start := time.Now()
		for {
			fn()
			calls++
			if el := time.Since(start); el >= o.MinSample {
				per[s] = el.Seconds() / float64(calls)
				break
			}
		}
	}
	slices.Sort(per)
	return per[len(per)/2]
}
