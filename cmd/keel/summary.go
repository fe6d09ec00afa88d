package main

import (
	"context"
	"flag"
	"fmt"
	"os"
)

func init() {
	register(command{name: "summary", summary: "print a zoo model's layers and parameter counts as Keras' model.summary()", flags: summaryFlags})
}

// summaryFlags is `keel summary`: it builds a zoo model (random weights
// unless --weights) and prints its Summary.
func summaryFlags(fs *flag.FlagSet) func([]string) error {
	zf := addZooFlags(fs)
	fs.StringVar(&zf.weights, "weights", "", "weights: a Keras .h5 file, or imagenet (default: none, the counts do not depend on them)")
	frozen := fs.Bool("frozen", false, "freeze the model first (its parameters count as non-trainable)")
	return func(rest []string) error {
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
}
