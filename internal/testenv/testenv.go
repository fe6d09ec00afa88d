// Package testenv finds the project's shared test data (../shared beside the
// repository, or $KEEL_SHARED) and applies the CI rule: tests that need it skip
// when it is absent on a developer's machine, and fail when CI=true.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot returns the directory holding Keel's go.mod, found by walking up
// from the working directory (go test runs in the package's directory).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "kernels")); err == nil {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: cannot find the repository root")
		}
		dir = parent
	}
}

// Shared returns the path of ../shared (or $KEEL_SHARED) joined with elem. When
// that path does not exist the test is skipped, or failed when CI is set.
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	base := os.Getenv("KEEL_SHARED")
	if base == "" {
		base = filepath.Join(RepoRoot(t), "..", "shared")
	}
	p := filepath.Join(append([]string{base}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared test data missing in CI: %v", err)
		}
		t.Skipf("shared test data not here (%v); CI runs this test", err)
	}
	return p
}

// Testdata returns the path of the repository's testdata/ joined with elem.
func Testdata(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{RepoRoot(t), "testdata"}, elem...)...)
}
