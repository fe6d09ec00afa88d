package kernels

import (
	"fmt"
	"sync"
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C with BLAS semantics, row-major:
// op(A) is m x k (A is m x k, or k x m when transA), op(B) is k x n (B is k x n,
// or n x k when transB), C is m x n; lda, ldb and ldc are the row strides of the
// stored matrices. With beta == 0, C is only written, never read, so NaNs in C do
// not propagate. Bad dimensions panic, as a slice index out of range would.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemmArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	g := gemm{transA: transA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, beta: beta, c: c, ldc: ldc,
		transB: transB, b: b, ldb: ldb, uk: active.sgemm, blocks: gemmBlocks()}
	g.run()
}

// SgemmPacked is Sgemm with B already packed by PackB (weights that do not
// change between calls are packed once). pb holds op(B), k x n.
func SgemmPacked(transA bool, m, n, k int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	if pb == nil || pb.k != k || pb.n != n {
		panic(fmt.Sprintf("kernels: SgemmPacked: packed B is not %dx%d", k, n))
	}
	checkGemmArgs(transA, false, m, n, k, a, lda, nil, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	if m == 1 && !transA && alpha == 1 && beta == 0 {
		if gv := gemvKernelFor(pb.table, pb.nr); gv != nil {
			gemvPacked(gv, a, pb, c)
			return
		}
	}
	// The packed layout fixes the micro-kernel: the one of the table it was
	// packed for, or, on the generic path, the Go twin of the same shape.
	uk := pb.table.sgemm
	if active == &genericTable {
		uk.run = func(kc int, a, b, c []float32, ldc int, acc bool) {
			microKernelGeneric(uk.mr, uk.nr, kc, a, b, c, ldc, acc)
		}
	}
	bl := blocksFor(machineCaches, uk)
	bl.KC = pb.kc
	g := gemm{transA: transA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, beta: beta, c: c, ldc: ldc,
		packed: pb, uk: uk, blocks: bl}
	g.run()
}

func checkGemmArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	check := func(name string, s []float32, rows, cols, ld int) {
		if ld < max(cols, 1) {
			panic(fmt.Sprintf("kernels: Sgemm: ld%s=%d < %d columns", name, ld, cols))
		}
		if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("kernels: Sgemm: %s has %d elements, needs %d (%dx%d, ld %d)", name, len(s), (rows-1)*ld+cols, rows, cols, ld))
		}
	}
	check("a", a, ar, ac, lda)
	if b != nil {
		check("b", b, br, bc, ldb)
	}
	check("c", c, m, n, ldc)
}

// scaleMatrix sets C = beta*C (beta 0 writes zeros without reading C).
func scaleMatrix(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 1:
		case 0:
			clear(row)
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// gemm is one Sgemm call, split by run into sub-problems for the threads.
type gemm struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	packed         *PackedB // when set, b is unused
	c              []float32
	ldc            int
	uk             microKernelSpec
	blocks         Blocks
	direct         bool // full strips of A are read in place, not packed
}

// directMaxN is the widest C for which the micro-kernel reads A in place:
// each element of A then meets at most this many columns of B, too few to
// repay packing it (measured: VGG16's N=256 and N=512 layers gain 3-15%
// on Zen 5; at N=1024 packing wins).
const directMaxN = 512

// run executes the BLIS loops. For each KC x NC panel of B (packed once, by
// all threads together, unless it came packed), the threads take blocks of
// rows of A from a shared queue: each packs its A block into its own buffer
// and sweeps the micro-kernel over it. When A has fewer row blocks than there
// are threads, the columns of the panel are split as well.
func (g *gemm) run() {
	g.direct = g.uk.direct != nil && !g.transA && g.alpha == 1 && g.n <= directMaxN
	t := Threads()
	if 2*g.m*g.n*g.k < 1<<17 { // below ~0.1 ms of work, threads cost more than they give
		t = 1
	}
	bl, mr, nr := g.blocks, g.uk.mr, g.uk.nr
	if g.beta != 0 && g.beta != 1 {
		g.parallel(t, t, func(i int) {
			rows := spanOf(g.m, t, 1, i)
			scaleMatrix(rows.hi-rows.lo, g.n, g.beta, g.c[rows.lo*g.ldc:], g.ldc)
		})
	}
	// Equal row blocks of at most MC rows; at least three per thread when A
	// is tall enough, so that a thread slowed by other work is made up for.
	blocks := ceilDiv(g.m, bl.MC)
	if t > 1 {
		blocks = max(blocks, min(3*t, g.m/(4*mr)))
	}
	rowBlocks := spanCount(g.m, max(blocks, 1), mr)
	// Split the columns too when the row blocks cannot be shared evenly
	// (fewer than the threads, or a number they do not divide), so that no
	// thread waits for another's extra block.
	colParts := 1
	if rowBlocks%t != 0 {
		colParts = t
	}
	var bbuf *[]float32
	if g.packed == nil {
		bbuf = bufPool.Get().(*[]float32)
		defer bufPool.Put(bbuf)
		*bbuf = grow(*bbuf, roundUp(min(bl.NC, g.n), nr)*bl.KC)
	}
	p := &panel{rowParts: max(blocks, 1), colParts: colParts}
	for p.jc = 0; p.jc < g.n; p.jc += bl.NC {
		p.nc = min(bl.NC, g.n-p.jc)
		p.cols = spanCount(p.nc, colParts, nr)
		for p.pc = 0; p.pc < g.k; p.pc += bl.KC {
			p.kc = min(bl.KC, g.k-p.pc)
			if g.packed != nil {
				p.bp = g.packed.panels(p.pc, p.jc, p.kc, p.nc)
			} else {
				p.bp = (*bbuf)[:roundUp(p.nc, nr)*p.kc]
				g.parallel(spanCount(p.nc, t, nr), t, func(i int) {
					s := spanOf(p.nc, t, nr, i)
					packB(nr, p.bp[s.lo*p.kc:], g.transB, g.b, g.ldb, p.pc, p.jc+s.lo, p.kc, s.hi-s.lo)
				})
			}
			p.accumulate = p.pc > 0 || g.beta != 0
			g.parallel(rowBlocks*p.cols, t, func(task int) { g.block(p, task) })
		}
	}
}

