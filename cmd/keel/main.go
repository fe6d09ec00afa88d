// Command keel is the command line of Keel: inspect Keras weight files, run and
// train the zoo's models, and benchmark the kernels.
//
// Each subcommand lives in its own file and registers itself in init, so adding
// one never touches this file.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one `keel NAME ...` subcommand.
type command struct {
	name    string
	summary string
	// run parses args (everything after the name) and does the work. Output for
	// scripts goes to stdout, everything else to stderr.
	run func(args []string) error
	// flags, for a command without run, declares the command's flags on fs and
	// returns what does the work with the positional arguments once
	// parseFlags has parsed args.
	flags func(fs *flag.FlagSet) func(positional []string) error
}

// exec runs c on args, everything after its name.
func (c command) exec(args []string) error {
	if c.run != nil {
		return c.run(args)
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	run := c.flags(fs)
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	return run(positional)
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("keel: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks a misuse of a command: its message is printed and keel
// exits with status 2. errFlagsReported is a usage error the flag package has
// already printed.
var (
	errUsage         = errors.New("usage")
	errFlagsReported = fmt.Errorf("%w: bad flags", errUsage)
)

func main() {
	if code, ok := coldChild(); ok {
		os.Exit(code)
	}
	os.Exit(runMain(os.Args[1:], os.Stderr))
}

func runMain(args []string, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args[0] = "version"
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "keel: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := c.exec(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errInterrupted) { // reported with where the model went
			return 130
		}
		if errors.Is(err, errFlagsReported) || err == errUsage { // already reported
			return 2
		}
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "keel %s: %s\n", c.name, strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
			return 2
		}
		fmt.Fprintf(stderr, "keel %s: %v\n", c.name, err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: keel COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'keel COMMAND -h' for a command's flags.")
}

// parseFlags parses args with fs, letting flags and positional arguments mix in
// any order (`keel inspect FILE --json` as well as `keel inspect --json FILE`).
// It returns the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(os.Stderr)
	flags, positional := splitArgs(fs, args)
	if err := fs.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errFlagsReported
	}
	return positional, nil
}

// optionalValue is a boolean flag that can also take a value: `--top` alone,
// or `--top 3` when the next argument is one it accepts.
type optionalValue interface {
	flag.Value
	IsBoolFlag() bool
	Accepts(arg string) bool
}

// splitArgs reorders args for fs.Parse, which stops at the first positional
// argument: it returns every flag with its value, in order, and the
// positional arguments apart. "--" ends the flags (what follows is
// positional even if it starts with "-"); "-" alone is positional (standard
// input). A flag fs does not define is kept for fs.Parse to report.
func splitArgs(fs *flag.FlagSet, args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(positional, args[i+1:]...)
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil || i+1 == len(args) {
			continue
		}
		next := args[i+1]
		switch v := f.Value.(type) {
		case optionalValue:
			if v.Accepts(next) {
				flags[len(flags)-1] = a + "=" + next
				i++
			}
		case interface{ IsBoolFlag() bool }:
			if !v.IsBoolFlag() {
				flags = append(flags, next)
				i++
			}
		default:
			flags = append(flags, next)
			i++
		}
	}
	return flags, positional
}
