package kernels

import (
	"math"
	"sync"
)

// Winograd F(2x2,3x3) forward convolution for 3x3 stride-1 layers: each 2x2
// block of outputs (a tile) is computed from the 4x4 block of inputs under it
// as Y = A^T [ (G g G^T) .* (B^T d B) ] A, 16 multiplies per input and output
// channel pair instead of the direct algorithm's 36. The multiplies, summed
// over the input channels, are 16 GEMMs M_e = V_e U_e (tiles x C times C x
// OutC) on the GEMM micro-kernel; the transforms (additions only, so rounding
// stays at the direct algorithm's level) are assembly vectorised over
// channels (winograd_amd64.s), with Go twins (winograd_transform.go). Tiles
// are processed in blocks so that a block's V and M stay in L2.
//
// F(4x4,3x3) is the same plan on 4x4 output tiles and 6x6 input tiles: 36
// GEMMs per tile, 2.25 multiplies per output where F(2x2,3x3) does 4 and
// the direct algorithm 9. Its transforms multiply by 2, 4, 5 and 8, and its
// weights by fractions down to 1/24, so its rounding error is larger
// (bounded in the tests as F(2x2,3x3)'s is); winograd_rule.go says where
// it runs.

// winogradTransforms are one path's transform kernels for one tile size,
// lanes channels a step; the channels past the last full vector go to the Go
// twins.
type winogradTransforms struct {
	lanes  int
	tile   int // output tile side: 2 for F(2x2,3x3), 4 for F(4x4,3x3)
	input  func(rows **float32, n int, v *float32, vs int)
	output func(m *float32, ms int, n int, bias *float32, lo, hi float32, out **float32)
	// short, where not nil, computes shortMR rows (fewer than the GEMM
	// micro-kernel's) of 32 output channels, reading each row through a
	// pointer and B with row stride ldb: the conv micro-kernel's contract.
	short   func(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32)
	shortMR int
}

// shortRows is the rows of the short kernel that products may use with
// micro-kernel panels nr wide (it computes 32 channels): 0 for none.
func (tr winogradTransforms) shortRows(nr int) int {
	if tr.short == nil || nr != 32 {
		return 0
	}
	return tr.shortMR
}

// newWinogradWeights returns empty transformed weights for output tiles of
// side tile, laid out for the active GEMM micro-kernel.
func newWinogradWeights(c, outC, tile int) *winogradWeights {
	bl := gemmBlocks()
	return &winogradWeights{c: c, outC: outC, kc: bl.KC, nr: bl.NR, tile: tile}
}

// packWinogradWeights transforms HWIO weights once, for PackConvWeights.
func packWinogradWeights(p ConvParams, w []float32, tile int) *winogradWeights {
	u := newWinogradWeights(p.C, p.OutC, tile)
	transformWinogradWeights(u, w)
	return u
}

// winogradScratch holds the weights transformed per call by Conv2D; its own
// pool, since floatPool's buffers are mostly far smaller.
var winogradScratch = sync.Pool{New: func() any { return new([]float32) }}

// conv2DWinogradRaw is conv2DWinograd for weights transformed on this call
// (Conv2D without packing).
func conv2DWinogradRaw(p ConvParams, tr winogradTransforms, x, w, bias []float32, act Activation, y []float32) {
	buf := winogradScratch.Get().(*[]float32)
	defer winogradScratch.Put(buf)
	u := newWinogradWeights(p.C, p.OutC, tr.tile)
	u.data = *buf
	transformWinogradWeights(u, w)
	*buf = u.data
	conv2DWinograd(p, tr, x, u, bias, act, y)
}

// winogradPlan is one F(2x2,3x3) or F(4x4,3x3) convolution cut into blocks
// of tiles.
type winogradPlan struct {
	p      ConvParams
	tr     winogradTransforms
	uk     microKernelSpec
	f      int // output tile side (tr.tile)
	alpha  int // input tile side, f+2
	pts    int // points of the input tile, alpha^2
	oh, ow int
	th, tw int // tiles down and across one image
	tiles  int // over the batch
	block  int // tiles per block, a multiple of uk.mr
	ldm    int // row stride of M: OutC rounded up to the micro-kernel's width
	lo, hi float32
	bias   []float32 // nil: zeros from the workspace
}

// winogradWorkspace is one task's scratch, pooled across calls.
type winogradWorkspace struct {
	v, m  []float32
	zero  []float32 // zeros: the input outside the image, a missing bias
	sink  []float32 // where outputs past the image's edge go
	rows  [36]*float32
	out   [16]*float32 // kept here: the assembly's tables would escape from the stack
	short [maxConvMR]*float32
}

var winogradWorkspaces = sync.Pool{New: func() any { return new(winogradWorkspace) }}