// panel is the state of one KC x NC panel of B shared by the tasks on it.
type panel struct {
	jc, nc, pc, kc     int
	rowParts, colParts int // how the rows and the columns are split
	cols               int // column spans in this panel
	bp                 []float32
	accumulate         bool
}

// block packs one block of rows of A and sweeps the micro-kernel over the
// task's columns of the panel.
func (g *gemm) block(p *panel, task int) {
	mr := g.uk.mr
	rb := spanOf(g.m, p.rowParts, mr, task/p.cols)
	cs := spanOf(p.nc, p.colParts, g.uk.nr, task%p.cols)
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	mc, kc := rb.hi-rb.lo, p.kc
	ws.a = grow(ws.a, roundUp(mc, mr)*kc)
	ap := ws.a
	if g.direct {
		// Only the last, partial strip is packed.
		if full := mc / mr * mr; full < mc {
			packA(mr, ap[full*kc:], g.transA, g.a, g.lda, rb.lo+full, p.pc, mc-full, kc, g.alpha)
		}
	} else {
		packA(mr, ap, g.transA, g.a, g.lda, rb.lo, p.pc, mc, kc, g.alpha)
	}
	g.macroKernel(ap, p.bp[cs.lo*kc:], rb.lo, p.jc+cs.lo, p.pc, mc, cs.hi-cs.lo, kc, p.accumulate, ws)
}

// parallel runs fn over tasks on t threads; on one thread it calls fn in a
// loop, so that the single-threaded path costs no goroutine hand-off.
func (g *gemm) parallel(tasks, t int, fn func(int)) {
	if t == 1 {
		for i := 0; i < tasks; i++ {
			fn(i)
		}
		return
	}
	parallelN(tasks, t, fn)
}

type span struct{ lo, hi int }

// spanCount is how many pieces spanOf cuts [0, n) into: at most parts, each
// at least align long.
func spanCount(n, parts, align int) int {
	return max(1, min(parts, ceilDiv(n, align)))
}

// spanOf returns piece i of [0, n) cut into spanCount(n, parts, align)
// pieces of nearly equal length, each a multiple of align long except the
// last. It allocates nothing.
func spanOf(n, parts, align, i int) span {
	units := ceilDiv(n, align)
	parts = spanCount(n, parts, align)
	q, r := units/parts, units%parts
	lo := i*q + min(i, r)
	hi := lo + q
	if i < r {
		hi++
	}
	return span{min(n, lo*align), min(n, hi*align)}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// workspace holds one thread's A packing buffer and edge-tile scratch,
// reused across calls.
type workspace struct {
	a    []float32
	tile [maxTile]float32
}

var (
	workspaces = sync.Pool{New: func() any { return new(workspace) }}
	bufPool    = sync.Pool{New: func() any { return new([]float32) }}
)

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// macroKernel sweeps the micro-kernel over an mc x nc block of C.
func (g *gemm) macroKernel(ap, bp []float32, ic, jc, pc, mc, nc, kc int, accumulate bool, ws *workspace) {
	mr, nr := g.uk.mr, g.uk.nr
	for jr := 0; jr < nc; jr += nr {
		nn := min(nr, nc-jr)
		bs := bp[jr*kc : jr*kc+nr*kc]
		for ir := 0; ir < mc; ir += mr {
			mm := min(mr, mc-ir)
			as := ap[ir*kc : ir*kc+mr*kc]
			off := (ic+ir)*g.ldc + jc + jr
			if mm == mr && nn == nr {
				if g.direct {
					g.uk.direct(kc, g.a[(ic+ir)*g.lda+pc:], g.lda, bs, g.c[off:], g.ldc, accumulate)
				} else {
					g.uk.run(kc, as, bs, g.c[off:], g.ldc, accumulate)
				}
				continue
			}
			// Edge tile: compute the whole tile into scratch, then write
			// back only the part inside C.
			if g.direct && mm == mr {
				g.uk.direct(kc, g.a[(ic+ir)*g.lda+pc:], g.lda, bs, ws.tile[:], nr, false)
			} else {
				g.uk.run(kc, as, bs, ws.tile[:], nr, false)
			}
			for i := 0; i < mm; i++ {
				dst := g.c[off+i*g.ldc : off+i*g.ldc+nn]
				src := ws.tile[i*nr : i*nr+nn]
				if accumulate {
					for j := range dst {
						dst[j] += src[j]
					}
				} else {
					copy(dst, src)
				}
			}
		}
	}
}

func roundUp(v, m int) int { return (v + m - 1) / m * m }
