//go:build linux

package main

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPUTime returns the calling OS thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID), or false where it cannot be read.
func threadCPUTime() (time.Duration, bool) {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
