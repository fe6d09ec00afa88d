//go:build linux

package bench

import (
	"time"

	"golang.org/x/sys/unix"
)

const (
	threadCPU  = unix.CLOCK_THREAD_CPUTIME_ID
	processCPU = unix.CLOCK_PROCESS_CPUTIME_ID
)

// cpuTime reads a CPU-time clock, or says false.
func cpuTime(clock int32) (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(clock, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
