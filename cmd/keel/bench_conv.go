package main

import (
	"flag"
	"strings"
	"time"

	"github.com/keelml/keel/bench"
)

func benchConv(fs *flag.FlagSet, bf *benchFlags) func() error {
	models := fs.String("models", "vgg16,mobilenet", "models, comma-separated: "+strings.Join(bench.ConvModels, ", "))
	dirs := fs.String("directions", strings.Join(bench.ConvDirections, ","), "directions, comma-separated: "+strings.Join(bench.ConvDirections, ", "))
	layers := fs.String("layers", "", "only layers whose name contains one of these, comma-separated (e.g. block3_conv2,conv_dw_6)")
	batch := fs.Int("batch", 1, "batch size")
	samples := fs.Int("samples", 3, "timed samples per figure (the median is reported)")
	minSample := fs.Duration("min-sample", 30*time.Millisecond, "each sample repeats the call at least this long")
	tf := addTimingFlags(fs)
	return func() error {
		timing, err := tf.options(*samples, *minSample, bf.threads)
		if err != nil {
			return err
		}
		o := bench.ConvOptions{Common: bf.common(), Models: strings.Split(*models, ","), Directions: strings.Split(*dirs, ","),
			Batch: *batch, Timing: timing}
		if *layers != "" {
			o.Layers = strings.Split(*layers, ",")
		}
		return bench.Conv(o, bf.writer())
	}
}
