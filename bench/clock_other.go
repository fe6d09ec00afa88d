//go:build !linux

package bench

import "time"

const (
	threadCPU int32 = iota
	processCPU
)

// cpuTime: no CPU-time clocks here.
func cpuTime(int32) (time.Duration, bool) { return 0, false }
