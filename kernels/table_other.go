//go:build purego || !(amd64 || arm64)

package kernels

// asmTables is empty: this build has no assembly, only genericTable.
var asmTables []*kernelTable

// storeFence orders non-temporal stores; without the assembly there are none.
func storeFence() {}

// prefetchL2 is a hint, not issued in this build.
func prefetchL2(p *float32, lines int) {}
