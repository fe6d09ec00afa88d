package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/bench"
	"github.com/stretchr/testify/require"
)

// small keeps the data bench to a fraction of a second: 6 tiny JPEGs.
var small = []string{"--images", "6", "--width", "40", "--height", "30", "--size", "16", "--batch", "4"}

func TestBenchDataJSONContract(t *testing.T) {
	out, stderr, code := runCLI(t, append([]string{"bench", "data", "--json"}, small...)...)
	require.Equal(t, 0, code, stderr)
	recs := jsonLines(t, out)
	require.Len(t, recs, 2, "default: 1 and 2 threads")
	for i, r := range recs {
		require.Equal(t, "data", r["bench"])
		require.Equal(t, float64(i+1), r["threads"])
		require.Equal(t, 4.0, r["batch"])
		require.Equal(t, 6.0, r["images"])
		require.Equal(t, 0.0, r["skipped"])
		require.Positive(t, r["images_per_second"].(float64))
		require.Positive(t, r["seconds"].(float64))
		require.Equal(t, "jpeg40x30_to16_nearest_aug", r["name"])
	}
}

func TestBenchDataFolderAndFlags(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "class_a"), 0o755))
	require.NoError(t, bench.WriteJPEG(dir, 0, 20, 10)) // class_a/img0000.jpg
	require.NoError(t, os.WriteFile(filepath.Join(dir, "class_a", "bad.jpg"), []byte("broken"), 0o644))
	out, stderr, code := runCLI(t, "bench", "data", "--dir", dir, "--threads", "1",
		"--size", "8", "--interpolation", "bilinear", "--augment=false", "--json")
	require.Equal(t, 0, code)
	recs := jsonLines(t, out)
	require.Len(t, recs, 1)
	require.Equal(t, "folder_to8_bilinear", recs[0]["name"])
	require.Equal(t, 1.0, recs[0]["skipped"], "the broken file is skipped and counted")
	require.Contains(t, stderr, filepath.Join(dir, "class_a", "bad.jpg"), "and named")

	_, _, code = runCLI(t, "bench", "data", "--interpolation", "area")
	require.NotZero(t, code)
	_, _, code = runCLI(t, "bench", "data", "--width", "0")
	require.NotZero(t, code)
	_, _, code = runCLI(t, "bench", "data", "--dir", filepath.Join(dir, "missing"))
	require.NotZero(t, code)
}
