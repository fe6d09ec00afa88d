package kernels

// Blocks are the GEMM blocking parameters, BLIS names: the micro-kernel
// computes an MR x NR tile of C; A is packed in MC x KC blocks (sized for L2) and
// B in KC x NC panels (sized for L3), each KC x NR sliver of B staying in L1.
type Blocks struct{ MR, NR, MC, KC, NC int }

const (
	mr = 6  // micro-tile rows: 6 broadcasts of A
	nr = 16 // micro-tile columns: two 8-wide ymm registers of B
)

// gemmBlocks derives block sizes from the cache sizes.
func gemmBlocks() Blocks { return blocksFor(machineCaches) }

func blocksFor(c Caches) Blocks {
	// KC: a KC x NR sliver of B (reused MC/MR times) plus an MR x KC sliver of
	// A fill about half of L1.
	kc := c.L1 / 2 / ((mr + nr) * 4)
	kc = clampRound(kc, 64, 512, 8)
	// MC: the MC x KC block of A takes about half of L2, leaving room for B.
	mc := c.L2 / 2 / (kc * 4)
	mc = clampRound(mc, mr*8, 960, mr)
	// NC: the KC x NC panel of B takes at most a quarter of L3 (it is shared).
	nc := c.L3 / 4 / (kc * 4)
	nc = clampRound(nc, nr*16, 8192, nr)
	return Blocks{MR: mr, NR: nr, MC: mc, KC: kc, NC: nc}
}

// clampRound clamps v to [lo, hi] and rounds it down to a multiple of step.
func clampRound(v, lo, hi, step int) int {
	v = max(lo, min(v, hi))
	return v / step * step
}
