package serve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/keelml/keel/nn"
)

// errQueueFull is answered 503 with Retry-After.
var errQueueFull = errors.New("the queue is full: try again shortly")

// job is one input waiting for its forward pass.
type job struct {
	ctx   context.Context
	model *loaded   // the model the input was prepared for
	x     []float32 // one sample, model.sampleLen() values
	done  chan jobResult
}

type jobResult struct {
	scores []float32 // the first output's row
	err    error
}

// batcher groups queued inputs into forward passes on one goroutine.
type batcher struct {
	queue    chan *job
	pending  atomic.Int64 // inputs queued or in the pass being run
	maxBatch int
	wait     time.Duration
	metrics  *metrics
	stop     chan struct{}
	stopped  chan struct{}
}

func newBatcher(o Options, m *metrics) *batcher {
	b := &batcher{queue: make(chan *job, o.QueueSize), maxBatch: o.MaxBatch, wait: o.BatchWait,
		metrics: m, stop: make(chan struct{}), stopped: make(chan struct{})}
	go b.loop()
	return b
}

// submit queues all of jobs, or none when the queue has no room for them.
func (b *batcher) submit(jobs []*job) error {
	n := int64(len(jobs))
	if b.pending.Add(n) > int64(cap(b.queue)) {
		b.pending.Add(-n)
		return errQueueFull
	}
	b.metrics.queueDepth.Set(float64(b.pending.Load()))
	for _, j := range jobs {
		b.queue <- j // never blocks: pending bounds what is in the channel
	}
	return nil
}

// close stops the loop once it has run what is queued.
func (b *batcher) close() {
	close(b.stop)
	<-b.stopped
}

func (b *batcher) loop() {
	defer close(b.stopped)
	for {
		var first *job
		select {
		case first = <-b.queue:
		case <-b.stop:
			b.drain()
			return
		}
		b.run(b.collect(first))
	}
}

// collect gathers up to maxBatch jobs, waiting at most wait after first.
func (b *batcher) collect(first *job) []*job {
	batch := []*job{first}
	timer := time.NewTimer(b.wait)
	defer timer.Stop()
	for len(batch) < b.maxBatch {
		select {
		case j := <-b.queue:
			batch = append(batch, j)
		case <-timer.C:
			return batch
		}
	}
	return batch
}

// drain runs what is still queued when the batcher stops.
func (b *batcher) drain() {
	for {
		select {
		case j := <-b.queue:
			b.run(b.collect(j))
		default:
			return
		}
	}
}

// run drops the jobs whose requests have gone, then runs the rest, one
// forward pass per model (a reload may leave jobs of two in one batch).
func (b *batcher) run(batch []*job) {
	var live []*job
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			b.metrics.dropped.Inc()
			b.answer(j, jobResult{err: err})
			continue
		}
		live = append(live, j)
	}
	for len(live) > 0 {
		m := live[0].model
		var same, rest []*job
		for _, j := range live {
			if j.model == m {
				same = append(same, j)
			} else {
				rest = append(rest, j)
			}
		}
		b.forward(m, same)
		live = rest
	}
}

// forward runs one pass of m over jobs and answers each.
func (b *batcher) forward(m *loaded, jobs []*job) {
	b.metrics.batchSize.Observe(float64(len(jobs)))
	per := m.sampleLen()
	x := make([]float32, 0, len(jobs)*per)
	for _, j := range jobs {
		x = append(x, j.x...)
	}
	y, err := runSafely(m.model, x, append([]int{len(jobs)}, m.input...))
	for i, j := range jobs {
		if err != nil {
			b.answer(j, jobResult{err: err})
			continue
		}
		// A copy: the model may reuse its output's memory on the next pass.
		b.answer(j, jobResult{scores: slices.Clone(y[i*m.classes : (i+1)*m.classes])})
	}
}

// answer sends j its result, taking it off the pending count first so that
// a client answered can queue its next input at once.
func (b *batcher) answer(j *job, r jobResult) {
	b.metrics.queueDepth.Set(float64(b.pending.Add(-1)))
	j.done <- r
}

// runSafely runs the model, turning a panic into an error so that one bad
// pass cannot stop the batcher.
func runSafely(m *nn.Model, x []float32, shape []int) (y []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("forward pass panicked: %v", r)
		}
	}()
	xt, err := nn.TensorOf(x, shape...)
	if err != nil {
		return nil, err
	}
	ys, err := m.Run(xt)
	if err != nil {
		return nil, err
	}
	return ys[0].Data, nil
}
