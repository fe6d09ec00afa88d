package kernels

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A Raspberry Pi 4's cpu0 (Cortex-A72) as Linux describes it: split L1, a
// shared unified L2, no L3.
func TestSysfsCaches(t *testing.T) {
	dir := t.TempDir()
	for i, c := range [][3]string{{"1", "Data", "32K"}, {"1", "Instruction", "48K"}, {"2", "Unified", "1024K"}} {
		d := filepath.Join(dir, "index"+string(rune('0'+i)))
		require.NoError(t, os.Mkdir(d, 0o755))
		for j, name := range []string{"level", "type", "size"} {
			require.NoError(t, os.WriteFile(filepath.Join(d, name), []byte(c[j]+"\n"), 0o644))
		}
	}
	require.Equal(t, Caches{L1: 32 << 10, L2: 1 << 20}, sysfsCaches(dir))
	require.Equal(t, Caches{}, sysfsCaches(filepath.Join(dir, "missing")))

	for s, want := range map[string]int{"48K": 48 << 10, "32M": 32 << 20, "512": 512, "": 0, "K": 0, "-1K": 0, "1.5M": 0} {
		require.Equal(t, want, parseCacheSize(s), "%q", s)
	}
}
