//go:build race

package kernels

import (
	"runtime"
	"unsafe"
)

// raceReadBytes and raceWriteBytes are raceRead and raceWrite for the int8
// kernels' byte slices.
func raceReadBytes(s ...[]uint8) {
	for _, v := range s {
		if len(v) > 0 {
			runtime.RaceReadRange(unsafe.Pointer(&v[0]), len(v))
		}
	}
}

func raceWriteBytes(s ...[]uint8) {
	for _, v := range s {
		if len(v) > 0 {
			runtime.RaceWriteRange(unsafe.Pointer(&v[0]), len(v))
		}
	}
}
