package main

import (
	"flag"
	"fmt"

	"github.com/keelml/keel/kernels"
)

func init() {
	register(command{name: "env", summary: "report the kernels chosen for this machine", flags: envFlags})
}

func envFlags(fs *flag.FlagSet) func([]string) error {
	return func([]string) error {
		fmt.Print(kernels.Describe())
		return nil
	}
}
