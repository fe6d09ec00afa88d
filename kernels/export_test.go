package kernels

// Test knobs: switching the kernel table compares the ISAs' twins.

// usePath switches the kernels to path p's table and returns the previous
// path. Asking for a table this build or CPU cannot run leaves the current
// one and returns false.
func usePath(p Path) (prev Path, ok bool) {
	prev = active.path
	t := tableFor(p)
	if t == nil || !t.runs() {
		return prev, false
	}
	active = t
	return prev, true
}

// runnableTables lists the tables this machine can run, generic first.
func runnableTables() []*kernelTable {
	ts := []*kernelTable{&genericTable}
	for i := len(asmTables) - 1; i >= 0; i-- {
		if asmTables[i].runs() {
			ts = append(ts, asmTables[i])
		}
	}
	return ts
}

// kernelFor returns the GEMM micro-kernel of path p, which this build has.
func kernelFor(p Path) microKernelSpec { return tableFor(p).sgemm }
