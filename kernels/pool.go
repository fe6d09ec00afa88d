package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The worker pool: Threads()-1 persistent goroutines plus the caller. Kernels
// split their work into tasks and call parallel; no goroutine is started per call.

var (
	threads  atomic.Int32
	poolMu   sync.Mutex
	poolWork = make(chan *job)
	poolSize int // workers started so far
)

func init() { threads.Store(int32(runtime.GOMAXPROCS(0))) }

// SetThreads sets how many threads the kernels use (n < 1 means GOMAXPROCS) and
// returns the previous setting.
func SetThreads(n int) int {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	return int(threads.Swap(int32(n)))
}

// Threads reports how many threads the kernels use.
func Threads() int { return int(threads.Load()) }

type job struct {
	next  atomic.Int64
	tasks int64
	fn    func(task int)
	wg    sync.WaitGroup
}

func (j *job) work() {
	for {
		t := j.next.Add(1) - 1
		if t >= j.tasks {
			return
		}
		j.fn(int(t))
	}
}

// parallel runs fn(0) ... fn(tasks-1) on up to Threads() threads and returns
// when all are done. Tasks are handed out dynamically, so uneven tasks balance.
func parallel(tasks int, fn func(task int)) {
	parallelN(tasks, Threads(), fn)
}

// parallelN is parallel with an explicit thread count.
func parallelN(tasks, nthreads int, fn func(task int)) {
	if tasks <= 0 {
		return
	}
	helpers := min(nthreads, tasks) - 1
	if helpers <= 0 {
		for t := 0; t < tasks; t++ {
			fn(t)
		}
		return
	}
	ensureWorkers(helpers)
	j := &job{tasks: int64(tasks), fn: fn}
	j.wg.Add(helpers)
	for i := 0; i < helpers; i++ {
		poolWork <- j
	}
	j.work()
	j.wg.Wait()
}

func ensureWorkers(n int) {
	poolMu.Lock()
	defer poolMu.Unlock()
	for ; poolSize < n; poolSize++ {
		go func() {
			for j := range poolWork {
				j.work()
				j.wg.Done()
			}
		}()
	}
}
