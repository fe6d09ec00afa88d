package kernels

import (
	"sync"
	"unsafe"
)

// The forward convolution is an indirect convolution (XNNPACK's scheme) on a
// GEMM-like micro-kernel: the output, viewed as an M x OutC matrix (M = N *
// OutH * OutW pixels), is computed in tiles of mr pixels x nr
// channels. The reduction over K = KH*KW*C runs over segments: a segment is one
// filter tap (kh, kw) and a range of input channels, so each pixel's operand is
// a contiguous run of NHWC input (or of a zero buffer where the tap falls in
// the padding), found through a table of pointers built per block of pixels.
// No im2col copy is made, except for inputs with few channels (the first layer
// of a network), where the taps of each pixel are gathered into one row first
// so that the segments are long. The weights (HWIO = K x OutC row-major) are
// read in place when OutC is a multiple of 16, else from panels packed per
// call or once by PackConvWeights. Bias and activation are applied in the
// micro-kernel's epilogue.

// convKernelSpec is one conv micro-kernel: an mr pixels x nr channels tile,
// in assembly (asm) or, where asm is nil, convKernelGeneric.
type convKernelSpec struct {
	mr, nr int
	asm    func(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32)
	stream bool // the kernel honours convStream (and storeFence orders it)
	// strided are the asm kernels with one pointer per segment, row i at
	// row 0 + i*rs floats, tallest first (none: nil).
	strided []stridedKernel
	// alt is a shorter kernel of the same width, taken where its strips
	// compute fewer rows (49 pixels: 7 strips of 7 rather than 7 of 8).
	alt *convKernelSpec
}

// stridedKernel is a strided conv micro-kernel of mr rows (and its spec's nr
// columns). A tall tile pays where the reduction is short (a first layer:
// K = 27 for 3x3 RGB), as it loads each B vector once for more rows.
type stridedKernel struct {
	mr int
	fn func(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32, rs int)
}

// maxConvMR bounds mr over the conv micro-kernels.
const maxConvMR = 8

// Epilogue flags of the conv micro-kernel (asm/conv/main.go has the same).
const (
	convAccumulate = 1
	convBias       = 2
	convReLU       = 4
	convReLU6      = 8
	convStream     = 16 // non-temporal stores (aligned rows; storeFence after)
)

const (
	convKC       = 256 // reduction length per block, at most (a KC x nr weight sliver stays near L1)
	convMC       = 96  // output pixels per block, at least
	convMaxMC    = 1024
	convSmallC   = 16 // below this many channels the taps are gathered per pixel (im2col rows)
	convMaxIm2K  = 4096
	convZeroSize = 4096
)

// convStreamBytes, when positive, replaces the L3 size as the output size
// above which the conv kernels store with non-temporal hints (tests lower it).
var convStreamBytes int

func convStreamMin() int {
	if convStreamBytes > 0 {
		return convStreamBytes
	}
	return max(machineCaches.L3, 1<<20)
}

// convL2Floats is the L2 cache size in floats.
func convL2Floats() int { return max(machineCaches.L2, 256<<10) / 4 }

var convKCTune = convKC // tests and tuning vary it

// conv2D dispatches the forward convolution.
// conv2D computes y = f(act(conv(x, w) + bias)); the pointwise path applies
// f (0: none) block by block, the indirect one after it.
func conv2D(p ConvParams, x []float32, w convWeights, bias []float32, act Activation, f Nonlinear, y []float32) {
	checkLen("Conv2D", "x", x, p.N*p.H*p.W*p.C)
	checkLen("Conv2D", "y", y, p.N*p.OutH()*p.OutW()*p.OutC)
	if bias != nil {
		checkLen("Conv2D", "bias", bias, p.OutC)
	}
	if p.N*p.OutH()*p.OutW() == 0 {
		return
	}
	if pointwiseOK(p) {
		conv2DPointwise(p, x, w, bias, nil, act, f, y)
		return
	}
	conv2DIndirect(p, x, w, bias, act, y)
	applyAfter(f, y[:p.N*p.OutH()*p.OutW()*p.OutC])
}

// convWorkspace is one task's scratch, pooled across calls.
type convWorkspace struct {
	tab  []*float32 // row pointers: per strip, per segment, mr pointers
	im2  []float32  // gathered rows (small C)
	obuf []float32  // output block when the tile cannot be written in place
	zero []float32
}

