package kernels

import (
	"sync"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// The forward convolution is an indirect convolution (XNNPACK's scheme) on a
// GEMM-like micro-kernel: the output, viewed as an M x OutC matrix (M = N *
// OutH * OutW pixels), is computed in tiles of convMR pixels x convNR
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

// The convolution micro-tile: convMR output pixels x convNR output channels.
const (
	convMR = 6
	convNR = 16
)

// Epilogue flags of the conv micro-kernel (asm/conv/main.go has the same).
const (
	convAccumulate = 1
	convBias       = 2
	convReLU       = 4
	convReLU6      = 8
)

const (
	convKC       = 256 // reduction length per block: a KC x 16 weight sliver stays in L1
	convMC       = 96  // output pixels per block
	convSmallC   = 16  // below this many channels the taps are gathered per pixel (im2col rows)
	convMaxIm2K  = 4096
	convZeroSize = 4096
)

// convAsmOK says the AVX2+FMA conv kernels can run here.
var convAsmOK = haveAVX2Asm && cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)

// convAsm says whether the conv kernels use the assembly now.
func convAsm() bool { return active != Generic && convAsmOK }

// conv2D dispatches the forward convolution.
func conv2D(p ConvParams, x []float32, w convWeights, bias []float32, act Activation, y []float32) {
	checkLen("Conv2D", "x", x, p.N*p.H*p.W*p.C)
	checkLen("Conv2D", "y", y, p.N*p.OutH()*p.OutW()*p.OutC)
	if bias != nil {
		checkLen("Conv2D", "bias", bias, p.OutC)
	}
	if p.N*p.OutH()*p.OutW() == 0 {
		return
	}
	conv2DIndirect(p, x, w, bias, act, y)
}

// convWorkspace is one task's scratch, pooled across calls.
type convWorkspace struct {
	tab  []*float32 // row pointers: per strip, per segment, convMR pointers
	im2  []float32  // gathered rows (small C)
	obuf []float32  // output block when the tile cannot be written in place
	zero []float32
}

var convWorkspaces = sync.Pool{New: func() any { return &convWorkspace{zero: make([]float32, convZeroSize)} }}

// convPlan is the blocking of one forward convolution.
type convPlan struct {
	p          ConvParams
	oh, ow, m  int
	k          int
	gather     bool // small C: gather each pixel's K values into a row
	segLen     int  // floats per segment
	segsPerTap int  // C split into this many segments per tap (not gather)
	nseg       int  // segments per pixel
	segsPerBlk int  // segments per reduction block
	ocp        int  // OutC rounded up to convNR
}

func newConvPlan(p ConvParams) convPlan {
	pl := convPlan{p: p, oh: p.OutH(), ow: p.OutW()}
	pl.m = p.N * pl.oh * pl.ow
	pl.k = p.KH * p.KW * p.C
	pl.ocp = roundUp(p.OutC, convNR)
	switch {
	case p.C < convSmallC && pl.k <= convMaxIm2K:
		pl.gather = true
		nb := (pl.k + convKC - 1) / convKC
		pl.segLen = (pl.k + nb - 1) / nb
		pl.nseg = nb
		pl.segsPerBlk = 1
	case p.C <= convKC:
		pl.segLen = p.C
		pl.segsPerTap = 1
		pl.nseg = p.KH * p.KW
		pl.segsPerBlk = max(1, convKC/p.C)
	default:
		nb := (p.C + convKC - 1) / convKC
		pl.segLen = (p.C + nb - 1) / nb
		pl.segsPerTap = nb
		pl.nseg = p.KH * p.KW * nb
		pl.segsPerBlk = 1
	}
	return pl
}

// segK returns the reduction index and length of segment s.
func (pl *convPlan) segK(s int) (k0, n int) {
	if pl.gather {
		k0 = s * pl.segLen
		return k0, min(pl.segLen, pl.k-k0)
	}
	tap, part := s/pl.segsPerTap, s%pl.segsPerTap
	c0 := part * pl.segLen
	return tap*pl.p.C + c0, min(pl.segLen, pl.p.C-c0)
}

