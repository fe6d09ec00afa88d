package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/keelml/keel/kernels"
	"github.com/stretchr/testify/require"
)

// runCLI runs keel with args in-process and returns its stdout, stderr and
// exit code.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	var errBuf bytes.Buffer
	oldErr := os.Stderr
	er, ew, err := os.Pipe()
	require.NoError(t, err)
	os.Stderr = ew
	errDone := make(chan string)
	go func() {
		b, _ := io.ReadAll(er)
		errDone <- string(b)
	}()
	code = runMain(args, &errBuf)
	w.Close()
	ew.Close()
	os.Stdout, os.Stderr = old, oldErr
	return <-done, errBuf.String() + <-errDone, code
}

// jsonLines parses stdout that must hold only JSON objects, one per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), "stdout line is not JSON: %q", line)
		recs = append(recs, m)
	}
	return recs
}

func TestBenchGemmJSONContract(t *testing.T) {
	out, _, code := runCLI(t, "bench", "gemm", "--sizes", "64,33", "--vgg=false", "--samples", "1", "--json")
	require.Equal(t, 0, code)
	recs := jsonLines(t, out)
	require.Len(t, recs, 4, "two sizes at 1 and 2 threads")
	for _, r := range recs {
		for _, f := range []string{"bench", "name", "threads", "batch", "seconds", "gflops", "peak_gflops", "m", "n", "k"} {
			require.Contains(t, r, f)
		}
		require.Equal(t, "gemm", r["bench"])
		for _, f := range []string{"m", "n", "k", "threads"} {
			v := r[f].(float64)
			require.Equal(t, float64(int(v)), v, "%s must be an integer", f)
		}
		require.Positive(t, r["gflops"].(float64))
		require.Positive(t, r["peak_gflops"].(float64))
	}
	require.Equal(t, 1.0, recs[0]["threads"])
	require.Equal(t, 2.0, recs[3]["threads"])
}

func TestBenchThreadsFlag(t *testing.T) {
	out, _, code := runCLI(t, "bench", "gemm", "--sizes", "16", "--vgg=false", "--samples", "1", "--threads", "2", "--json")
	require.Equal(t, 0, code)
	recs := jsonLines(t, out)
	require.Len(t, recs, 1)
	require.Equal(t, 2.0, recs[0]["threads"])
}

func TestBenchFailureExitsNonZero(t *testing.T) {
	_, _, code := runCLI(t, "bench", "gemm", "--sizes", "x", "--json")
	require.NotZero(t, code)
	_, _, code = runCLI(t, "bench", "nosuchsuite")
	require.NotZero(t, code)
	_, _, code = runCLI(t, "nosuchcommand")
	require.NotZero(t, code)
}

func TestEnvReportsKernels(t *testing.T) {
	out, _, code := runCLI(t, "env")
	require.Equal(t, 0, code)
	require.Contains(t, out, "kernels:")
	require.Contains(t, out, "micro-kernel")
	require.Contains(t, out, "table:     "+string(kernels.ActivePath())+": sgemm ")
}
