package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/keelml/keel/bench"
	"github.com/keelml/keel/kernels"
)

// benchCommand is one `keel bench NAME ...` suite.
type benchCommand struct {
	name    string
	summary string
	run     func(args []string) error
}

var benches = map[string]benchCommand{}

func registerBench(b benchCommand) {
	if _, dup := benches[b.name]; dup {
		panic("keel: bench registered twice: " + b.name)
	}
	benches[b.name] = b
}

func init() {
	register(command{name: "bench", summary: "benchmark suites: gemm, conv, data, models, train", run: runBench})
}

func runBench(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		names := make([]string, 0, len(benches))
		for n := range benches {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(os.Stderr, "usage: keel bench SUITE [--threads N] [--json] [flags]\n\nsuites:")
		for _, n := range names {
			fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, benches[n].summary)
		}
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	b, ok := benches[args[0]]
	if !ok {
		return fmt.Errorf("unknown suite %q (have: %s)", args[0], strings.Join(sortedKeys(benches), ", "))
	}
	return b.run(args[1:])
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// benchFlags are the flags every suite takes.
type benchFlags struct {
	threads int
	json    bool
}

func addBenchFlags(fs *flag.FlagSet) *benchFlags {
	f := &benchFlags{}
	fs.IntVar(&f.threads, "threads", 0, "threads to run with (default: 1, then 2)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per result on stdout, nothing else")
	return f
}

// threadCounts is what --threads asks for: the one count, or 1 and 2.
func (f *benchFlags) threadCounts() []int {
	if f.threads > 0 {
		return []int{f.threads}
	}
	return []int{1, 2}
}

// writer returns the record writer for stdout.
func (f *benchFlags) writer() *bench.Writer { return &bench.Writer{Out: os.Stdout, JSON: f.json} }

// withThreads runs fn with the kernels set to n threads.
func withThreads(n int, fn func() error) error {
	prev := kernels.SetThreads(n)
	defer kernels.SetThreads(prev)
	return fn()
}

// progress prints a line to stderr (never stdout, which --json reserves).
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
