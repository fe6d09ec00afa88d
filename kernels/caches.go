package kernels

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Caches holds per-core data cache sizes in bytes.
type Caches struct{ L1, L2, L3 int }

// machineCaches is read once from cpuid; where cpuid cannot tell (some VMs and
// most arm64 systems) from Linux's sysfs, and failing that it falls back to
// sizes typical of current cores.
var machineCaches = readCaches()

// sysfsCacheDir describes cpu0's caches on Linux, one indexN directory each.
const sysfsCacheDir = "/sys/devices/system/cpu/cpu0/cache"

func readCaches() Caches {
	c := Caches{L1: cpuid.CPU.Cache.L1D, L2: cpuid.CPU.Cache.L2, L3: cpuid.CPU.Cache.L3}
	s := sysfsCaches(sysfsCacheDir)
	// Many arm64 parts (the Cortex-A72 of a Raspberry Pi 4) have no L3 at all:
	// the fallback then stands for memory close enough to stream B panels from.
	c.L1 = firstPositive(c.L1, s.L1, 32<<10)
	c.L2 = firstPositive(c.L2, s.L2, 512<<10)
	c.L3 = firstPositive(c.L3, s.L3, 4<<20)
	return c
}

// sysfsCaches reads the data and unified cache sizes under dir (sysfs layout:
// indexN/level, indexN/type, indexN/size as "32K"); what it cannot read is 0.
func sysfsCaches(dir string) Caches {
	var c Caches
	idx, _ := filepath.Glob(filepath.Join(dir, "index*"))
	for _, d := range idx {
		read := func(name string) string {
			b, _ := os.ReadFile(filepath.Join(d, name))
			return strings.TrimSpace(string(b))
		}
		if t := read("type"); t != "Data" && t != "Unified" {
			continue
		}
		size := parseCacheSize(read("size"))
		switch read("level") {
		case "1":
			c.L1 = size
		case "2":
			c.L2 = size
		case "3":
			c.L3 = size
		}
	}
	return c
}

// parseCacheSize parses sysfs sizes: "48K", "1024K", "32M", "512"; 0 if bad.
func parseCacheSize(s string) int {
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0
	}
	return n * mult
}

func firstPositive(v ...int) int {
	for _, x := range v {
		if x > 0 {
			return x
		}
	}
	return 0
}
