package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/keelml/keel/bench"
)

// benches are the `keel bench SUITE ...` suites, in the help's order. A
// suite's flags declares its own flags on the suite's flag set (which has the
// benchFlags already) and returns what runs the suite once they are parsed.
var benches = []struct {
	name, summary string
	flags         func(fs *flag.FlagSet, bf *benchFlags) (run func() error)
}{
	{"conv", "conv kernels: VGG16's 3x3 layers, MobileNet's depthwise and pointwise layers, ResNet50's distinct shapes, forward and backward", benchConv},
	{"data", "image pipeline images/s: JPEG decode, Keras resize, augmentation", benchData},
	{"gemm", "Sgemm GFLOP/s: square sizes and VGG16's im2col shapes", benchGemm},
	{"models", "forward latency of the zoo's full classifiers at their default sizes", benchModels},
	{"serve", "keel serve's throughput and p50/p95/p99 latency under concurrent clients over loopback", benchServe},
	{"train", "one transfer-learning training step (forward, backward, Adam) at the models' default sizes", benchTrain},
}

func init() {
	register(command{name: "bench", summary: "benchmark suites: gemm, conv, data, models, serve, train", run: runBench})
}

func runBench(args []string) error {
	var names []string
	for _, b := range benches {
		if len(args) > 0 && args[0] == b.name {
			fs := flag.NewFlagSet("bench "+b.name, flag.ContinueOnError)
			run := b.flags(fs, addBenchFlags(fs))
			if _, err := parseFlags(fs, args[1:]); err != nil {
				return err
			}
			return run()
		}
		names = append(names, b.name)
	}
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
		return fmt.Errorf("unknown suite %q (have: %s)", args[0], strings.Join(names, ", "))
	}
	fmt.Fprintln(os.Stderr, "usage: keel bench SUITE [--threads N] [--json] [flags]\n\nsuites:")
	for _, b := range benches {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", b.name, b.summary)
	}
	if len(args) == 0 {
		return errUsage
	}
	return nil
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

// common is what --threads asks for (the one count, or the suites' 1 and
// 2), with progress on stderr (never stdout, which --json reserves).
func (f *benchFlags) common() bench.Common {
	c := bench.Common{Progress: os.Stderr}
	if f.threads > 0 {
		c.Threads = []int{f.threads}
	}
	return c
}

// writer returns the record writer for stdout.
func (f *benchFlags) writer() *bench.Writer { return &bench.Writer{Out: os.Stdout, JSON: f.json} }

// timingFlags are --stat and --clock, for the suites that time on a shared
// machine.
type timingFlags struct{ stat, clock *string }

func addTimingFlags(fs *flag.FlagSet) timingFlags {
	return timingFlags{
		fs.String("stat", "median", "median: the median sample (the suites' rule); min: the fastest sample, which filters out other processes' interference on a shared machine"),
		fs.String("clock", "wall", "wall: elapsed time; thread: the thread's CPU time (1 thread only, Linux), which leaves out the time other processes take the core on a shared machine"),
	}
}

// options are the timing options of the flags, checked.
func (t timingFlags) options(samples int, minSample time.Duration, threads int) (bench.Options, error) {
	o := bench.Options{Samples: samples, MinSample: minSample, Stat: bench.Stat(*t.stat), Clock: bench.Clock(*t.clock)}
	return o, o.Check(threads)
}