// conv2DWinograd computes y = act(conv(x, w) + bias) from the transformed
// weights u (laid out for the active micro-kernel).
func conv2DWinograd(p ConvParams, tr winogradTransforms, x []float32, u *winogradWeights, bias []float32, act Activation, y []float32) {
	f := tr.tile
	pl := winogradPlan{p: p, tr: tr, uk: active.sgemm, f: f, alpha: f + 2, pts: (f + 2) * (f + 2),
		oh: p.OutH(), ow: p.OutW(), bias: bias}
	if u.nr != pl.uk.nr || u.c != p.C || u.outC != p.OutC || u.tile != f {
		panic("kernels: winograd weights packed for another micro-kernel, shape or tile")
	}
	pl.th, pl.tw = ceilDiv(pl.oh, f), ceilDiv(pl.ow, f)
	pl.tiles = p.N * pl.th * pl.tw
	pl.ldm = roundUp(p.OutC, pl.uk.nr)
	smr := tr.shortRows(pl.uk.nr)
	t := Threads()
	pl.block = winogradBlockTiles(p.C, pl.ldm, pl.tiles, pl.uk.mr, t, pl.pts, smr)
	// Few tiles for the threads (a 14x14 layer at batch 1: 49 of 2x2, 16 of
	// 4x4): when blocks for one thread would be fewer than the threads,
	// they split each block's output channels instead of its tiles. Each
	// transforms the block's input (a small share of the work) and reads
	// only its part of U, where splitting 16 tiles into 8 and 8 has both
	// threads stream all of U for 8 rows each.
	panels, parts := pl.ldm/pl.uk.nr, 1
	if bl1 := winogradBlockTiles(p.C, pl.ldm, pl.tiles, pl.uk.mr, 1, pl.pts, smr); t > 1 && !winogradNoChannelSplit &&
		ceilDiv(pl.tiles, bl1) < t && panels >= t {
		pl.block, parts = bl1, t
	}
	pl.lo, pl.hi = float32(math.Inf(-1)), float32(math.Inf(1))
	switch act {
	case ActReLU:
		pl.lo = 0
	case ActReLU6:
		pl.lo, pl.hi = 0, 6
	}
	nr := pl.uk.nr
	parallel(ceilDiv(pl.tiles, pl.block)*parts, func(k int) {
		b, part := k/parts, k%parts
		ws := winogradWorkspaces.Get().(*winogradWorkspace)
		defer winogradWorkspaces.Put(ws)
		j0, j1 := panels*part/parts*nr, min(panels*(part+1)/parts*nr, p.OutC)
		pl.run(ws, x, u, y, b*pl.block, min((b+1)*pl.block, pl.tiles), j0, j1)
	})
}

// winogradNoChannelSplit, when set, keeps the threads on blocks of tiles
// (tests and benchmarks).
var winogradNoChannelSplit bool

// run computes output channels j0..j1-1 (j0 a multiple of the
// micro-kernel's width) of tiles t0..t1-1: input transform into V, the pts
// GEMMs into M, output transform into y.
func (pl *winogradPlan) run(ws *winogradWorkspace, x []float32, u *winogradWeights, y []float32, t0, t1, j0, j1 int) {
	p, mr, pts := pl.p, pl.uk.mr, pl.pts
	rowsPad := roundUp(t1-t0, mr)
	vs, ms := winogradStride(rowsPad*p.C), winogradStride(rowsPad*pl.ldm)
	ws.v = grow(ws.v, pts*vs)
	ws.m = grow(ws.m, pts*ms)
	if n := max(p.C, p.OutC); len(ws.zero) < n {
		ws.zero = make([]float32, n)
		ws.sink = make([]float32, n)
	}
	pl.inputs(ws, x, t0, t1, ws.v[:pts*vs], vs)
	pl.products(ws, u, ws.v[:pts*vs], vs, ws.m[:pts*ms], ms, t1-t0, j0, j1)
	pl.outputs(ws, ws.m[:pts*ms], ms, y, t0, t1, j0, j1)
}

// winogradStride is the distance in floats between the 16 (or 36) matrices
// of V or M, at least n: a multiple of 4 KiB plus one cache line, so that the 16
// streams the transforms read or write fall in different L1 sets (at a
// multiple of 4 KiB, or of 2 KiB as 56 tiles of 64 channels are, they
// share one or two sets and evict each other).
func winogradStride(n int) int { return roundUp(n, 1024) + 16 }

// tile returns the image and the tile's row and column of tile t.
func (pl *winogradPlan) tile(t int) (n, ti, tj int) {
	per := pl.th * pl.tw
	n, t = t/per, t%per
	return n, t / pl.tw, t % pl.tw
}