var convWorkspaces = sync.Pool{New: func() any { return &convWorkspace{zero: make([]float32, convZeroSize)} }}

// convPlan is the blocking of one indirect convolution: the operand tensor
// A (N, aH, aW, aC) is read through the pointer table and the output (N, oh,
// ow, oc) is written in tiles. The forward convolution reads x and writes y;
// the input gradient (transposed) reads dy and writes dx, with the taps whose
// output position is not on the stride grid pointing at zeros.
type convPlan struct {
	p          ConvParams
	geom       windowGeom // p's, for src
	transposed bool
	aH, aW, aC int // operand tensor
	oh, ow, oc int // output tensor
	m          int
	k          int
	gather     bool // small C: gather each pixel's K values into a row
	rows       bool // small C: segments are whole filter rows of a padded copy of x
	strided    bool // rows, and every strip inside one output row: one pointer per strip and segment
	stridedFn  func(nseg, seglen int, a **float32, b *float32, ldb int, c *float32, ldc int, flags int, bias *float32, rs int)
	pH, pW     int // padded input size (rows mode)
	segLen     int // floats per segment
	segsPerTap int // C split into this many segments per tap (not gather)
	nseg       int // segments per pixel
	segsPerBlk int // segments per reduction block
	ocp        int // oc rounded up to nr
	uk         convKernelSpec
	mr, nr     int
	padBuf     *[]float32
}

// padInput returns x zero-padded to (N, pH, pW, C) in a pooled buffer
// (pl.padBuf, to be returned to floatPool).
func (pl *convPlan) padInput(x []float32) []float32 {
	p := &pl.p
	pl.padBuf = floatPool.Get().(*[]float32)
	*pl.padBuf = grow(*pl.padBuf, p.N*pl.pH*pl.pW*p.C)
	xp := *pl.padBuf
	ZeroPad2D(PadParams{N: p.N, H: p.H, W: p.W, C: p.C, Top: p.PadTop, Bottom: p.PadBottom, Left: p.PadLeft, Right: p.PadRight}, x, xp)
	return xp
}

func newConvPlan(p ConvParams, transposed bool) convPlan {
	pl := convPlan{p: p, geom: p.geom(), transposed: transposed, uk: active.conv}
	pl.mr, pl.nr = pl.uk.mr, pl.uk.nr
	if transposed {
		pl.aH, pl.aW, pl.aC = p.OutH(), p.OutW(), p.OutC
		pl.oh, pl.ow, pl.oc = p.H, p.W, p.C
	} else {
		pl.aH, pl.aW, pl.aC = p.H, p.W, p.C
		pl.oh, pl.ow, pl.oc = p.OutH(), p.OutW(), p.OutC
	}
	pl.m = p.N * pl.oh * pl.ow
	pl.k = p.KH * p.KW * pl.aC
	pl.ocp = roundUp(pl.oc, pl.nr)
	switch {
	case !transposed && pl.aC < convSmallC && p.DilationW == 1 && p.KW*pl.aC <= convKCTune:
		// A filter row (KW taps x C channels) is contiguous in a padded
		// copy of x: one segment per row, no gathering.
		pl.rows = true
		pl.pH, pl.pW = p.H+p.PadTop+p.PadBottom, p.W+p.PadLeft+p.PadRight
		pl.segLen = p.KW * pl.aC
		pl.nseg = p.KH
		pl.segsPerBlk = balanceBlocks(pl.nseg, max(1, convKCTune/pl.segLen))
	case pl.aC < convSmallC && pl.k <= convMaxIm2K:
		pl.gather = true
		nb := (pl.k + convKCTune - 1) / convKCTune
		pl.segLen = (pl.k + nb - 1) / nb
		pl.nseg = nb
		pl.segsPerBlk = 1
	case pl.aC <= convKC:
		pl.segLen = pl.aC
		pl.segsPerTap = 1
		pl.nseg = p.KH * p.KW
		pl.segsPerBlk = balanceBlocks(pl.nseg, max(1, convKCTune/pl.aC))
	default:
		nb := (pl.aC + convKCTune - 1) / convKCTune
		pl.segLen = (pl.aC + nb - 1) / nb
		pl.segsPerTap = nb
		pl.nseg = p.KH * p.KW * nb
		pl.segsPerBlk = 1
	}
	return pl
}

