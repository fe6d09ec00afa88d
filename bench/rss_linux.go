//go:build linux

package bench

import (
	"os"
	"runtime/debug"
	"syscall"
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

// childPeakRSS is an exited child's peak resident set size, in bytes (0:
// unknown).
func childPeakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10 // kB on Linux
	}
	return 0
}
