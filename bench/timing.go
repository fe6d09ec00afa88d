package bench

import (
	"fmt"
	"runtime"
	"slices"
	"time"
)

// Stat is the sample a measurement reports.
type Stat string

const (
	Median Stat = "median" // the suites' rule
	Min    Stat = "min"    // the fastest sample: what other processes' interference on a shared machine disturbs least
)

// Clock is what samples are timed on.
type Clock string

const (
	Wall   Clock = "wall"   // elapsed time
	Thread Clock = "thread" // the OS thread's CPU time: leaves out the time other processes take the core
)

// Options control how a measurement runs.
type Options struct {
	Samples   int           // timed samples; default 5
	MinSample time.Duration // each sample repeats the call at least this long; default 50ms
	Warmup    int           // untimed calls first; default 1
	Stat      Stat          // default Median
	Clock     Clock         // default Wall; Thread times one thread, so run the kernels on one
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
	if o.Stat == "" {
		o.Stat = Median
	}
	if o.Clock == "" {
		o.Clock = Wall
	}
	return o
}

// Check says whether o is valid for threads kernel threads: the thread
// clock measures one thread, and exists on Linux only. Its messages name the
// flags of `keel bench`, which set these fields.
func (o Options) Check(threads int) error {
	o = o.withDefaults()
	if o.Stat != Median && o.Stat != Min {
		return fmt.Errorf("--stat: %q is neither median nor min", o.Stat)
	}
	switch o.Clock {
	case Wall:
	case Thread:
		if !HasThreadClock() {
			return fmt.Errorf("--clock thread: no thread CPU clock on this system")
		}
		if threads != 1 {
			return fmt.Errorf("--clock thread measures one thread: add --threads 1")
		}
	default:
		return fmt.Errorf("--clock: %q is neither wall nor thread", o.Clock)
	}
	return nil
}

// tag records in extra a stat and clock other than the defaults, so that
// figures taken by other rules are told apart.
func (o Options) tag(extra map[string]any) {
	if o.Stat == Min {
		extra["stat"] = string(Min)
	}
	if o.Clock == Thread {
		extra["clock"] = string(Thread)
	}
}

// Time times fn by o's rules and returns seconds per call. On the thread
// clock it locks the goroutine to its OS thread, so that the clock it reads
// is the one fn runs on.
func Time(o Options, fn func()) float64 {
	o = o.withDefaults()
	if o.Clock == Thread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	return timeOn(o, fn, clockNow(o.Clock))
}

// timeOn is Time on the clock now.
func timeOn(o Options, fn func(), now func() time.Duration) float64 {
	for i := 0; i < o.Warmup; i++ {
		fn()
	}
	per := make([]float64, o.Samples)
	for s := range per {
		calls := 0
		start := now()
		for {
			fn()
			calls++
			if el := now() - start; el >= o.MinSample {
				per[s] = el.Seconds() / float64(calls)
				break
			}
		}
	}
	return pick(o.Stat, per)
}

// pick returns the median of xs, or its minimum under Min.
func pick(s Stat, xs []float64) float64 {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	if s == Min {
		return xs[0]
	}
	return xs[len(xs)/2]
}

// clockNow reads c: elapsed time from a fixed start, or the calling
// thread's CPU time.
func clockNow(c Clock) func() time.Duration {
	if c == Thread {
		return func() time.Duration { d, _ := cpuTime(threadCPU); return d }
	}
	start := time.Now()
	return func() time.Duration { return time.Since(start) }
}

// HasThreadClock says whether the Thread clock can be read here.
func HasThreadClock() bool {
	_, ok := cpuTime(threadCPU)
	return ok
}