// src returns the operand pixel that output pixel (r, c) meets through tap
// (kh, kw), and false where that is padding (or, transposed, off the stride
// grid).
func (pl *convPlan) src(r, c, kh, kw int) (ih, iw int, ok bool) {
	if pl.transposed {
		return pl.geom.out(r, c, kh, kw)
	}
	return pl.geom.in(r, c, kh, kw)
}

// balanceBlocks returns how many of n segments go in each reduction block
// when at most most fit: the blocks are made as even as their count allows
// (9 taps by at most 4: 3, 3, 3 rather than 4, 4, 1).
func balanceBlocks(n, most int) int {
	blocks := (n + most - 1) / most
	return (n + blocks - 1) / blocks
}

// uniform reports whether segments [g0, g1) have one length, and which.
func (pl *convPlan) uniform(g0, g1 int) (seglen int, ok bool) {
	_, seglen = pl.segK(g0)
	if _, last := pl.segK(g1 - 1); last != seglen {
		return 0, false
	}
	return seglen, true
}

// segK returns the reduction index and length of segment s.
func (pl *convPlan) segK(s int) (k0, n int) {
	if pl.rows {
		return s * pl.segLen, pl.segLen
	}
	if pl.gather {
		k0 = s * pl.segLen
		return k0, min(pl.segLen, pl.k-k0)
	}
	tap, part := s/pl.segsPerTap, s%pl.segsPerTap
	c0 := part * pl.segLen
	return tap*pl.aC + c0, min(pl.segLen, pl.aC-c0)
}

// conv2DIndirect runs the forward convolution.
func conv2DIndirect(p ConvParams, x []float32, w convWeights, bias []float32, act Activation, y []float32) {
	pl := newConvPlan(p, false)
	pl.run(x, w, bias, act, y)
}

// run computes the output over tasks of convMC pixels (and, when there are
// few pixels, ranges of output channels). w is the K x oc weight matrix.
func (pl *convPlan) run(x []float32, w convWeights, bias []float32, act Activation, y []float32) {
	// Weights: in place when oc is a multiple of 16, else packed panels.
	var wb []float32
	ldb := pl.oc
	panelStride := 0 // floats between the panels of 16 channels (0: in place)
	var packBuf *[]float32
	switch {
	case w.packed != nil && w.nr == pl.nr:
		wb, ldb, panelStride = w.packed, pl.nr, pl.k*pl.nr
	case pl.oc%pl.nr == 0:
		wb = w.raw
	default:
		packBuf = floatPool.Get().(*[]float32)
		*packBuf = packPanels(w.raw, pl.k, pl.oc, pl.nr, *packBuf)
		wb, ldb, panelStride = *packBuf, pl.nr, pl.k*pl.nr
		defer floatPool.Put(packBuf)
	}
	var biasPad []float32
	if bias != nil {
		if pl.oc%pl.nr == 0 {
			biasPad = bias[:pl.oc]
		} else {
			var sc scratch
			sc.init(pl.ocp, 0)
			defer sc.free()
			biasPad = sc.f32(pl.ocp)
			copy(biasPad, bias)
		}
	}
	flagsLast := 0
	if bias != nil {
		flagsLast |= convBias
	}
	switch act {
	case ActReLU:
		flagsLast |= convReLU
	case ActReLU6:
		flagsLast |= convReLU6
	}

	if pl.rows {
		x = pl.padInput(x)
		defer floatPool.Put(pl.padBuf)
		// Strips of mr pixels never straddle an output row when mr divides
		// OutW (pixel blocks are multiples of mr): the strip's rows are then
		// at a fixed stride and one pointer per segment is enough. The
		// tallest strided kernel whose mr divides OutW is used. Where the
		// output channels are not whole panels (MobileNetV3's first layer
		// has 16), the tiles go through obuf.
		for _, sk := range pl.uk.strided {
			if pl.ow%sk.mr == 0 {
				pl.strided, pl.stridedFn, pl.mr = true, sk.fn, sk.mr
				break
			}
		}
	}
	// Outputs larger than the last-level cache are written with non-temporal
	// stores (no read for ownership), where the rows are vector-aligned.
	vb := uintptr(pl.nr * 2) // bytes per vector: nr/2 floats
	stream := pl.uk.stream && pl.m*pl.oc*4 > convStreamMin() && pl.oc%pl.nr == 0 &&
		uintptr(unsafe.Pointer(&y[0]))%vb == 0
	if stream {
		flagsLast |= convStream
	}
	t := Threads()
	// Pixel blocks: as large as keeps a block's operands for one reduction
	// block (mc x convKC floats) in half of L2, so that the weights, streamed
	// once per block, are read few times; at least one block per thread.
	mcMax := max(convMC, min(convMaxMC, convL2Floats()/2/convKCTune))
	// The shorter kernel where its strips compute a sixteenth fewer rows
	// (as in pwPick: 49 pixels in 7 strips of 7, not 8).
	if a := pl.uk.alt; a != nil && !pl.rows && !pl.gather && a.nr == pl.nr &&
		convRows(pl.m, mcMax, t, a.mr)*16 < convRows(pl.m, mcMax, t, pl.mr)*15 {
		pl.uk, pl.mr = *a, a.mr
	}
	mc, mTasks := pwBlocks(pl.m, mcMax, t, pl.mr)
	nParts := 1
	if mTasks < 2*t && pl.ocp >= 2*pl.nr*t {
		nParts = 2 * t
	}
	panels := pl.ocp / pl.nr
	parallel(mTasks*nParts, func(task int) {
		mt, nt := task/nParts, task%nParts
		j0 := panels * nt / nParts * pl.nr
		j1 := panels * (nt + 1) / nParts * pl.nr
		m0 := mt * mc
		m1 := min(pl.m, m0+mc)
		ws := convWorkspaces.Get().(*convWorkspace)
		defer convWorkspaces.Put(ws)
		pl.block(ws, x, wb, ldb, panelStride, biasPad, flagsLast, y, m0, m1, j0, j1)
		if stream {
			storeFence()
		}
	})
}

