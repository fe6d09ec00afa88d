package bench

import (
	"runtime"
	"sync"
	"time"

	"github.com/keelml/keel/kernels"
)

var (
	peakMu    sync.Mutex
	peakCache = map[int]float64{}
)

// PeakGFLOPS measures the machine's FMA peak with threads goroutines, each
// locked to its own OS thread running the kernels' FMA loop. It reports the best
// of several short runs (peak means what the cores can do when nothing else
// runs) and caches the answer per thread count for the process.
func PeakGFLOPS(threads int) float64 {
	peakMu.Lock()
	defer peakMu.Unlock()
	if g, ok := peakCache[threads]; ok {
		return g
	}
	const iters = 2_000_000 // ~4 ms of 12 FMA chains per call at 100 GFLOP/s
	best := 0.0
	for run := 0; run < 7; run++ {
		var wg sync.WaitGroup
		start := time.Now()
		flops := make([]float64, threads)
		for t := 0; t < threads; t++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				for i := 0; i < 5; i++ {
					flops[t] += kernels.PeakFlopsLoop(iters)
				}
			}()
		}
		wg.Wait()
		total := 0.0
		for _, f := range flops {
			total += f
		}
		best = max(best, total/time.Since(start).Seconds()/1e9)
	}
	peakCache[threads] = best
	return best
}
