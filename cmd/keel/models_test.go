package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keelml/keel/zoo"
	"github.com/stretchr/testify/require"
)

func TestModelsTable(t *testing.T) {
	stdout, stderr, code := runCLI(t, "models")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 1+len(zoo.Names()), stdout)
	require.Regexp(t, `^\s*vgg16\s+528\s+71\.3%\s+90\.1%\s+138\.4M\s+16\s+224\s+caffe\s*$`, lines[1+indexOf(zoo.Names(), "vgg16")])
}

// The JSON fields are a contract that scripts rely on.
func TestModelsJSONContract(t *testing.T) {
	stdout, stderr, code := runCLI(t, "models", "--json", "--model", "mobilenet_v2", "--bench", "--threads", "1", "--samples", "1")
	require.Equal(t, 0, code, stderr)
	var rows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &rows))
	require.Len(t, rows, 1)
	r := rows[0]
	for _, k := range []string{"name", "size_mb", "params", "depth", "default_size", "preprocess", "top1", "top5", "ms_1t"} {
		require.Contains(t, r, k)
	}
	require.NotContains(t, r, "ms_2t", "--threads 1 measures one thread count")
	require.Equal(t, "mobilenet_v2", r["name"])
	require.EqualValues(t, 3538984, r["params"])
	require.EqualValues(t, 224, r["default_size"])
	require.Equal(t, "tf", r["preprocess"])
	require.InDelta(t, 0.713, r["top1"], 1e-9)
	require.Positive(t, r["ms_1t"])

	stdout, _, code = runCLI(t, "models", "--json")
	require.Equal(t, 0, code)
	rows = nil
	require.NoError(t, json.Unmarshal([]byte(stdout), &rows))
	require.Len(t, rows, len(zoo.Names()))
	require.NotContains(t, rows[0], "ms_1t", "no latency without --bench")

	_, stderr, code = runCLI(t, "models", "--model", "alexnet")
	require.NotZero(t, code)
	require.Contains(t, stderr, `unknown model "alexnet"`)
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}