// convRows returns the rows the strips of mr compute over m pixels in the
// blocks of run (each block's last strip padded to mr).
func convRows(m, mcMax, t, mr int) int {
	mc, _ := pwBlocks(m, mcMax, t, mr)
	rows := m / mc * roundUp(mc, mr)
	if r := m % mc; r > 0 {
		rows += roundUp(r, mr)
	}
	return rows
}

var floatPool = sync.Pool{New: func() any { return new([]float32) }}

// block computes output pixels [m0, m1) x channels [j0, j1).
func (pl *convPlan) block(ws *convWorkspace, x, wb []float32, ldb, panelStride int, bias []float32, flagsLast int, y []float32, m0, m1, j0, j1 int) {
	mr, nr := pl.mr, pl.nr
	mcount := m1 - m0
	strips := (mcount + mr - 1) / mr
	if len(ws.zero) < pl.segLen {
		ws.zero = make([]float32, pl.segLen)
	}
	zero := &ws.zero[0]
	// The pointer table: per strip, per segment, mr row pointers.
	if pl.strided {
		ws.tab = growPtrs(ws.tab, strips*pl.nseg)
	} else {
		ws.tab = growPtrs(ws.tab, strips*pl.nseg*mr)
	}
	tab := ws.tab
	if pl.gather {
		ws.im2 = grow(ws.im2, strips*mr*pl.k)
		pl.gatherRows(ws.im2, x, m0, m1)
	}
	if pl.strided {
		pl.fillStrided(x, tab, m0, strips)
	} else {
		pl.fillTable(ws, x, tab, m0, m1, strips, zero)
	}
	// Output: in place when whole tiles fit in y, else through obuf.
	inPlace := pl.oc%nr == 0
	obufLd := pl.ocp
	if !inPlace || mcount%mr != 0 {
		ws.obuf = grow(ws.obuf, strips*mr*obufLd)
	}
	for g0 := 0; g0 < pl.nseg; g0 += pl.segsPerBlk {
		g1 := min(pl.nseg, g0+pl.segsPerBlk)
		k0, _ := pl.segK(g0)
		// Segments of one block have equal lengths except possibly the last
		// segment of a split C; run them in runs of equal length.
		flags := 0
		if g0 > 0 {
			flags |= convAccumulate
		}
		if g1 == pl.nseg {
			flags |= flagsLast
		}
		for j := j0; j < j1; j += nr {
			var bOff int
			if panelStride > 0 {
				bOff = j/nr*panelStride + k0*nr
			} else {
				bOff = k0*ldb + j
			}
			s0 := 0
			if (inPlace || pl.strided) && pl.uk.asm != nil {
				// The full strips written in place (or, strided, into
				// obuf), straight to the assembly when the block's
				// segments have one length.
				if seglen, ok := pl.uniform(g0, g1); ok && mcount >= mr {
					full := mcount / mr
					var bp *float32
					if bias != nil && flags&convBias != 0 {
						bp = &bias[j]
					}
					_ = wb[bOff+((g1-g0)*seglen-1)*ldb+nr-1]
					out, ldc, f := y[m0*pl.oc+j:], pl.oc, flags
					if !inPlace {
						out, ldc, f = ws.obuf[j:], obufLd, flags&^convStream
					}
					_ = out[(full*mr-1)*ldc+nr-1]
					if pl.strided {
						rs := pl.p.StrideW * pl.aC
						for ; s0 < full; s0++ {
							pl.stridedFn(g1-g0, seglen, &tab[s0*pl.nseg+g0], &wb[bOff], ldb, &out[s0*mr*ldc], ldc, f, bp, rs)
						}
					}
					for ; s0 < full; s0++ {
						pl.uk.asm(g1-g0, seglen, &tab[(s0*pl.nseg+g0)*mr], &wb[bOff], ldb, &out[s0*mr*ldc], ldc, f, bp)
					}
				}
			}
			for s := s0; s < strips; s++ {
				full := inPlace && (s+1)*mr <= mcount
				var c []float32
				ldc, f := pl.oc, flags
				if full {
					c = y[(m0+s*mr)*pl.oc+j:]
				} else {
					c = ws.obuf[s*mr*obufLd+j:]
					ldc = obufLd
					f &^= convStream
				}
				pl.runSegs(tab[(s*pl.nseg+g0)*mr:(s*pl.nseg+g1)*mr], g0, g1, wb[bOff:], ldb, c, ldc, f, bias, j)
			}
		}
	}
	// Copy what went through obuf.
	if !inPlace || mcount%mr != 0 {
		for s := 0; s < strips; s++ {
			if inPlace && (s+1)*mr <= mcount {
				continue
			}
			for i := 0; i < mr; i++ {
				m := m0 + s*mr + i
				if m >= m1 {
					break
				}
				copy(y[m*pl.oc+j0:m*pl.oc+min(j1, pl.oc)], ws.obuf[(s*mr+i)*obufLd+j0:])
			}
		}
	}
}

