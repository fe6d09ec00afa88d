//go:build !linux

package bench

import "os"

// resetPeakRSS: no resettable high-water mark here.
func resetPeakRSS() bool { return false }

// peakRSS: unknown here, so records omit peak_rss_bytes.
func peakRSS() int64 { return 0 }

// childPeakRSS: unknown here.
func childPeakRSS(*os.ProcessState) int64 { return 0 }
