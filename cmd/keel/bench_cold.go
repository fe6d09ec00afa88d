package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/keelml/keel/bench"
)

// coldChildEnv makes keel a cold-start child of `keel bench models --cold`:
// its value is THREADS:PATH, the kernel threads and the model file to load
// and predict once with (bench.ColdChild). An environment variable, not a
// subcommand, so that a test binary re-executed as the child (TestMain)
// takes it as well as keel does.
const coldChildEnv = "KEEL_BENCH_COLD_CHILD"

// coldCommand is the child that times a cold start: this executable, afresh.
func coldCommand(path string, threads int) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	c := exec.Command(exe)
	c.Env = append(os.Environ(), coldChildEnv+"="+strconv.Itoa(threads)+":"+path)
	return c
}

// coldChild runs the cold-start child if the environment asks for one, and
// says so with its exit code.
func coldChild() (code int, ok bool) {
	v, ok := os.LookupEnv(coldChildEnv)
	if !ok {
		return 0, false
	}
	threads, path, _ := strings.Cut(v, ":")
	n, err := strconv.Atoi(threads)
	if err == nil {
		err = bench.ColdChild(path, n, os.Stdout)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "keel bench models --cold child: %v\n", err)
		return 1, true
	}
	return 0, true
}
