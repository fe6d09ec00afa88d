package imagedata

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// slot is a batch being filled by the workers.
type slot struct {
	b       Batch
	x, y    []float32 // full-size buffers behind b.X and b.Y
	plan    plan
	errs    []error
	pending atomic.Int32
	done    chan struct{}
}

type job struct {
	s *slot
	i int
}

// Epoch delivers the batches of one epoch in order. Call Close when stopping
// early; after io.EOF it is optional.
type Epoch struct {
	ld      *Loader
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	ready   chan *slot
	free    chan *slot
	held    *slot
	all     []*slot
	err     error
	skipped []*FileError
	batches int // delivered so far, for progress reports
	images  int
}

// Epoch starts decoding epoch number epoch (0, 1, ...). The same Seed and
// epoch number always give the same batches.
func (ld *Loader) Epoch(ctx context.Context, epoch int) *Epoch {
	ctx, cancel := context.WithCancel(ctx)
	o := ld.opts
	e := &Epoch{ld: ld, ctx: ctx, cancel: cancel,
		ready: make(chan *slot, o.Prefetch+1),
		free:  make(chan *slot, o.Prefetch+1)}
	e.all = ld.takeSlots(o.Prefetch + 1)
	for _, s := range e.all {
		e.free <- s
	}
	jobs := make(chan job)
	e.wg.Add(1 + o.Workers)
	go e.produce(epoch, jobs)
	for range o.Workers {
		go e.work(jobs)
	}
	return e
}

func (e *Epoch) produce(epoch int, jobs chan<- job) {
	defer e.wg.Done()
	defer close(jobs)
	defer close(e.ready)
	var order []int
	for k := range e.ld.BatchesPerEpoch() {
		var s *slot
		select {
		case s = <-e.free:
		case <-e.ctx.Done():
			return
		}
		s.plan = e.ld.planBatch(epoch, k, &order)
		n := len(s.plan.items)
		s.b.Index, s.b.N = k, n
		s.errs = append(s.errs[:0], make([]error, n)...)
		s.done = make(chan struct{})
		s.pending.Store(int32(n))
		e.ready <- s // capacity Prefetch+1 = number of slots: never blocks
		for i := range n {
			select {
			case jobs <- job{s, i}:
			case <-e.ctx.Done():
				return
			}
		}
	}
}

func (e *Epoch) work(jobs <-chan job) {
	defer e.wg.Done()
	w, _ := e.ld.workers.Get().(*worker)
	if w == nil {
		w = new(worker)
	}
	defer e.ld.workers.Put(w)
	for j := range jobs {
		if e.ctx.Err() == nil {
			j.s.errs[j.i] = w.process(e.ld, j.s, j.i)
		}
		if j.s.pending.Add(-1) == 0 {
			close(j.s.done)
		}
	}
}

// Next returns the next batch, io.EOF after the last one, a *FileError under
// FailOnError, or the context's error when cancelled. Under SkipOnError a
// batch may hold fewer images than BatchSize; batches left empty are passed
// over.
func (e *Epoch) Next() (*Batch, error) {
	if e.err != nil {
		return nil, e.err
	}
	if e.held != nil {
		e.free <- e.held
		e.held = nil
	}
	for {
		// Checked first: select picks at random among ready cases, and a
		// cancelled epoch must not hand out the batches it had prefetched.
		if err := e.ctx.Err(); err != nil {
			return nil, e.fail(err)
		}
		var s *slot
		var ok bool
		select {
		case s, ok = <-e.ready:
		case <-e.ctx.Done():
			return nil, e.fail(e.ctx.Err())
		}
		if !ok {
			if err := e.ctx.Err(); err != nil {
				return nil, e.fail(err)
			}
			e.err = io.EOF
			e.Close()
			return nil, io.EOF
		}
		select {
		case <-s.done:
		case <-e.ctx.Done():
			return nil, e.fail(e.ctx.Err())
		}
		if err := e.finish(s); err != nil {
			return nil, e.fail(err)
		}
		e.held = s
		if s.b.N > 0 {
			e.batches++
			e.images += s.b.N
			return &s.b, nil
		}
	}
}

func (e *Epoch) fail(err error) error {
	e.err = err
	e.Close()
	return err
}

// finish fills the labels and paths and, under SkipOnError, closes the gaps
// left by failed images.
func (e *Epoch) finish(s *slot) error {
	list, o := e.ld.list, e.ld.opts
	k := len(list.ClassNames)
	size := o.Height * o.Width * 3
	s.b.Classes, s.b.Paths = s.b.Classes[:0], s.b.Paths[:0]
	clear(s.y)
	n := 0
	for i, idx := range s.plan.items {
		if err := s.errs[i]; err != nil {
			fe := fileError(list.Paths[idx], err)
			if o.OnError == FailOnError {
				return fe
			}
			e.skipped = append(e.skipped, fe)
			continue
		}
		if n != i {
			copy(s.x[n*size:(n+1)*size], s.x[i*size:(i+1)*size])
		}
		label := list.Labels[idx]
		switch o.Labels {
		case Categorical:
			s.y[n*k+label] = 1
		case Sparse, Binary:
			s.y[n] = float32(label)
		}
		s.b.Classes = append(s.b.Classes, label)
		s.b.Paths = append(s.b.Paths, list.Paths[idx])
		n++
	}
	s.b.N = n
	s.b.X = s.x[:n*size]
	s.b.Y = s.y[:len(s.y)/o.BatchSize*n]
	return nil
}

// Delivered counts the batches and images Next has returned so far; with
// Loader.BatchesPerEpoch it drives a progress bar.
func (e *Epoch) Delivered() (batches, images int) { return e.batches, e.images }

// Skipped lists the files left out so far under SkipOnError.
func (e *Epoch) Skipped() []*FileError { return e.skipped }

// Close stops the workers, waits for them, and hands the batch buffers back to
// the Loader for the next epoch (so the last Batch is invalid after Close). It
// is safe to call twice.
func (e *Epoch) Close() {
	if e.err == nil {
		e.err = ErrEpochClosed
	}
	e.cancel()
	// Drain so a producer blocked on a full channel can see the cancellation.
	go func() {
		for range e.ready {
		}
	}()
	e.wg.Wait()
	if e.all != nil {
		e.ld.putSlots(e.all)
		e.all, e.held = nil, nil
	}
}

// ErrEpochClosed is returned by Next after Close.
var ErrEpochClosed = errors.New("imagedata: epoch closed")
