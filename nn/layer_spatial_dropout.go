package nn

import (
	"fmt"
	"slices"

	"github.com/keelml/keel/internal/splitmix"
)

// spatialDropout is what SpatialDropout1D/2D/3D share: Dropout whose mask
// is drawn per sample and channel and shared over the spatial dimensions
// (noise shape (batch, 1, ..., 1, channels)), so whole feature maps drop.
type spatialDropout struct {
	Dropout
	rank int // spatial dimensions
}

func newSpatialDropout(class string, l Layer, d *spatialDropout, rank int, rate float64, opts []Option) {
	s, err := collect(class, opts, "seed")
	if err == nil && (rate < 0 || rate >= 1) {
		err = fmt.Errorf("nn: %s: rate %g not in [0, 1)", class, rate)
	}
	d.rate, d.rank = rate, rank
	d.init(l, class, s, err)
	d.rng = splitmix.New(s.seed ^ splitmix.FNV1a64(d.name))
}

// Config is Keras' SpatialDropout config: Dropout's keys, noise_shape null.
func (d *spatialDropout) Config() map[string]any {
	return d.withBase(map[string]any{"rate": d.rate, "noise_shape": nil, "seed": nil})
}

func (d *spatialDropout) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	if len(in[0]) != d.rank+1 {
		return nil, fmt.Errorf("needs inputs of %d spatial dimensions and channels, got %v", d.rank, in[0])
	}
	d.noise = append(append([]int{-1}, slices.Repeat([]int{1}, d.rank)...), -1)
	return d.Dropout.build(in)
}

// SpatialDropout1D is Keras' channel-wise dropout of (steps, channels) inputs.
type SpatialDropout1D struct{ spatialDropout }

// NewSpatialDropout1D returns a SpatialDropout1D. Options: WithSeed, WithName.
func NewSpatialDropout1D(rate float64, opts ...Option) *SpatialDropout1D {
	l := &SpatialDropout1D{}
	newSpatialDropout("SpatialDropout1D", l, &l.spatialDropout, 1, rate, opts)
	return l
}

// SpatialDropout2D is Keras' channel-wise dropout of images.
type SpatialDropout2D struct{ spatialDropout }

// NewSpatialDropout2D returns a SpatialDropout2D. Options: WithSeed, WithName.
func NewSpatialDropout2D(rate float64, opts ...Option) *SpatialDropout2D {
	l := &SpatialDropout2D{}
	newSpatialDropout("SpatialDropout2D", l, &l.spatialDropout, 2, rate, opts)
	return l
}

// SpatialDropout3D is Keras' channel-wise dropout of volumes.
type SpatialDropout3D struct{ spatialDropout }

// NewSpatialDropout3D returns a SpatialDropout3D. Options: WithSeed, WithName.
func NewSpatialDropout3D(rate float64, opts ...Option) *SpatialDropout3D {
	l := &SpatialDropout3D{}
	newSpatialDropout("SpatialDropout3D", l, &l.spatialDropout, 3, rate, opts)
	return l
}

func init() {
	registerConfig("SpatialDropout1D", func(r *reader, o []Option) Layer { return NewSpatialDropout1D(r.float("rate", 0), o...) })
	registerConfig("SpatialDropout2D", func(r *reader, o []Option) Layer { return NewSpatialDropout2D(r.float("rate", 0), o...) })
	registerConfig("SpatialDropout3D", func(r *reader, o []Option) Layer { return NewSpatialDropout3D(r.float("rate", 0), o...) })
}
