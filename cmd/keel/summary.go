package main

import (
	"context"
	"flag"
	"fmt"
	"os"
)

func init() {
	register(command{name: "summary", summary: "print a zoo model's layers and parameter counts as Keras' model.summary()", run: runSummary})
}

// runSummary builds a zoo model (random weights unless --weights) and
// prints its Summary.
func runSummary(args []string) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	zf := addZooFlags(fs)
	fs.StringVar(&zf.weights, "weights", "", "weights: a Keras .h5 file, or imagenet (default: none, the counts do not depend on them)")
	frozen := fs.Bool("frozen", false, "freeze the model first (its parameters count as non-trainable)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected arguments %v", errUsage, rest)
	}
	m, err := zf.build(context.Background(), zf.weights, zf.size())
	if err != nil {
		return err
	}
	if *frozen {
		m.SetTrainable(false)
	}
	_, err = fmt.Fprint(os.Stdout, m.Summary())
	return err
}
