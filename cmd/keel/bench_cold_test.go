package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary, re-executed by `bench models --cold`, be
// the cold-start child as keel is.
func TestMain(m *testing.M) {
	if code, ok := coldChild(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// keel bench models --cold: the record's fields plus the cold start's,
// from children that loaded the saved model.
func TestBenchModelsCold(t *testing.T) {
	args := []string{"bench", "models", "--model", "mobilenet", "--input-size", "32", "--threads", "1", "--samples", "1", "--json"}
	stdout, stderr, code := runCLI(t, args...)
	require.Equal(t, 0, code, stderr)
	warm := jsonLines(t, stdout)
	require.Len(t, warm, 1)
	for _, k := range []string{"load_seconds", "read_seconds", "load_ratio", "load_peak_rss_bytes"} {
		require.NotContains(t, warm[0], k, "no cold start without --cold")
	}

	stdout, stderr, code = runCLI(t, append(args, "--cold")...)
	require.Equal(t, 0, code, stderr)
	recs := jsonLines(t, stdout)
	require.Len(t, recs, 1)
	for k := range warm[0] {
		require.Contains(t, recs[0], k, "--cold keeps the record's fields")
	}
	for _, k := range []string{"load_seconds", "read_seconds", "load_ratio"} {
		require.Positive(t, recs[0][k], k)
	}
	require.InDelta(t, recs[0]["load_seconds"].(float64)/recs[0]["read_seconds"].(float64), recs[0]["load_ratio"], 1e-9)

	_, stderr, code = runCLI(t, "bench", "models", "--model", "mobilenet", "--cold", "--precision", "int8")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--cold loads a saved float32 model")
}

// A child that cannot load its model file fails, saying why.
func TestColdChildError(t *testing.T) {
	t.Setenv(coldChildEnv, "1:"+t.TempDir()+"/missing.h5")
	code, ok := coldChild()
	require.True(t, ok)
	require.Equal(t, 1, code)
	os.Unsetenv(coldChildEnv)
	_, ok = coldChild()
	require.False(t, ok)
}
