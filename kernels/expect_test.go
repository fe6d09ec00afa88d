package kernels

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExpectedPath fails when the kernels chosen at start-up are not those the
// caller expects on this (possibly emulated) CPU: `make test` runs the tests
// under qemu with KEEL_EXPECT_PATH=neon on arm64 and =generic on an amd64
// CPU without AVX2, and KEEL_EXPECT_FEATURES lists features cpuid must report
// ("asimddp") or must not ("-asimddp").
func TestExpectedPath(t *testing.T) {
	want := os.Getenv("KEEL_EXPECT_PATH")
	if want == "" {
		t.Skip("KEEL_EXPECT_PATH not set")
	}
	info := Describe()
	require.Equal(t, Path(want), ActivePath(), "kernels chosen on this CPU:\n%s", info)
	for _, f := range strings.Fields(os.Getenv("KEEL_EXPECT_FEATURES")) {
		if name, absent := strings.CutPrefix(f, "-"); absent {
			require.False(t, slices.Contains(info.Features, name), "feature %s reported:\n%s", name, info)
		} else {
			require.True(t, slices.Contains(info.Features, f), "feature %s not reported:\n%s", f, info)
		}
	}
	t.Logf("\n%s", info)
}