// runSegs runs the micro-kernel over segments g0..g1 of one strip, splitting
// them into runs of equal length (the last segment of a split C or of the
// gathered row may be shorter).
func (pl *convPlan) runSegs(tab []*float32, g0, g1 int, b []float32, ldb int, c []float32, ldc, flags int, bias []float32, j int) {
	for g0 < g1 {
		_, n := pl.segK(g0)
		g := g0 + 1
		for g < g1 {
			if _, n2 := pl.segK(g); n2 != n {
				break
			}
			g++
		}
		f := flags
		if g < g1 {
			f &^= convBias | convReLU | convReLU6 | convStream
		}
		var bp *float32
		if bias != nil && f&convBias != 0 {
			bp = &bias[j]
		}
		convMicro(pl.uk, g-g0, n, tab, b, ldb, c, ldc, f, bp)
		if g < g1 {
			tab = tab[(g-g0)*pl.mr:]
			b = b[(g-g0)*n*ldb:]
		}
		flags |= convAccumulate
		g0 = g
	}
}

// fillStrided sets the strided pointer table of the strips from pixel m0: for
// strip s and segment g, tab[s*nseg+g] points at the operand of the strip's
// first pixel (rows mode; the strip's other pixels follow at StrideW*C).
func (pl *convPlan) fillStrided(x []float32, tab []*float32, m0, strips int) {
	p := &pl.p
	n, r, c := m0/(pl.oh*pl.ow), m0/pl.ow%pl.oh, m0%pl.ow
	step := p.DilationH * pl.pW * pl.aC
	for s := 0; s < strips; s++ {
		base := ((n*pl.pH+r*p.StrideH)*pl.pW + c*p.StrideW) * pl.aC
		row := tab[s*pl.nseg : (s+1)*pl.nseg]
		for g := range row {
			row[g] = &x[base+g*step]
		}
		if c += pl.mr; c == pl.ow {
			c = 0
			if r++; r == pl.oh {
				r = 0
				n++
			}
		}
	}
}

