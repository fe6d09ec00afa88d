package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: Threads()-1 persistent goroutines plus the caller. Kernels
// split their work into tasks and call parallel; no goroutine is started per
// call. Between jobs a worker polls for the next one for a while before it
// parks, so that the many short parallel calls of a forward pass at batch 1
// do not each pay for waking a thread.

var (
	threads  atomic.Int32
	poolMu   sync.Mutex
	poolWork = make(chan *job, 64) // offers to parked workers
	poolSize int                   // workers started so far
	offered  atomic.Pointer[job]   // the newest job, for spinning workers
	spinning atomic.Int32          // workers polling offered
)

// workerSpin is how long a worker polls for the next job before it parks.
// Waking a parked thread takes tens of microseconds (more in a VM), as long
// as a small layer's whole work at batch 1; the layers of a network follow
// each other within microseconds, so a polling worker joins each at once.
const workerSpin = 200 * time.Microsecond

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
	left  atomic.Int64 // tasks not finished
	tasks int64
	fn    func(task int)
	done  sync.WaitGroup // one count, released by whoever finishes the last task
}

func (j *job) work() {
	for {
		t := j.next.Add(1) - 1
		if t >= j.tasks {
			return
		}
		j.fn(int(t))
		if j.left.Add(-1) == 0 {
			j.done.Done()
		}
	}
}

// open says whether j is a job with tasks still to hand out.
func (j *job) open() bool { return j != nil && j.next.Load() < j.tasks }

// parallel runs fn(0) ... fn(tasks-1) on up to Threads() threads and returns
// when all are done. Tasks are handed out dynamically, so uneven tasks balance.
func parallel(tasks int, fn func(task int)) {
	parallelN(tasks, Threads(), fn)
}

// parallelN is parallel with an explicit thread count. The caller offers
// the job (to polling workers, and through the channel to parked ones),
// starts on the tasks at once, and then waits for the tasks, not for the
// workers: one that comes after the tasks are gone costs nothing.
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
	j.left.Store(int64(tasks))
	j.done.Add(1)
	offered.Store(j)
	for i := int(spinning.Load()); i < helpers; i++ {
		select {
		case poolWork <- j:
		default: // offers enough are queued already
		}
	}
	j.work()
	// The other tasks are running: poll for them a while, then park.
	start := time.Now()
	for i := 1; j.left.Load() > 0; i++ {
		if i%256 == 0 && time.Since(start) > workerSpin {
			j.done.Wait()
			break
		}
	}
	// Every task has run, so no worker reads fn again: let go of what it
	// holds (offers still queued keep j itself).
	offered.CompareAndSwap(j, nil)
	j.fn = nil
}

func ensureWorkers(n int) {
	poolMu.Lock()
	defer poolMu.Unlock()
	for ; poolSize < n; poolSize++ {
		go worker()
	}
}

// worker runs offered jobs: it polls for the next one for workerSpin, then
// parks on the channel.
func worker() {
	var last *job
	for {
		j := poll(last)
		if j == nil {
			j = <-poolWork
		}
		last = j
		j.work()
	}
}

// poll returns a newly offered job with tasks left, or nil after workerSpin.
func poll(last *job) *job {
	spinning.Add(1)
	start := time.Now()
	for i := 1; ; i++ {
		if j := offered.Load(); j != last && j.open() {
			spinning.Add(-1)
			return j
		}
		if i%256 == 0 && time.Since(start) > workerSpin {
			break
		}
		if i%(1<<14) == 0 {
			// Let a goroutine readied on this P (a caller woken from
			// its wait, the garbage collector) run.
			runtime.Gosched()
		}
	}
	spinning.Add(-1)
	// A job offered while this worker was stopping saw it still polling
	// and sent it no offer: look once more.
	if j := offered.Load(); j != last && j.open() {
		return j
	}
	return nil
}
