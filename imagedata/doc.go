// Package imagedata turns folders of photos into batches of float32 tensors the
// way Keras does, so a model fine-tuned in Keras sees the same pixels here.
//
// It reads a directory with one sub-folder per class as Keras'
// flow_from_directory does (classes sorted by name; with a validation split the
// validation subset is the first fraction of each class's sorted files) or, as
// an option, as image_dataset_from_directory does (one seeded shuffle of all
// files before the split, numpy-compatible). It decodes JPEG, PNG, GIF, BMP and
// WebP and converts every mode to RGB as PIL's convert('RGB') does (alpha
// dropped, not composited; JPEG chroma upsampled as libjpeg's "fancy"
// upsampling does). It resizes as PIL does (nearest by default, bilinear,
// bicubic, box, hamming and lanczos with PIL's antialiasing support when
// shrinking) or as TensorFlow's bilinear does (half-pixel centres, no
// antialiasing).
//
// Augment carries ImageDataGenerator's parameters under their Keras names and
// applies random_transform/apply_transform with the same order of operations,
// the same affine matrix about the image centre, scipy's order-1 interpolation
// and fill modes, and the same numpy random stream for a given seed.
//
// Loader batches a listing: per-epoch seeded shuffling, categorical, sparse or
// binary labels, decoding on a pool of goroutines with a bounded number of
// batches in flight, and a policy for corrupt files (skip and count, or fail),
// all cancellable through a context.
//
// Tensors are float32, NHWC, RGB, with values 0..255 before any preprocessing,
// as Keras' img_to_array produces them.
package imagedata
