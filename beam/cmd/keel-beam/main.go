// Command keel-beam runs Keel on Apache Beam. One command:
//
//	keel-beam featurize --model NAME --weights FILE|imagenet [--input-size N] [--alpha A] [--pooling avg|max]
//	    --input GLOB|@LIST --output DIR [--batch 32] [--threads N]
//	    [--runner prism|direct|flink|spark|dataflow|universal] [runner flags]
//
// computes a frozen backbone's features of every image and writes them to
// DIR as .npy shards with manifest.json, and dead_letter.jsonl for the files
// that could not be read (package featurize). `keel train --features DIR`
// trains a head on them. The runner flags are Beam's (--endpoint,
// --environment_type, --project, --region, --temp_location, ...); the same
// binary, started by a runner with --worker, is the pipeline's worker.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/keelml/keel/beam/featurize"
	"github.com/keelml/keel/zoo"
)

const usage = `usage: keel-beam featurize --model NAME --weights FILE|imagenet [--input-size N] [--alpha A]
         --input GLOB|@LIST --output DIR [--batch 32] [--runner prism|direct|flink|dataflow|...] [runner flags]

Computes the features of every image that GLOB matches (or that the text
file LIST names, one path a line) with the frozen backbone NAME, decoded,
resized and preprocessed as keel train does, and writes DIR/shard-*.npy,
DIR/manifest.json and DIR/dead_letter.jsonl (files that could not be read,
with the reason). The class of an image is its folder's name. Train a head
on them with: keel train --features DIR --head SPEC --epochs N --out HEAD.h5
`

var o featurize.Options

func init() {
	flag.StringVar(&o.Model, "model", "", "backbone: "+strings.Join(zoo.Names(), ", "))
	flag.StringVar(&o.Weights, "weights", "", "backbone weights: a Keras .h5 file (a local path, or on a Beam filesystem such as gs://), or imagenet")
	flag.IntVar(&o.InputSize, "input-size", 0, "input height and width (default: the model's, 224 for most, 299 for xception and the inceptions)")
	flag.Float64Var(&o.Alpha, "alpha", 1, "width multiplier of mobilenet and mobilenet_v2")
	flag.StringVar(&o.Pooling, "pooling", "", "global pooling after the backbone: avg or max (default: none, the backbone's last feature map)")
	flag.StringVar(&o.Input, "input", "", "images: a glob (data/*/*.jpg, gs://bucket/data/*/*.jpg) or @FILE, a list of paths one a line")
	flag.StringVar(&o.Output, "output", "", "feature folder to write (local, or on a Beam filesystem)")
	flag.IntVar(&o.Batch, "batch", 32, "images per forward pass and per shard")
	flag.IntVar(&o.Threads, "threads", 0, "kernel threads per worker process (default GOMAXPROCS)")
}

func main() {
	// A runner starts this binary as its worker with --worker and Beam's
	// flags, without a command: beam.Init then runs the worker and exits.
	featurizing := len(os.Args) > 1 && os.Args[1] == "featurize"
	if featurizing {
		os.Args = append(os.Args[:1], os.Args[2:]...)
	}
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage+"\nflags (and Beam's):\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	beam.Init()
	if !featurizing {
		flag.Usage()
		os.Exit(2)
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "keel-beam featurize: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "keel-beam featurize:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a misuse of the flags: exit status 2.
type usageError struct{ error }

func run(ctx context.Context) error {
	p, s := beam.NewPipelineWithRoot()
	if err := featurize.Build(s, o); err != nil {
		return usageError{err}
	}
	if !strings.Contains(o.Output, "://") {
		if err := os.MkdirAll(o.Output, 0o755); err != nil {
			return err
		}
	}
	if err := beamx.Run(ctx, p); err != nil {
		return err
	}
	fmt.Printf("wrote %s/manifest.json (unreadable files, if any: %s/%s)\n", strings.TrimRight(o.Output, "/"), strings.TrimRight(o.Output, "/"), featurize.DeadLetterName)
	return nil
}
