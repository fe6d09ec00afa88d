package imagedata

import (
	"errors"
	"fmt"
	"runtime"
)

// LabelMode is Keras' class_mode for the labels a Batch carries.
type LabelMode int

const (
	Categorical LabelMode = iota // one-hot rows of len(ClassNames) values
	Sparse                       // the class index, as a float32
	Binary                       // the class index (0 or 1), as a float32
	NoLabels                     // Batch.Y stays empty
)

// ResizeMethod chooses whose decoding and resizing a Loader reproduces.
type ResizeMethod int

const (
	// LikePIL is load_img's path (flow_from_directory): PIL's decoding and
	// resize, with Options.Interpolation as the filter.
	LikePIL ResizeMethod = iota
	// LikeTF is image_dataset_from_directory's path: JPEGs decoded with
	// TensorFlow's default fast IDCT (libjpeg's JDCT_IFAST), then
	// tf.image.resize's bilinear.
	LikeTF
)

// Options configure a Loader. Height and Width are required.
type Options struct {
	Height, Width int           // Keras' target_size
	Interpolation Interpolation // PIL filter; Nearest is Keras' default
	Resize        ResizeMethod
	// CropToAspectRatio takes the largest centred region with the target's
	// aspect ratio before resizing: load_img's keep_aspect_ratio for
	// LikePIL, image_dataset_from_directory's crop_to_aspect_ratio
	// (smart_resize) for LikeTF.
	CropToAspectRatio bool
	BatchSize         int // default 32
	// Shuffle draws a new order every epoch. Seed drives the order and the
	// augmentation as Keras' Iterator does: numpy's global state is reseeded
	// with Seed + (batches seen so far) before every batch.
	Shuffle bool
	Seed    uint32
	Labels  LabelMode
	Augment *Augment // nil: no augmentation, no standardisation
	// Workers decode in parallel (default GOMAXPROCS); Prefetch bounds the
	// batches being filled ahead of the consumer (default 2), so memory stays
	// at Prefetch+1 batches whatever the speed of the disk or the model.
	Workers  int
	Prefetch int
	OnError  ErrorPolicy
}

func (o Options) withDefaults() (Options, error) {
	if o.Height <= 0 || o.Width <= 0 {
		return o, fmt.Errorf("target size %dx%d: both must be positive", o.Height, o.Width)
	}
	if o.BatchSize == 0 {
		o.BatchSize = 32
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Prefetch == 0 {
		o.Prefetch = 2
	}
	if o.BatchSize < 0 || o.Workers < 0 || o.Prefetch < 0 {
		return o, errors.New("batch size, workers and prefetch must not be negative")
	}
	if _, ok := filters[o.Interpolation]; !ok && o.Interpolation != Nearest {
		return o, fmt.Errorf("unknown interpolation %v", o.Interpolation)
	}
	return o, nil
}