// conv2DIndirect runs the forward convolution over tasks of convMC pixels
// (and, when there are few pixels, ranges of output channels).
func conv2DIndirect(p ConvParams, x []float32, w convWeights, bias []float32, act Activation, y []float32) {
	pl := newConvPlan(p)
	// Weights: in place when OutC is a multiple of 16, else packed panels.
	var wb []float32
	ldb := p.OutC
	panelStride := 0 // floats between the panels of 16 channels (0: in place)
	var packBuf *[]float32
	switch {
	case w.packed != nil:
		wb, ldb, panelStride = w.packed, convNR, pl.k*convNR
	case p.OutC%convNR == 0:
		wb = w.raw
	default:
		packBuf = floatPool.Get().(*[]float32)
		*packBuf = packPanels(w.raw, pl.k, p.OutC, *packBuf)
		wb, ldb, panelStride = *packBuf, convNR, pl.k*convNR
		defer floatPool.Put(packBuf)
	}
	var biasPad []float32
	if bias != nil {
		if p.OutC%convNR == 0 {
			biasPad = bias[:p.OutC]
		} else {
			biasPad = make([]float32, pl.ocp)
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

	t := Threads()
	mc := convMC
	mTasks := (pl.m + mc - 1) / mc
	if mTasks < 4*t {
		// Few pixels: smaller blocks, and split the channels too.
		mc = max(convMR, roundUp((pl.m+4*t-1)/(4*t), convMR))
		mTasks = (pl.m + mc - 1) / mc
	}
	nParts := 1
	if mTasks < 2*t && pl.ocp >= 2*convNR*t {
		nParts = 2 * t
	}
	panels := pl.ocp / convNR
	asm := convAsm()
	parallel(mTasks*nParts, func(task int) {
		mt, nt := task/nParts, task%nParts
		j0 := panels * nt / nParts * convNR
		j1 := panels * (nt + 1) / nParts * convNR
		m0 := mt * mc
		m1 := min(pl.m, m0+mc)
		ws := convWorkspaces.Get().(*convWorkspace)
		defer convWorkspaces.Put(ws)
		pl.block(ws, x, wb, ldb, panelStride, biasPad, flagsLast, y, m0, m1, j0, j1, asm)
	})
}

var floatPool = sync.Pool{New: func() any { return new([]float32) }}

// block computes output pixels [m0, m1) x channels [j0, j1).
func (pl *convPlan) block(ws *convWorkspace, x, wb []float32, ldb, panelStride int, bias []float32, flagsLast int, y []float32, m0, m1, j0, j1 int, asm bool) {
	p := &pl.p
	mcount := m1 - m0
	strips := (mcount + convMR - 1) / convMR
	if len(ws.zero) < pl.segLen {
		ws.zero = make([]float32, pl.segLen)
	}
	zero := &ws.zero[0]
	// The pointer table: per strip, per segment, convMR row pointers.
	ws.tab = growPtrs(ws.tab, strips*pl.nseg*convMR)
	tab := ws.tab
	if pl.gather {
		ws.im2 = grow(ws.im2, strips*convMR*pl.k)
		pl.gatherRows(ws.im2, x, m0, m1)
	}
	for s := 0; s < strips; s++ {
		for i := 0; i < convMR; i++ {
			m := m0 + s*convMR + i
			for g := 0; g < pl.nseg; g++ {
				ptr := zero
				if m < m1 {
					ptr = pl.segPtr(ws, x, m, m-m0, g, zero)
				}
				tab[(s*pl.nseg+g)*convMR+i] = ptr
			}
		}
	}
	// Output: in place when whole tiles fit in y, else through obuf.
	inPlace := p.OutC%convNR == 0
	obufLd := pl.ocp
	if !inPlace || mcount%convMR != 0 {
		ws.obuf = grow(ws.obuf, strips*convMR*obufLd)
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
		for j := j0; j < j1; j += convNR {
			var bOff int
			if panelStride > 0 {
				bOff = j/convNR*panelStride + k0*convNR
			} else {
				bOff = k0*ldb + j
			}
			for s := 0; s < strips; s++ {
				full := inPlace && (s+1)*convMR <= mcount
				var c []float32
				ldc := p.OutC
				if full {
					c = y[(m0+s*convMR)*p.OutC+j:]
				} else {
					c = ws.obuf[s*convMR*obufLd+j:]
					ldc = obufLd
				}
				pl.runSegs(asm, tab[(s*pl.nseg+g0)*convMR:(s*pl.nseg+g1)*convMR], g0, g1, wb[bOff:], ldb, c, ldc, flags, bias, j)
			}
		}
	}
	// Copy what went through obuf.
	if !inPlace || mcount%convMR != 0 {
		for s := 0; s < strips; s++ {
			if inPlace && (s+1)*convMR <= mcount {
				continue
			}
			for i := 0; i < convMR; i++ {
				m := m0 + s*convMR + i
				if m >= m1 {
					break
				}
				copy(y[m*p.OutC+j0:m*p.OutC+min(j1, p.OutC)], ws.obuf[(s*convMR+i)*obufLd+j0:])
			}
		}
	}
}

// runSegs runs the micro-kernel over segments g0..g1 of one strip, splitting
// them into runs of equal length (the last segment of a split C or of the
// gathered row may be shorter).
func (pl *convPlan) runSegs(asm bool, tab []*float32, g0, g1 int, b []float32, ldb int, c []float32, ldc, flags int, bias []float32, j int) {
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
			f &^= convBias | convReLU | convReLU6
		}
		var bp *float32
		if bias != nil && f&convBias != 0 {
			bp = &bias[j]
		}
		convMicro(asm, g-g0, n, tab, b, ldb, c, ldc, f, bp)
		if g < g1 {
			tab = tab[(g-g0)*convMR:]
			b = b[(g-g0)*n*ldb:]
		}
		flags |= convAccumulate
		g0 = g
	}
}

