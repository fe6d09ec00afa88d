package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A task may itself run parallel work (the caller never waits for a worker
// to start, only for tasks already claimed), and callers on several
// goroutines share the workers: every task runs once and nothing hangs.
func TestParallelNestedAndConcurrent(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for rep := 0; rep < 200; rep++ {
					var inner atomic.Int64
					outer := make([]int32, 5)
					parallelN(5, 3, func(i int) {
						outer[i]++
						parallelN(7, 2, func(int) { inner.Add(1) })
					})
					for i, n := range outer {
						if n != 1 {
							t.Errorf("outer task %d ran %d times", i, n)
						}
					}
					if got := inner.Load(); got != 35 {
						t.Errorf("inner tasks ran %d times, want 35", got)
					}
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("parallel calls did not finish within a minute")
	}
}

// After the workers have parked (no job for longer than workerSpin), the
// next job still reaches them through the channel.
func TestParallelAfterWorkersPark(t *testing.T) {
	for rep := 0; rep < 3; rep++ {
		time.Sleep(3 * workerSpin)
		seen := make([]int32, 64)
		parallelN(64, 2, func(i int) { seen[i]++ })
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("task %d ran %d times", i, n)
			}
		}
	}
}
