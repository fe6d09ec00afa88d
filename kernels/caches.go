package kernels

import "github.com/klauspost/cpuid/v2"

// Caches holds per-core data cache sizes in bytes.
type Caches struct{ L1, L2, L3 int }

// machineCaches is read once from cpuid; where cpuid cannot tell (some VMs and
// most arm64 systems) it falls back to sizes typical of current cores.
var machineCaches = readCaches()

func readCaches() Caches {
	c := Caches{L1: cpuid.CPU.Cache.L1D, L2: cpuid.CPU.Cache.L2, L3: cpuid.CPU.Cache.L3}
	if c.L1 <= 0 {
		c.L1 = 32 << 10
	}
	if c.L2 <= 0 {
		c.L2 = 512 << 10
	}
	if c.L3 <= 0 {
		c.L3 = 4 << 20
	}
	return c
}