// fillTable sets the pointer table of pixels [m0, m1): for strip s, segment
// g and row i, tab[(s*nseg+g)*mr+i] points at the operand of pixel
// m0+s*mr+i for that segment (zero for padding and for rows past m1).
func (pl *convPlan) fillTable(ws *convWorkspace, x []float32, tab []*float32, m0, m1, strips int, zero *float32) {
	p := &pl.p
	mr, nseg := pl.mr, pl.nseg
	n, r, c := m0/(pl.oh*pl.ow), m0/pl.ow%pl.oh, m0%pl.ow
	s, i := 0, 0 // strip and row of pixel lm, kept without dividing
	for lm := 0; lm < strips*mr; lm++ {
		row := tab[s*nseg*mr+i:]
		if i++; i == mr {
			i = 0
			s++
		}
		switch {
		case m0+lm >= m1:
			for g := 0; g < nseg; g++ {
				row[g*mr] = zero
			}
		case pl.gather:
			for g := 0; g < nseg; g++ {
				row[g*mr] = &ws.im2[lm*pl.k+g*pl.segLen]
			}
		case pl.rows:
			base := ((n*pl.pH+r*p.StrideH)*pl.pW + c*p.StrideW) * pl.aC
			step := p.DilationH * pl.pW * pl.aC
			for g := 0; g < nseg; g++ {
				row[g*mr] = &x[base+g*step]
			}
		default:
			g := 0
			for kh := 0; kh < p.KH; kh++ {
				for kw := 0; kw < p.KW; kw++ {
					ih, iw, ok := pl.src(r, c, kh, kw)
					base := ((n*pl.aH+ih)*pl.aW + iw) * pl.aC
					for part := 0; part < pl.segsPerTap; part++ {
						if ok {
							row[g*mr] = &x[base+part*pl.segLen]
						} else {
							row[g*mr] = zero
						}
						g++
					}
				}
			}
		}
		if c++; c == pl.ow {
			c = 0
			if r++; r == pl.oh {
				r = 0
				n++
			}
		}
	}
}

// gatherRows writes, for pixels [m0, m1), the K = KH*KW*C operand values of
// each pixel (zeros in the padding) as consecutive rows of dst.
func (pl *convPlan) gatherRows(dst, x []float32, m0, m1 int) {
	p := &pl.p
	for m := m0; m < m1; m++ {
		row := dst[(m-m0)*pl.k : (m-m0+1)*pl.k]
		n := m / (pl.oh * pl.ow)
		r := m / pl.ow % pl.oh
		c := m % pl.ow
		for kh := 0; kh < p.KH; kh++ {
			for kw := 0; kw < p.KW; kw++ {
				d := row[(kh*p.KW+kw)*pl.aC : (kh*p.KW+kw+1)*pl.aC]
				ih, iw, ok := pl.src(r, c, kh, kw)
				if !ok {
					clear(d)
					continue
				}
				copy(d, x[((n*pl.aH+ih)*pl.aW+iw)*pl.aC:])
			}
		}
	}
}

func growPtrs(s []*float32, n int) []*float32 {
	if cap(s) < n {
		return make([]*float32, n)
	}
	return s[:n]
}

// convMicro runs the conv micro-kernel uk, assembly or its Go twin.
func convMicro(uk convKernelSpec, nseg, seglen int, tab []*float32, b []float32, ldb int, c []float32, ldc, flags int, bias *float32) {
	mr, nr := uk.mr, uk.nr
	_ = tab[nseg*mr-1]
	_ = c[(mr-1)*ldc+nr-1]
	if nseg > 0 && seglen > 0 {
		_ = b[(nseg*seglen-1)*ldb+nr-1]
	}
	if uk.asm != nil {
		uk.asm(nseg, seglen, &tab[0], &b[0], ldb, &c[0], ldc, flags, bias)
		return
	}
	convKernelGeneric(mr, nr, nseg, seglen, tab, b, ldb, c, ldc, flags, bias)
}

