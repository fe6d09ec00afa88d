package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/report"
	"github.com/stretchr/testify/require"
)

func TestReportFromJSON(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run.json")
	require.NoError(t, os.WriteFile(run, []byte(`{
		"settings": {"model": "mobilenet_v2", "epochs": 3},
		"history": {"loss": [1, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.8], "fine_tune_start": 2},
		"evaluation": {"classes": ["cat", "dog"], "confusion": [[8, 2], [1, 9]], "loss": 0.5, "accuracy": 0.85}}`), 0o644))
	out := filepath.Join(dir, "report")
	stdout, stderr, code := runCLI(t, "report", "--out", out, "--from", run)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, filepath.Join(out, report.IndexFile)+"\n", stdout)
	for _, f := range []string{report.CurvesFile, report.ConfusionFile, report.IndexFile} {
		_, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err, f)
	}

	require.NoError(t, os.WriteFile(run, []byte(`{"history": {"loss": [1], "val_acc": [1]}}`), 0o644))
	_, stderr, code = runCLI(t, "report", "--from", run, "--out", out)
	require.Equal(t, 1, code)
	require.Equal(t, 1, strings.Count(stderr, "val_acc"), stderr)

	_, _, code = runCLI(t, "report", "--from", run)
	require.Equal(t, 2, code, "--out is required")
}
