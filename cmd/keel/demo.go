package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/keelml/keel/demo"
)

func init() {
	register(command{name: "demo", summary: "transfer learning end to end on embedded Fashion-MNIST", flags: demoFlags})
}

func demoFlags(fs *flag.FlagSet) func([]string) error {
	dir := fs.String("dir", "", "where to write the .h5 files (default: a temporary directory)")
	seed := fs.Uint64("seed", 1, "seed")
	return func([]string) error {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		res, err := demo.Main(ctx, os.Stdout, demo.Options{Dir: *dir, Seed: *seed})
		if err != nil {
			return err
		}
		if gain := res.Transfer.Accuracy - res.Scratch.Accuracy; gain < 0.10 {
			return fmt.Errorf("transfer beat scratch by only %.1f points this time", 100*gain)
		}
		return nil
	}
}
