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
		transB: transB, b: b, ldb: ldb, uk: kernelFor(active), blocks: gemmBlocks()}
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
	// The packed layout fixes the micro-kernel: the one of the path it was
	// packed for, if that can still run, else the generic twin of the same shape.
	uk := kernelFor(pb.path)
	if !canRun(pb.path) || active == Generic {
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
// repay packing it.
const directMaxN = 128

// run splits C into one block of rows or columns per thread; each thread runs
// the BLIS loops on its block with its own packing buffers.
func (g *gemm) run() {
	g.direct = g.uk.direct != nil && !g.transA && g.alpha == 1 && g.n <= directMaxN
	t := Threads()
	flops := 2 * g.m * g.n * g.k
	if flops < 1<<17 { // below ~0.1 ms of work, threads cost more than they give
		t = 1
	}
	splitM := g.m >= g.n || g.packed != nil && g.m >= 4*g.uk.mr*t
	var parts []span
	if splitM {
		parts = splitSpan(g.m, t, g.uk.mr)
	} else {
		parts = splitSpan(g.n, t, g.uk.nr)
	}
	parallelN(len(parts), t, func(i int) {
		ws := workspaces.Get().(*workspace)
		defer workspaces.Put(ws)
		if splitM {
			g.serial(parts[i], span{0, g.n}, ws)
		} else {
			g.serial(span{0, g.m}, parts[i], ws)
		}
	})
}

type span struct{ lo, hi int }

// splitSpan cuts [0, n) into at most parts pieces, each a multiple of align
// long except the last.
func splitSpan(n, parts, align int) []span {
	units := (n + align - 1) / align
	parts = max(1, min(parts, units))
	out := make([]span, 0, parts)
	lo := 0
	for p := 0; p < parts; p++ {
		u := units / parts
		if p < units%parts {
			u++
		}
		hi := min(n, lo+u*align)
		out = append(out, span{lo, hi})
		lo = hi
	}
	return out
}

// workspace holds one thread's packing buffers, reused across calls.
type workspace struct {
	a, b []float32
	tile [maxTile]float32
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// serial runs the five BLIS loops over the block rows x cols of C.
func (g *gemm) serial(rows, cols span, ws *workspace) {
	bl, mr, nr := g.blocks, g.uk.mr, g.uk.nr
	if g.beta != 0 && g.beta != 1 {
		for i := rows.lo; i < rows.hi; i++ {
			row := g.c[i*g.ldc+cols.lo : i*g.ldc+cols.hi]
			for j := range row {
				row[j] *= g.beta
			}
		}
	}
	ws.a = grow(ws.a, roundUp(min(bl.MC, rows.hi-rows.lo), mr)*bl.KC)
	if g.packed == nil {
		ws.b = grow(ws.b, roundUp(min(bl.NC, cols.hi-cols.lo), nr)*bl.KC)
	}
	for jc := cols.lo; jc < cols.hi; jc += bl.NC {
		nc := min(bl.NC, cols.hi-jc)
		for pc := 0; pc < g.k; pc += bl.KC {
			kc := min(bl.KC, g.k-pc)
			var bp []float32
			if g.packed != nil {
				bp = g.packed.panels(pc, jc, kc, nc)
			} else {
				bp = ws.b[:roundUp(nc, nr)*kc]
				packB(nr, bp, g.transB, g.b, g.ldb, pc, jc, kc, nc)
			}
			accumulate := pc > 0 || g.beta != 0
			for ic := rows.lo; ic < rows.hi; ic += bl.MC {
				mc := min(bl.MC, rows.hi-ic)
				ap := ws.a[:roundUp(mc, mr)*kc]
				if g.direct {
					// Only the last, partial strip is packed.
					full := mc / mr * mr
					if full < mc {
						packA(mr, ap[full*kc:], g.transA, g.a, g.lda, ic+full, pc, mc-full, kc, g.alpha)
					}
				} else {
					packA(mr, ap, g.transA, g.a, g.lda, ic, pc, mc, kc, g.alpha)
				}
				g.macroKernel(ap, bp, ic, jc, pc, mc, nc, kc, accumulate, ws)
			}
		}
	}
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
