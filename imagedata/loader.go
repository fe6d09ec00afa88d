package imagedata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Batch is one batch of images: X holds N images of H x W x C float32 values
// (NHWC, RGB), Y the labels in the Loader's LabelMode (N x len(classes) for
// Categorical, N values for Sparse and Binary, none for NoLabels). A Batch returned by Epoch.Next is reused:
// it stays valid until the next call to Next or Close.
type Batch struct {
	X          []float32
	N, H, W, C int
	Y          []float32
	Classes    []int    // class index per image
	Paths      []string // source file per image
	Index      int      // batch number within the epoch
}

// Loader turns a Listing into batches, epoch after epoch.
type Loader struct {
	list *Listing
	opts Options

	mu    sync.Mutex
	spare []*slot // batch buffers kept between epochs: tens of megabytes
}

// NewLoader checks the options and returns a Loader over list.
func NewLoader(list *Listing, opts Options) (*Loader, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(list.Paths) != len(list.Labels) {
		return nil, fmt.Errorf("listing has %d paths and %d labels", len(list.Paths), len(list.Labels))
	}
	if o.Labels == Binary && len(list.ClassNames) != 2 {
		return nil, fmt.Errorf("binary labels need 2 classes, have %d", len(list.ClassNames))
	}
	return &Loader{list: list, opts: o}, nil
}

// Options returns the options in force, defaults filled in.
func (ld *Loader) Options() Options { return ld.opts }

// BatchesPerEpoch is ceil(files / batch size), as len() of a Keras iterator.
func (ld *Loader) BatchesPerEpoch() int {
	return (len(ld.list.Paths) + ld.opts.BatchSize - 1) / ld.opts.BatchSize
}

// plan is the work for one batch, decided by the producer so that the random
// stream is consumed in Keras' order whatever the workers' timing.
type plan struct {
	items []int // indices into the listing
	ts    []Transform
}

// planEpoch reproduces Keras' Iterator._flow_index and the augmentation draws
// of _get_batches_of_transformed_samples for one epoch.
func (ld *Loader) planBatch(epoch, k int, order *[]int) plan {
	n, bs := len(ld.list.Paths), ld.opts.BatchSize
	r := NewRand(ld.opts.Seed + uint32(epoch*ld.BatchesPerEpoch()+k))
	if k == 0 {
		if ld.opts.Shuffle {
			*order = r.Perm(n)
		} else {
			*order = make([]int, n)
			for i := range *order {
				(*order)[i] = i
			}
		}
	}
	p := plan{items: (*order)[k*bs : min((k+1)*bs, n)]}
	if a := ld.opts.Augment; a != nil {
		p.ts = make([]Transform, len(p.items))
		for i := range p.ts {
			p.ts[i] = a.RandomTransform(r, ld.opts.Height, ld.opts.Width)
		}
	}
	return p
}

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

// takeSlots reuses the buffers of earlier epochs, allocating the rest.
func (ld *Loader) takeSlots(n int) []*slot {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	k := min(n, len(ld.spare))
	out := append([]*slot(nil), ld.spare[len(ld.spare)-k:]...)
	ld.spare = ld.spare[:len(ld.spare)-k]
	for len(out) < n {
		out = append(out, ld.newSlot())
	}
	return out
}

func (ld *Loader) putSlots(s []*slot) {
	ld.mu.Lock()
	ld.spare = append(ld.spare, s...)
	ld.mu.Unlock()
}

func (ld *Loader) newSlot() *slot {
	o := ld.opts
	s := &slot{}
	s.b.H, s.b.W, s.b.C = o.Height, o.Width, 3
	s.x = make([]float32, o.BatchSize*o.Height*o.Width*3)
	switch o.Labels {
	case Categorical:
		s.y = make([]float32, o.BatchSize*len(ld.list.ClassNames))
	case Sparse, Binary:
		s.y = make([]float32, o.BatchSize)
	}
	return s
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
	var w worker
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