// convKernelGeneric is the Go twin of the conv micro-kernels (see
// convKernel6x16's doc in conv_amd64_stub.go), for an mr x nr tile, nr <= 32.
func convKernelGeneric(mr, nr, nseg, seglen int, tab []*float32, b []float32, ldb int, c []float32, ldc, flags int, bias *float32) {
	var acc [maxConvMR][32]float32
	bo := 0
	for s := 0; s < nseg; s++ {
		var rows [maxConvMR][]float32
		for i := 0; i < mr; i++ {
			rows[i] = unsafe.Slice(tab[s*mr+i], seglen)
		}
		for q := 0; q < seglen; q++ {
			bs := b[bo : bo+nr : bo+nr]
			for i := 0; i < mr; i++ {
				a := rows[i][q]
				ai := acc[i][:nr]
				for j, bv := range bs {
					ai[j] += a * bv
				}
			}
			bo += ldb
		}
	}
	var bs []float32
	if flags&convBias != 0 {
		bs = unsafe.Slice(bias, nr)
	}
	for i := 0; i < mr; i++ {
		row := c[i*ldc : i*ldc+nr]
		for j := range row {
			v := acc[i][j]
			if flags&convAccumulate != 0 {
				v = row[j] + v
			}
			if bs != nil {
				v += bs[j]
			}
			if flags&(convReLU|convReLU6) != 0 {
				v = max(v, 0)
			}
			if flags&convReLU6 != 0 {
				v = min(v, 6)
			}
			row[j] = v
		}
	}
}

// conv2DBackwardInput runs the transposed indirect convolution: dx pixel
// (ih, iw) gathers, through tap (kh, kw), the dy pixel whose window put that
// tap on it, times the tap's weights transposed (OutC x C).
func conv2DBackwardInput(p ConvParams, dy, w, dx []float32) {
	if p.N*p.H*p.W == 0 {
		return
	}
	if p.OutH() == 0 || p.OutW() == 0 {
		clear(dx[:p.N*p.H*p.W*p.C])
		return
	}
	if p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadTop == 0 && p.PadBottom == 0 && p.PadLeft == 0 && p.PadRight == 0 {
		// 1x1: dx (M x C) = dy (M x OutC) * w^T, w being C x OutC.
		m := p.N * p.H * p.W
		Sgemm(false, true, m, p.C, p.OutC, 1, dy, p.OutC, w, p.OutC, 0, dx, p.C)
		return
	}
	if p.C < 8 {
		conv2DBackwardInputCol2im(p, dy, w, dx)
		return
	}
	if q, ok := winogradBackwardInputParams(p); ok {
		conv2DBackwardInputWinograd(p, q, dy, w, dx)
		return
	}
	buf := floatPool.Get().(*[]float32)
	defer floatPool.Put(buf)
	wt := transposeTaps(p, w, false, buf)
	pl := newConvPlan(p, true)
	pl.run(dy, convWeights{raw: wt}, nil, ActNone, dx)
}

// transposeTaps returns, in *buf (grown as needed), the HWIO weights w with
// each tap's C x OutC block transposed to OutC x C, and with reversed the
// taps in reverse order (tap t from tap KH*KW-1-t). In tasks of 64 input
// channels.
func transposeTaps(p ConvParams, w []float32, reversed bool, buf *[]float32) []float32 {
	taps, block := p.KH*p.KW, p.C*p.OutC
	*buf = grow(*buf, taps*block)
	wt := *buf
	const rowsPerTask = 64
	perTap := (p.C + rowsPerTask - 1) / rowsPerTask
	parallel(taps*perTap, func(task int) {
		t, r0 := task/perTap, task%perTap*rowsPerTask
		r1 := min(p.C, r0+rowsPerTask)
		from := t
		if reversed {
			from = taps - 1 - t
		}
		transposeRows(w[from*block:(from+1)*block], p.C, p.OutC, r0, r1, wt[t*block:(t+1)*block])
	})
	return wt
}