// inputs writes V: tile t's point e at v[e*vs + (t-t0)*C].
func (pl *winogradPlan) inputs(ws *winogradWorkspace, x []float32, t0, t1 int, v []float32, vs int) {
	p := pl.p
	full := 0
	if l := pl.tr.lanes; l > 0 {
		full = p.C / l * l
	}
	rows, f, a := &ws.rows, pl.f, pl.alpha
	for t := t0; t < t1; t++ {
		n, ti, tj := pl.tile(t)
		for i := 0; i < a; i++ {
			ih := f*ti - p.PadTop + i
			for j := 0; j < a; j++ {
				iw := f*tj - p.PadLeft + j
				if ih >= 0 && ih < p.H && iw >= 0 && iw < p.W {
					rows[a*i+j] = &x[((n*p.H+ih)*p.W+iw)*p.C]
				} else {
					rows[a*i+j] = &ws.zero[0]
				}
			}
		}
		vt := v[(t-t0)*p.C:]
		if full > 0 {
			pl.tr.input(&rows[0], full, &vt[0], vs)
		}
		if f == 4 {
			winogradInput6Go(rows, full, p.C, vt, vs)
		} else {
			winogradInputGo((*[16]*float32)(rows[:16]), full, p.C, vt, vs)
		}
	}
}

// products computes the pts GEMMs M_e = V_e U_e for the block's rows (its
// tiles); V and M have rows up to a multiple of mr. The rows go in strips
// of the GEMM micro-kernel and of the short kernel, as winogradStrips
// splits them.
func (pl *winogradPlan) products(ws *winogradWorkspace, u *winogradWeights, v []float32, vs int, m []float32, ms, rows, j0, j1 int) {
	c, mr, nr := pl.p.C, pl.uk.mr, pl.uk.nr
	smr := pl.tr.shortRows(nr)
	full, shorts := winogradStrips(rows, mr, smr)
	tab := &ws.short
	for e := 0; e < pl.pts; e++ {
		for pc := 0; pc < c; pc += u.kc {
			kb := min(u.kc, c-pc)
			flags := 0
			if pc > 0 {
				flags = convAccumulate
			}
			for jc := j0; jc < j1; jc += nr {
				b := u.panel(e, pc, jc)
				for r := 0; r < full; r += mr {
					pl.uk.direct(kb, v[e*vs+r*c+pc:], c, b, m[e*ms+r*pl.ldm+jc:], pl.ldm, pc > 0)
				}
				for s := 0; s < shorts; s++ {
					r := full + s*smr
					for i := range smr {
						tab[i] = &v[e*vs+(r+i)*c+pc]
					}
					pl.tr.short(1, kb, &tab[0], &b[0], nr, &m[e*ms+r*pl.ldm+jc], pl.ldm, flags, nil)
				}
			}
		}
	}
}

// winogradStrips splits rows GEMM rows into full/mr strips of the
// micro-kernel followed by shorts strips of the short kernel (smr rows; 0:
// none), computing the fewest rows (ties: the fewest short strips, whose
// kernel uses each weight load for fewer rows): 16 tiles of 4x4 take two
// strips of 8 rather than 14 and 8; 49 tiles of 2x2, three of 14 and one of
// 8. The rows computed never exceed roundUp(rows, mr), V's and M's padding.
func winogradStrips(rows, mr, smr int) (full, shorts int) {
	full = roundUp(rows, mr)
	if smr == 0 || smr >= mr {
		return full, 0
	}
	best := full
	for f := rows / mr * mr; f >= 0; f -= mr {
		n := ceilDiv(rows-f, smr)
		if f+n*smr < best {
			best, full, shorts = f+n*smr, f, n
		}
	}
	return full, shorts
}

// outputs applies the output transform, bias and activation to channels
// j0..j1-1 (j0 a multiple of the vector width) of tiles t0..t1-1 of M (tile
// t's point e at m[e*ms + (t-t0)*ldm]) and writes them into y.
func (pl *winogradPlan) outputs(ws *winogradWorkspace, m []float32, ms int, y []float32, t0, t1, j0, j1 int) {
	p := pl.p
	n := j1 - j0 // channels, from j0 on
	full := 0
	if l := pl.tr.lanes; l > 0 {
		full = n / l * l
	}
	bias := pl.bias
	if bias == nil {
		bias = ws.zero[:p.OutC]
	}
	bias = bias[j0:j1]
	out, f := &ws.out, pl.f
	for t := t0; t < t1; t++ {
		img, ti, tj := pl.tile(t)
		for a := 0; a < f; a++ {
			oh := f*ti + a
			for b := 0; b < f; b++ {
				ow := f*tj + b
				if oh < pl.oh && ow < pl.ow {
					out[f*a+b] = &y[((img*pl.oh+oh)*pl.ow+ow)*p.OutC+j0]
				} else {
					out[f*a+b] = &ws.sink[j0]
				}
			}
		}
		mt := m[(t-t0)*pl.ldm+j0:]
		if full > 0 {
			pl.tr.output(&mt[0], ms, full, &bias[0], pl.lo, pl.hi, &out[0])
		}
		if f == 4 {
			winogradOutput4Go(mt, ms, full, n, bias, pl.lo, pl.hi, out)
		} else {
			winogradOutputGo(mt, ms, full, n, bias, pl.lo, pl.hi, (*[4]*float32)(out[:4]))
		}
	}
}
