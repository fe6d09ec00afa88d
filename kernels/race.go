//go:build race

package kernels

import (
	"runtime"
	"unsafe"
)

// raceEnabled says the race detector is on (go test -race).
const raceEnabled = true

// raceRead tells the race detector that the assembly about to run reads
// these slices whole: it cannot see memory that assembly touches, so the
// exported entry points declare it (as klauspost/compress does).
func raceRead(s ...[]float32) {
	for _, v := range s {
		if len(v) > 0 {
			runtime.RaceReadRange(unsafe.Pointer(&v[0]), len(v)*4)
		}
	}
}

// raceWrite declares that the kernel writes these slices.
func raceWrite(s ...[]float32) {
	for _, v := range s {
		if len(v) > 0 {
			runtime.RaceWriteRange(unsafe.Pointer(&v[0]), len(v)*4)
		}
	}
}
