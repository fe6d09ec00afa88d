package kernels

// Blocks are the GEMM blocking parameters, BLIS names: the micro-kernel
// computes an MR x NR tile of C; A is packed in MC x KC blocks (sized for L2) and
// B in KC x NC panels (sized for L3), each KC x NR sliver of B staying in L1.
type Blocks struct{ MR, NR, MC, KC, NC int }

// gemmBlocks derives block sizes for the active micro-kernel from the cache
// sizes.
func gemmBlocks() Blocks { return blocksFor(machineCaches, active.sgemm) }

func blocksFor(c Caches, uk microKernelSpec) Blocks {
	mr, nr := uk.mr, uk.nr
	// KC: the KC x NR sliver of B is reused for every MR rows of the A block;
	// a long KC spreads the cost of loading and storing C over more FMAs.
	// A sliver that about fills L1 (KC <= 384) is the rule; for the AVX-512
	// 14x32 tile, measured on Zen 5 (48 KiB L1), a sliver of 4/3 of L1 (KC
	// 512) was better, most at two threads, where fewer passes over C spare
	// the shared L3. The other tiles keep the rule until measured.
	kc := clampRound(c.L1/(nr*4), 128, 384, 8)
	if nr >= 32 {
		kc = clampRound(c.L1*4/3/(nr*4), 128, 512, 8)
	}
	// MC: the MC x KC block of A takes about half of L2.
	mc := c.L2 / 2 / (kc * 4)
	mc = clampRound(mc, mr*8, 960, mr)
	// NC: the KC x NC panel of B takes about half of L3.
	nc := c.L3 / 2 / (kc * 4)
	nc = clampRound(nc, nr*16, 8192, nr)
	return Blocks{MR: mr, NR: nr, MC: mc, KC: kc, NC: nc}
}

// clampRound clamps v to [lo, hi] and rounds it down to a multiple of step.
func clampRound(v, lo, hi, step int) int {
	v = max(lo, min(v, hi))
	return v / step * step
}
