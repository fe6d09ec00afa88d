package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBenchServeCountsEveryRequest(t *testing.T) {
	model := colourModel(t, t.TempDir())
	stdout, stderr, code := runCLI(t, "bench", "serve", "--model-file", model, "--clients", "4", "--requests", "40", "--json")
	require.Equal(t, 0, code, stderr)
	recs := jsonLines(t, stdout)
	require.Len(t, recs, 1)
	r := recs[0]
	require.Equal(t, "serve", r["bench"])
	require.Equal(t, 40.0, r["requests"])
	require.Equal(t, 40.0, r["ok"])
	require.Equal(t, 0.0, r["failed"])
	require.Equal(t, 4.0, r["clients"])
	require.Greater(t, r["requests_per_s"].(float64), 0.0)
	p50, p95, p99 := r["p50_ms"].(float64), r["p95_ms"].(float64), r["p99_ms"].(float64)
	require.Greater(t, p50, 0.0)
	require.LessOrEqual(t, p50, p95)
	require.LessOrEqual(t, p95, p99)
}

func TestServeLoadPercentiles(t *testing.T) {
	var r serveLoadResult
	for i := 1; i <= 100; i++ {
		r.latencies = append(r.latencies, time.Duration(i)*time.Millisecond)
	}
	require.Equal(t, 50.0, r.percentile(0.50))
	require.Equal(t, 95.0, r.percentile(0.95))
	require.Equal(t, 99.0, r.percentile(0.99))
	require.Equal(t, 0.0, serveLoadResult{}.percentile(0.5))
}

func TestBenchServeMisuse(t *testing.T) {
	_, _, code := runCLI(t, "bench", "serve")
	require.Equal(t, 2, code, "neither --model-file nor --url")
	_, _, code = runCLI(t, "bench", "serve", "--url", "http://127.0.0.1:1", "--model-file", "m.h5")
	require.Equal(t, 2, code, "both")
}
