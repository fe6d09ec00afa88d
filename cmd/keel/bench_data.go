package main

import (
	"flag"

	"github.com/keelml/keel/bench"
)

func benchData(fs *flag.FlagSet, bf *benchFlags) func() error {
	dir := fs.String("dir", "", "benchmark this class-per-folder directory instead of generated JPEGs")
	count := fs.Int("images", 1000, "JPEGs to generate")
	width := fs.Int("width", 500, "width of the generated JPEGs")
	height := fs.Int("height", 375, "height of the generated JPEGs")
	size := fs.Int("size", 224, "target size (square), as Keras' target_size")
	batch := fs.Int("batch", 32, "batch size")
	interp := fs.String("interpolation", "nearest", "PIL filter: nearest (Keras' default), bilinear, bicubic, ...")
	augment := fs.Bool("augment", true, "apply a typical ImageDataGenerator augmentation and MobileNet's preprocessing")
	epochs := fs.Int("epochs", 1, "timed epochs per thread count (the median is reported)")
	return func() error {
		return bench.Data(bench.DataOptions{Common: bf.common(), Dir: *dir, Images: *count, Width: *width, Height: *height,
			Size: *size, Batch: *batch, Interpolation: *interp, Augment: *augment, Epochs: *epochs}, bf.writer())
	}
}
