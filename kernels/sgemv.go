package kernels

// One row times packed B (a Dense layer at batch 1) is a matrix-vector
// product: each element of B is used once, so the GEMM micro-kernel, which
// computes mr rows whatever m is, would spend mr-1 of every mr multiply-adds
// on padding, and the time goes to streaming B from memory. gemvPacked streams
// the packed panels once through a one-row kernel instead.

// gemvPanelKernel is a one-row panel kernel: y[j] = (acc ? y[j] : 0) + sum over
// p<k of x[p]*b[p*nr+j], j < nr.
type gemvPanelKernel func(k int, x, b, y *float32, acc bool)

// gemvKernelFor returns the one-row kernel for panels of width nr packed for
// table t, or nil when it has none or the generic path runs (the GEMM runs then).
func gemvKernelFor(t *kernelTable, nr int) gemvPanelKernel {
	if active == &genericTable || t.sgemm.nr != nr {
		return nil
	}
	return t.sgemv
}

// gemvPanelGeneric is the Go twin of the one-row panel kernels.
func gemvPanelGeneric(nr, k int, x, b, y []float32, acc bool) {
	var sum [32]float32
	for p, xv := range x[:k] {
		row := b[p*nr : p*nr+nr]
		for j, bv := range row {
			sum[j] += xv * bv
		}
	}
	for j := range y[:nr] {
		if acc {
			y[j] += sum[j]
		} else {
			y[j] = sum[j]
		}
	}
}

// gemvPanelsPerTask is how many panels a task streams: enough to amortise
// the task's start, few enough that both threads get work for n >= 512.
const gemvPanelsPerTask = 8

// gemvPacked sets c[0:n] = a[0:k] * pb with kernel uk, in tasks of panels.
// A task runs its panels KC block by KC block: the panels of one block lie
// side by side, so each task reads one run of memory per block.
func gemvPacked(uk gemvPanelKernel, a []float32, pb *PackedB, c []float32) {
	k, n, nr, kc := pb.k, pb.n, pb.nr, pb.kc
	np := roundUp(n, nr)
	panels := np / nr
	_ = a[k-1]
	_ = c[n-1]
	parallel((panels+gemvPanelsPerTask-1)/gemvPanelsPerTask, func(task int) {
		q0 := task * gemvPanelsPerTask
		q1 := min(panels, q0+gemvPanelsPerTask)
		var tail [32]float32 // the last panel's columns, n not a multiple of nr
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			for q := q0; q < q1; q++ {
				y := &tail[0]
				if (q+1)*nr <= n {
					y = &c[q*nr]
				}
				uk(kb, &a[pc], &pb.data[pc*np+q*nr*kb], y, pc > 0)
			}
		}
		if q1*nr > n {
			copy(c[(q1-1)*nr:n], tail[:])
		}
	})
}
