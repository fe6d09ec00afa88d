package nn

import (
	"sync"

	"github.com/keelml/keel/kernels"
)

// forRanges splits [0, n) into up to kernels.Threads() ranges of at least
// min items and runs fn on each, in parallel; small n run on the caller.
// TODO(kernels): LayerNormalization's work belongs in kernels (their worker
// pool; gelu is there now, kernels.GELU); plain goroutines until then.
func forRanges(n, min int, fn func(lo, hi int)) {
	t := kernels.Threads()
	if t <= 1 || n < 2*min {
		fn(0, n)
		return
	}
	parts := t
	if n/min < parts {
		parts = n / min
	}
	var wg sync.WaitGroup
	for i := 1; i < parts; i++ {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(i*n/parts, (i+1)*n/parts)
	}
	fn(0, n/parts)
	wg.Wait()
}
