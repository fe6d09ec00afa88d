package kernels

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Path names an implementation family: one kernel table (table.go).
type Path string

const (
	Generic Path = "generic" // pure Go
	AVX2    Path = "avx2"    // amd64 AVX2+FMA assembly
	AVX512  Path = "avx512"  // amd64 AVX-512 assembly where it pays, AVX2 elsewhere
	NEON    Path = "neon"    // arm64 ASIMD (fp32) assembly
)

// active is the kernel table chosen at start-up.
var active = chooseTable(os.Getenv("KEEL_KERNELS"))

// chooseTable picks the fastest table this CPU and build support, unless the
// override (the value of KEEL_KERNELS) asks for a slower one: "generic" for
// pure Go, "avx2" to leave AVX-512 unused.
func chooseTable(override string) *kernelTable {
	switch strings.ToLower(override) {
	case "generic", "go", "purego":
		return &genericTable
	case "avx2":
		if canRun(AVX2) {
			return tableFor(AVX2)
		}
		return &genericTable
	}
	for _, t := range asmTables {
		if t.runs() {
			return t
		}
	}
	return &genericTable
}

// canRun says whether this build and CPU can run path p.
func canRun(p Path) bool {
	t := tableFor(p)
	return t != nil && t.runs()
}

// ActivePath reports which implementation family the kernels use.
func ActivePath() Path { return active.path }

// Info describes the kernels in use on this machine.
type Info struct {
	Path     Path
	Table    string // the active kernel table: its kernels by tile and width
	GOARCH   string
	CPU      string
	Features []string // the ISA features that matter to Keel
	Caches   Caches
	Blocks   Blocks
	Threads  int
	Override string // the value of KEEL_KERNELS, if set
}

// Describe reports the chosen path, the CPU and the GEMM block sizes.
func Describe() Info {
	var feats []string
	for _, f := range []cpuid.FeatureID{cpuid.SSE2, cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.F16C, cpuid.AVX512F, cpuid.ASIMD, cpuid.FPHP, cpuid.ASIMDHP, cpuid.ASIMDDP} {
		if cpuid.CPU.Supports(f) {
			feats = append(feats, strings.ToLower(f.String()))
		}
	}
	cpu := strings.TrimSpace(cpuid.CPU.BrandName)
	if cpu == "" {
		cpu = armCPUName() // arm64 has no brand string
	}
	return Info{
		Path:     active.path,
		Table:    active.String(),
		GOARCH:   runtime.GOARCH,
		CPU:      cpu,
		Features: feats,
		Caches:   machineCaches,
		Blocks:   gemmBlocks(),
		Threads:  Threads(),
		Override: os.Getenv("KEEL_KERNELS"),
	}
}

func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kernels:   %s (%s)\n", i.Path, i.GOARCH)
	if i.Override != "" {
		fmt.Fprintf(&b, "override:  KEEL_KERNELS=%s\n", i.Override)
	}
	fmt.Fprintf(&b, "cpu:       %s\n", i.CPU)
	fmt.Fprintf(&b, "features:  %s\n", strings.Join(i.Features, " "))
	fmt.Fprintf(&b, "caches:    L1d %d KiB, L2 %d KiB, L3 %d KiB\n", i.Caches.L1/1024, i.Caches.L2/1024, i.Caches.L3/1024)
	fmt.Fprintf(&b, "gemm:      %dx%d micro-kernel, MC=%d KC=%d NC=%d\n", i.Blocks.MR, i.Blocks.NR, i.Blocks.MC, i.Blocks.KC, i.Blocks.NC)
	fmt.Fprintf(&b, "threads:   %d\n", i.Threads)
	fmt.Fprintf(&b, "table:     %s\n", i.Table)
	return b.String()
}
