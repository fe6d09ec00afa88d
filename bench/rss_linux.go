//go:build linux

package bench

import (
	"os"
	"runtime/debug"
)

// resetPeakRSS returns the heap's garbage to the system and resets the
// kernel's resident high-water mark to what the process holds now, so that
// the next peakRSS covers only what follows. It says whether the kernel
// took the reset; callers ignore a refusal (older kernels, some sandboxes),
// after which the mark stays the process's.
func resetPeakRSS() bool {
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is the process's peak resident set size since resetPeakRSS (VmHWM),
// in bytes, or 0 if it cannot be read.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	n, err := parseVmHWM(f)
	if err != nil {
		return 0
	}
	return n
}
