package main

import (
	"flag"
	"fmt"

	"github.com/keelml/keel/kernels"
)

func init() {
	register(command{name: "env", summary: "report the kernels chosen for this machine", run: runEnv})
}

func runEnv(args []string) error {
	fs := flag.NewFlagSet("env", flag.ContinueOnError)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Print(kernels.Describe())
	return nil
}