// conv2DBackwardInputCol2im computes dx for inputs with few channels (a
// first layer), where the transposed convolution would compute mostly padding:
// cols = dy * w^T (pixels x K) with Sgemm over chunks of output pixels, then
// each pixel's K values are added into the input pixels its window covers.
func conv2DBackwardInputCol2im(p ConvParams, dy, w, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	k := p.KH * p.KW * p.C
	hw := oh * ow
	clear(dx[:p.N*p.H*p.W*p.C])
	chunk := max(1, min(hw, convIm2colFloats/k))
	buf := floatPool.Get().(*[]float32)
	defer floatPool.Put(buf)
	*buf = grow(*buf, chunk*k)
	cols := *buf
	g := p.geom()
	for n := 0; n < p.N; n++ {
		for m0 := 0; m0 < hw; m0 += chunk {
			m1 := min(hw, m0+chunk)
			Sgemm(false, true, m1-m0, k, p.OutC, 1, dy[(n*hw+m0)*p.OutC:], p.OutC, w, p.OutC, 0, cols, k)
			for m := m0; m < m1; m++ {
				r, c := m/ow, m%ow
				row := cols[(m-m0)*k : (m-m0+1)*k]
				for kh := 0; kh < p.KH; kh++ {
					for kw := 0; kw < p.KW; kw++ {
						ih, iw, ok := g.in(r, c, kh, kw)
						if !ok {
							continue
						}
						d := dx[((n*p.H+ih)*p.W+iw)*p.C:][:p.C]
						for i, v := range row[(kh*p.KW+kw)*p.C : (kh*p.KW+kw+1)*p.C] {
							d[i] += v
						}
					}
				}
			}
		}
	}
}

// transposeRows sets rows [r0, r1) of src (rows x cols) as columns of dst
// (cols x rows): whole 8 x 8 tiles in assembly when it runs, the rest in Go.
func transposeRows(src []float32, rows, cols, r0, r1 int, dst []float32) {
	rt, ct := (r1-r0)&^7, cols&^7
	if v := active.elementwise; rt > 0 && ct > 0 && v != nil {
		// In 32 x 32 blocks, so that the block's source and destination
		// lines stay in L1 while its 16 tiles are done.
		const bs = 32
		for i := r0; i < r0+rt; i += bs {
			for j := 0; j < ct; j += bs {
				v.transpose8x8Tiles(&src[i*cols+j], cols, &dst[j*rows+i], rows, min(bs, r0+rt-i), min(bs, ct-j))
			}
		}
	} else {
		rt, ct = 0, 0
	}
	const tb = 8
	for j0 := 0; j0 < cols; j0 += tb {
		j1 := min(cols, j0+tb)
		i0 := r0
		if j0 < ct {
			i0 = r0 + rt // rows [r0, r0+rt) of these columns are done
		}
		for i := i0; i < r1; i++ {
			row := src[i*cols+j0 : i*cols+j1]
			for j, v := range row {
				dst[(j0+j)*rows+i] = v
			}
		}
	}
}

// conv2DBackwardWeights computes dw = im2col(x)^T * dy with Sgemm, over
// chunks of output pixels whose im2col rows are gathered into a pooled buffer
// (a 1x1 stride-1 unpadded convolution uses x itself).
func conv2DBackwardWeights(p ConvParams, x, dy, dw []float32) {
	pl := newConvPlan(p, false)
	k := pl.k
	dw = dw[:k*p.OutC]
	if pl.m == 0 {
		clear(dw)
		return
	}
	if uk := active.conv; uk.asm != nil && wgradRowsOK(p, uk) {
		conv2DBackwardWeightsRows(p, x, dy, dw, uk)
		return
	}
	if p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadTop == 0 && p.PadBottom == 0 && p.PadLeft == 0 && p.PadRight == 0 {
		Sgemm(true, false, p.C, p.OutC, pl.m, 1, x, p.C, dy, p.OutC, 0, dw, p.OutC)
		return
	}
	chunk := max(8, min(pl.m, convIm2colFloats/k))
	buf := floatPool.Get().(*[]float32)
	defer floatPool.Put(buf)
	*buf = grow(*buf, chunk*k)
	cols := *buf
	const rowsPerTask = 64
	for m0 := 0; m0 < pl.m; m0 += chunk {
		m1 := min(pl.m, m0+chunk)
		parallel((m1-m0+rowsPerTask-1)/rowsPerTask, func(t int) {
			r0 := m0 + t*rowsPerTask
			pl.gatherRows(cols[(r0-m0)*k:], x, r0, min(m1, r0+rowsPerTask))
		})
		beta := float32(1)
		if m0 == 0 {
			beta = 0
		}
		Sgemm(true, false, k, p.OutC, m1-m0, 1, cols, k, dy[m0*p.OutC:], p.OutC, beta, dw, p.OutC)
	}
}

// convIm2colFloats bounds the im2col buffer of the weight gradient.
const convIm2colFloats = 1 << 20
