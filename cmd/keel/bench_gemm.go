package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/keelml/keel/bench"
)

func benchGemm(fs *flag.FlagSet, bf *benchFlags) func() error {
	sizes := fs.String("sizes", "128,256,512,1024,2048", "square sizes, comma-separated")
	vgg := fs.Bool("vgg", true, "also run VGG16's conv shapes")
	samples := fs.Int("samples", 5, "timed samples per figure (the median is reported)")
	return func() error {
		o := bench.GemmOptions{Common: bf.common(), VGG: *vgg, Samples: *samples}
		for _, s := range strings.Split(*sizes, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return fmt.Errorf("--sizes: %q is not a positive integer", s)
			}
			o.Sizes = append(o.Sizes, n)
		}
		return bench.Gemm(o, bf.writer())
	}
}
