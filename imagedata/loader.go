package imagedata

import (
	"fmt"
	"sync"
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

	mu      sync.Mutex
	spare   []*slot   // batch buffers kept between epochs: tens of megabytes
	workers sync.Pool // *worker: per-goroutine scratch images, kept likewise
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

// planBatch reproduces Keras' Iterator._flow_index and the augmentation draws
// of _get_batches_of_transformed_samples for batch k of an epoch: numpy is
// reseeded with Seed + batches seen before every batch, the first batch of an
// epoch draws the permutation, then each image draws its transform. order
// carries the permutation from batch 0 to the rest.
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