// segPtr returns the pointer to the operand of pixel m (local row lm) for
// segment g.
func (pl *convPlan) segPtr(ws *convWorkspace, x []float32, m, lm, g int, zero *float32) *float32 {
	if pl.gather {
		return &ws.im2[lm*pl.k+g*pl.segLen]
	}
	p := &pl.p
	tap, part := g/pl.segsPerTap, g%pl.segsPerTap
	kh, kw := tap/p.KW, tap%p.KW
	n := m / (pl.oh * pl.ow)
	r := m / pl.ow % pl.oh
	c := m % pl.ow
	ih := r*p.StrideH + kh*p.DilationH - p.PadTop
	iw := c*p.StrideW + kw*p.DilationW - p.PadLeft
	if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
		return zero
	}
	return &x[((n*p.H+ih)*p.W+iw)*p.C+part*pl.segLen]
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
			ih := r*p.StrideH + kh*p.DilationH - p.PadTop
			for kw := 0; kw < p.KW; kw++ {
				iw := c*p.StrideW + kw*p.DilationW - p.PadLeft
				d := row[(kh*p.KW+kw)*p.C : (kh*p.KW+kw+1)*p.C]
				if ih < 0 || ih >= p.H || iw < 0 || iw >= p.W {
					clear(d)
					continue
				}
				copy(d, x[((n*p.H+ih)*p.W+iw)*p.C:])
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

// convMicro runs the conv micro-kernel, assembly or its Go twin.
func convMicro(asm bool, nseg, seglen int, tab []*float32, b []float32, ldb int, c []float32, ldc, flags int, bias *float32) {
	_ = tab[nseg*convMR-1]
	_ = c[(convMR-1)*ldc+convNR-1]
	if nseg > 0 && seglen > 0 {
		_ = b[(nseg*seglen-1)*ldb+convNR-1]
	}
	if asm {
		convKernel6x16(nseg, seglen, &tab[0], &b[0], ldb, &c[0], ldc, flags, bias)
		return
	}
	convKernelGeneric(nseg, seglen, tab, b, ldb, c, ldc, flags, bias)
}

// convKernelGeneric is the Go twin of convKernel6x16 (see its doc in
// conv_amd64_stub.go).
func convKernelGeneric(nseg, seglen int, tab []*float32, b []float32, ldb int, c []float32, ldc, flags int, bias *float32) {
	var acc [convMR][convNR]float32
	bo := 0
	for s := 0; s < nseg; s++ {
		var rows [convMR][]float32
		for i := range rows {
			rows[i] = unsafe.Slice(tab[s*convMR+i], seglen)
		}
		for q := 0; q < seglen; q++ {
			bs := b[bo : bo+convNR : bo+convNR]
			for i := range rows {
				a := rows[i][q]
				ai := &acc[i]
				for j, bv := range bs {
					ai[j] += a * bv
				}
			}
			bo += ldb
		}
	}
	var bs []float32
	if flags&convBias != 0 {
		bs = unsafe.Slice(bias, convNR)
	}
	for i := range acc {
		row := c[i*ldc : i*ldc+convNR]
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

func conv2DBackwardInput(p ConvParams, dy, w, dx []float32) {
	conv2DBackwardInputDirect(p, dy, w, dx)
}

func conv2DBackwardWeights(p ConvParams, x, dy, dw []float32) {
	conv2DBackwardWeightsDirect(p, x, dy, dw)
}
