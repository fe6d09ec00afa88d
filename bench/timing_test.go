package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock advances only when a timed call says how long it took.
type fakeClock struct {
	now   time.Duration
	calls []time.Duration // what each call takes, in order
}

func (c *fakeClock) call() {
	c.now += c.calls[0]
	c.calls = c.calls[1:]
}

func TestTimeOnStatAndSamples(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name      string
		o         Options
		calls     []time.Duration
		wantSecs  float64
		wantCalls int
	}{
		// One call per sample: the samples are 3, 1 and 2 ms after a warmup
		// the figure ignores.
		{"median", Options{Samples: 3, MinSample: 1, Stat: Median}, []time.Duration{100 * ms, 3 * ms, 1 * ms, 2 * ms}, 0.002, 4},
		{"min", Options{Samples: 3, MinSample: 1, Stat: Min}, []time.Duration{100 * ms, 3 * ms, 1 * ms, 2 * ms}, 0.001, 4},
		// A sample repeats the call until MinSample has passed: 4 calls of
		// 3 ms make the 10 ms sample, 3 ms per call.
		{"repeats", Options{Samples: 1, MinSample: 10 * ms}, []time.Duration{ms, 3 * ms, 3 * ms, 3 * ms, 3 * ms}, 0.003, 5},
		// Two warmups.
		{"warmup", Options{Samples: 1, MinSample: 1, Warmup: 2}, []time.Duration{ms, ms, 5 * ms}, 0.005, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := &fakeClock{calls: c.calls}
			calls := 0
			got := timeOn(c.o.withDefaults(), func() { calls++; clk.call() }, func() time.Duration { return clk.now })
			require.InDelta(t, c.wantSecs, got, 1e-12)
			require.Equal(t, c.wantCalls, calls)
		})
	}
}

func TestPick(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	require.Equal(t, 3.0, pick(Median, xs))
	require.Equal(t, 1.0, pick(Min, xs))
	require.Equal(t, []float64{5, 1, 4, 2, 3}, xs, "the caller's samples stay in order")
}

func TestTimeOnTheRealClocks(t *testing.T) {
	busy := func() {
		start := time.Now()
		for time.Since(start) < 100*time.Microsecond {
		}
	}
	clocks := []Clock{Wall}
	if HasThreadClock() {
		clocks = append(clocks, Thread)
	}
	for _, c := range clocks {
		secs := Time(Options{Samples: 2, MinSample: time.Millisecond, Clock: c}, busy)
		require.Greater(t, secs, 50e-6, c)
		require.Less(t, secs, 0.1, c)
	}
}

func TestOptionsCheck(t *testing.T) {
	for _, c := range []struct {
		o       Options
		threads int
		err     string
	}{
		{Options{}, 2, ""},
		{Options{Stat: Min, Clock: Wall}, 0, ""},
		{Options{Stat: "mean"}, 1, `--stat: "mean" is neither median nor min`},
		{Options{Clock: "cpu"}, 1, `--clock: "cpu" is neither wall nor thread`},
		{Options{Clock: Thread}, 2, "--clock thread measures one thread: add --threads 1"},
	} {
		err := c.o.Check(c.threads)
		if c.err == "" {
			require.NoError(t, err, c.o)
		} else if HasThreadClock() || c.o.Clock != Thread {
			require.EqualError(t, err, c.err)
		}
	}
}
