//go:build !linux

package main

import "time"

// threadCPUTime is unavailable here.
func threadCPUTime() (time.Duration, bool) { return 0, false }
