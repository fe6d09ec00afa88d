//go:build linux

package kernels

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// coldLayers are single layers of ResNet101/152 (conv4, conv5) and of
// earlier stages whose weights, in a network, come from memory.
var coldLayers = []struct {
	name                 string
	hw, cin, k, pad, out int
}{
	{"14x14x1024-1x1-256", 14, 1024, 1, 0, 256},
	{"14x14x256-1x1-1024", 14, 256, 1, 0, 1024},
	{"7x7x2048-1x1-512", 7, 2048, 1, 0, 512},
	{"7x7x512-3x3-512", 7, 512, 3, 1, 512},
	{"28x28x512-1x1-128", 28, 512, 1, 0, 128},
	{"56x56x256-1x1-64", 56, 256, 1, 0, 64},
}

func threadClock() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}

// BenchmarkConvColdWeights times Conv2DPacked on one layer, one thread, by
// the thread clock, min of 30 runs: cold (a 256 MB sweep before each run,
// then the input read again, as in a network where the weights come from
// memory and the input was just written) and hot (back to back). Run with
// -benchtime=1x; the metrics are the minima in ms, per prefetch mode.
// Knobs (environment): KEEL_RUNS (runs), KEEL_KC (convKCTune),
// KEEL_PREFETCH_MODES (comma-separated, interleaved run by run: 0 without
// the pointwise weight prefetch, 1 with it; default 1), KEEL_COLD_TOUCH
// ("y", "w": also read the output or the packed weights after the sweep).
func BenchmarkConvColdWeights(b *testing.B) {
	prev := SetThreads(1)
	defer SetThreads(prev)
	runs := 30
	if n, err := strconv.Atoi(os.Getenv("KEEL_RUNS")); err == nil {
		runs = n
	}
	if kc, err := strconv.Atoi(os.Getenv("KEEL_KC")); err == nil {
		defer func(v int) { convKCTune = v }(convKCTune)
		convKCTune = kc
	}
	sweep := make([]float32, 64<<20)
	r := rand.New(rand.NewPCG(1, 1))
	for _, l := range coldLayers {
		p := ConvParams{N: 1, H: l.hw, W: l.hw, C: l.cin, KH: l.k, KW: l.k, OutC: l.out,
			PadTop: l.pad, PadBottom: l.pad, PadLeft: l.pad, PadRight: l.pad}
		x := randSlice(r, p.N*p.H*p.W*p.C)
		w := randSlice(r, p.KH*p.KW*p.C*p.OutC)
		bias := randSlice(r, p.OutC)
		y := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC)
		pw := PackConvWeights(p, w)
		b.Run(l.name, func(b *testing.B) {
			runtime.LockOSThread() // the thread clock measures this goroutine's thread
			defer runtime.UnlockOSThread()
			for b.Loop() {
				var sink float32
				modes := coldBenchModes()
				cold := make([]time.Duration, len(modes))
				hot := make([]time.Duration, len(modes))
				for i := range cold {
					cold[i], hot[i] = 1<<62, 1<<62
				}
				defer func(on bool) { convPrefetch = on }(convPrefetch)
				for i := 0; i < runs; i++ {
					for mi, m := range modes {
						convPrefetch = m != 0
						for j := 0; j < len(sweep); j += 16 {
							sink += sweep[j]
						}
						for j := 0; j < len(x); j += 16 {
							sink += x[j]
						}
						if touch := os.Getenv("KEEL_COLD_TOUCH"); touch != "" {
							if strings.Contains(touch, "y") {
								for j := 0; j < len(y); j += 16 {
									sink += y[j]
								}
							}
							if strings.Contains(touch, "w") {
								for j := 0; j < len(pw.panels); j += 16 {
									sink += pw.panels[j]
								}
							}
						}
						t0 := threadClock()
						Conv2DPacked(p, x, pw, bias, ActReLU, y)
						cold[mi] = min(cold[mi], threadClock()-t0)
						t0 = threadClock()
						Conv2DPacked(p, x, pw, bias, ActReLU, y)
						hot[mi] = min(hot[mi], threadClock()-t0)
					}
				}
				sweep[0] = sink
				for mi, m := range modes {
					b.ReportMetric(float64(cold[mi])/1e6, fmt.Sprintf("cold%d-ms", m))
					b.ReportMetric(float64(hot[mi])/1e6, fmt.Sprintf("hot%d-ms", m))
				}
			}
		})
	}
}

// coldBenchModes are the prefetch modes to compare, interleaved run by run
// (KEEL_PREFETCH_MODES, comma-separated; default 1, the prefetch on).
func coldBenchModes() []int {
	env := os.Getenv("KEEL_PREFETCH_MODES")
	if env == "" {
		return []int{1}
	}
	var ms []int
	for _, f := range strings.Split(env, ",") {
		m, err := strconv.Atoi(f)
		if err != nil {
			panic(err)
		}
		ms = append(ms, m)
	}
	return ms
}
