package kernels

import (
	"fmt"
	"sync"
)

// Activation is an activation fused into a kernel's output.
type Activation int

const (
	ActNone  Activation = iota // identity
	ActReLU                    // max(x, 0)
	ActReLU6                   // min(max(x, 0), 6)
)

func (a Activation) String() string {
	if _, f := a.split(); f != 0 {
		return "then " + f.String()
	}
	switch a {
	case ActNone:
		return "none"
	case ActReLU:
		return "relu"
	case ActReLU6:
		return "relu6"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// actThen is the first Activation that Then returns: actThen + f.
const actThen Activation = 16

// Then returns the activation that applies the Nonlinear f to the output
// of Conv2DPacked, Conv2DPackedAdd, Conv2D or DepthwiseConv2D as the kernel
// writes it: block by block while each block is still in cache, where a
// pass after the kernel would read the whole output back from memory. The
// result has the bits ApplyNonlinear gives. Other kernels refuse it.
func Then(f Nonlinear) Activation {
	f.check("Then")
	return actThen + Activation(f)
}

// split returns the part of a that kernels fuse through their flags and
// the Nonlinear that Then adds (0: none).
func (a Activation) split() (Activation, Nonlinear) {
	if a >= actThen {
		return ActNone, Nonlinear(a - actThen)
	}
	return a, 0
}

// applyAfter applies f (0: none) to the whole output of a kernel that does
// not fuse it.
func applyAfter(f Nonlinear, y []float32) {
	if f != 0 {
		ApplyNonlinear(f, y, y)
	}
}

// flagsOnly panics when a carries a Nonlinear, for the kernels that apply
// only the flag-fused activations.
func (a Activation) flagsOnly(op string) {
	if _, f := a.split(); f != 0 {
		panic(fmt.Sprintf("kernels: %s: activation %v is not fused here", op, a))
	}
}

// apply returns the activation of v.
func (a Activation) apply(v float32) float32 {
	switch a {
	case ActReLU:
		return max(v, 0)
	case ActReLU6:
		return min(max(v, 0), 6)
	}
	return v
}

// SamePadding returns TensorFlow's `same` padding for one spatial dimension of
// size in: total = max((ceil(in/stride)-1)*stride + (k-1)*dilation + 1 - in, 0),
// before = total/2, after = total - before (the larger half after). Stride and
// dilation below 1 count as 1.
func SamePadding(in, k, stride, dilation int) (before, after int) {
	stride, dilation = max(stride, 1), max(dilation, 1)
	out := (in + stride - 1) / stride
	total := max((out-1)*stride+(k-1)*dilation+1-in, 0)
	return total / 2, total - total/2
}

// ConvOutSize is the output size of one spatial dimension: (in + padBefore +
// padAfter - ((k-1)*dilation+1)) / stride + 1 (0 when the window does not fit).
func ConvOutSize(in, k, stride, dilation, padBefore, padAfter int) int {
	stride, dilation = max(stride, 1), max(dilation, 1)
	span := in + padBefore + padAfter - ((k-1)*dilation + 1)
	if span < 0 {
		return 0
	}
	return span/stride + 1
}

// ConvParams describes a 2-D convolution over an NHWC input x of shape
// (N, H, W, C) with HWIO weights (KH, KW, C, OutC), giving an NHWC output of
// shape (N, OutH(), OutW(), OutC). Strides and dilations below 1 count as 1.
// Padding is explicit (SamePadding gives TensorFlow's `same`; `valid` is 0).
type ConvParams struct {
	N, H, W, C                           int
	KH, KW, OutC                         int
	StrideH, StrideW                     int
	DilationH, DilationW                 int
	PadTop, PadBottom, PadLeft, PadRight int
}

// OutH is the output height.
func (p ConvParams) OutH() int {
	return ConvOutSize(p.H, p.KH, p.StrideH, p.DilationH, p.PadTop, p.PadBottom)
}

// OutW is the output width.
func (p ConvParams) OutW() int {
	return ConvOutSize(p.W, p.KW, p.StrideW, p.DilationW, p.PadLeft, p.PadRight)
}

// FLOPs is 2 x the multiply-adds of the direct algorithm (the number that
// GFLOP/s figures use).
func (p ConvParams) FLOPs() float64 {
	return 2 * float64(p.N) * float64(p.OutH()) * float64(p.OutW()) * float64(p.OutC) * float64(p.KH*p.KW*p.C)
}

// norm returns p with strides and dilations of at least 1.
func (p ConvParams) norm() ConvParams {
	p.StrideH, p.StrideW = max(p.StrideH, 1), max(p.StrideW, 1)
	p.DilationH, p.DilationW = max(p.DilationH, 1), max(p.DilationW, 1)
	return p
}

func (p ConvParams) check(op string) {
	if p.N < 0 || p.H < 0 || p.W < 0 || p.C < 1 || p.KH < 1 || p.KW < 1 || p.OutC < 1 ||
		p.PadTop < 0 || p.PadBottom < 0 || p.PadLeft < 0 || p.PadRight < 0 {
		panic(fmt.Sprintf("kernels: %s: bad parameters %+v", op, p))
	}
}

func checkLen(op, name string, s []float32, want int) {
	if len(s) < want {
		panic(fmt.Sprintf("kernels: %s: %s has %d elements, needs %d", op, name, len(s), want))
	}
}

// Conv2D computes y = act(conv(x, w) + bias): x is NHWC (N, H, W, C), w is HWIO
// (KH, KW, C, OutC), bias has OutC values or is nil, y is NHWC (N, OutH, OutW,
// OutC) and is overwritten (it must not overlap x). Weights with OutC a
// multiple of the micro-kernel's width are read in place, others are packed on
// every call; layers whose weights do not change between calls use
// PackConvWeights and Conv2DPacked. On the AVX2 and AVX-512 paths, 3x3
// stride-1 convolutions with enough channels and pixels run Winograd's
// F(2x2,3x3) (winograd.go), which transforms the weights on every call here.
func Conv2D(p ConvParams, x, w, bias []float32, act Activation, y []float32) {
	raceRead(x, w, bias)
	raceWrite(y)
	p = p.norm()
	p.check("Conv2D")
	checkLen("Conv2D", "w", w, p.KH*p.KW*p.C*p.OutC)
	act, f := act.split()
	if tr, ok := winogradFor(p); ok && winogradTiles(p) >= winogradRawMinTiles && checkConvOperands(p, x, bias, y) {
		conv2DWinogradRaw(p, tr, x, w, bias, act, y)
		applyAfter(f, y)
		return
	}
	conv2D(p, x, convWeights{raw: w}, bias, act, f, y)
}

// PackedConv holds a convolution's weights packed once for Conv2DPacked.
type PackedConv struct {
	kh, kw, c, outC int
	w               []float32 // the HWIO weights as given (not copied)
	nr              int       // panel width: the micro-kernel's at packing time
	panels          []float32 // packed: per nr output channels, K x nr, zero-padded
	// The weights transformed for Winograd, F(2x2,3x3) at [0] and
	// F(4x4,3x3) at [1], each made once, when first wanted (at packing, or
	// by the first call whose size it pays for: another batch or image size
	// may choose the other tile).
	winograd [2]struct {
		once sync.Once
		u    *winogradWeights
	}
}

// check panics unless pc holds the weights of p (its filter size and
// channels), naming the caller.
func (pc *PackedConv) check(name string, p ConvParams) {
	if pc == nil || pc.kh != p.KH || pc.kw != p.KW || pc.c != p.C || pc.outC != p.OutC {
		panic(fmt.Sprintf("kernels: %s: packed weights do not match %+v", name, p))
	}
}

// winogradWeights returns the weights transformed for Winograd with output
// tiles of side tile (2 or 4), making them on the first call.
func (pc *PackedConv) winogradWeights(p ConvParams, tile int) *winogradWeights {
	w := &pc.winograd[tile/2-1]
	w.once.Do(func() { w.u = packWinogradWeights(p, pc.w, tile) })
	return w.u
}

// PackConvWeights packs HWIO weights (KH, KW, C, OutC) for repeated
// Conv2DPacked calls. The packed copy is independent of w afterwards, except
// that w itself is kept for the generic path (do not modify it). Weights that
// Conv2D would run with Winograd's F(2x2,3x3) are also kept transformed.
func PackConvWeights(p ConvParams, w []float32) *PackedConv {
	p.check("PackConvWeights")
	k := p.KH * p.KW * p.C
	checkLen("PackConvWeights", "w", w, k*p.OutC)
	pc := &PackedConv{kh: p.KH, kw: p.KW, c: p.C, outC: p.OutC, w: w[:k*p.OutC]}
	pc.nr = active.conv.nr
	pc.panels = packPanels(w, k, p.OutC, pc.nr, nil)
	if tr, ok := winogradPackedFor(p.norm()); ok {
		pc.winogradWeights(p.norm(), tr.tile)
	}
	return pc
}

// Conv2DPacked is Conv2D with weights packed by PackConvWeights for the same
// KH, KW, C and OutC.
func Conv2DPacked(p ConvParams, x []float32, pw *PackedConv, bias []float32, act Activation, y []float32) {
	raceRead(x, bias)
	raceWrite(y)
	p = p.norm()
	p.check("Conv2DPacked")
	pw.check("Conv2DPacked", p)
	act, f := act.split()
	if tr, ok := winogradPackedFor(p); ok && checkConvOperands(p, x, bias, y) {
		// Weights transformed under another path (a test switching paths)
		// are laid out for another micro-kernel: direct then.
		if u := pw.winogradWeights(p, tr.tile); u.nr == active.sgemm.nr {
			conv2DWinograd(p, tr, x, u, bias, act, y)
			applyAfter(f, y)
			return
		}
	}
	conv2D(p, x, convWeights{raw: pw.w, packed: pw.panels, nr: pw.nr}, bias, act, f, y)
}

// checkConvOperands checks the lengths of a forward convolution's operands
// and says whether there is any output to compute.
func checkConvOperands(p ConvParams, x, bias, y []float32) bool {
	checkLen("Conv2D", "x", x, p.N*p.H*p.W*p.C)
	checkLen("Conv2D", "y", y, p.N*p.OutH()*p.OutW()*p.OutC)
	if bias != nil {
		checkLen("Conv2D", "bias", bias, p.OutC)
	}
	return p.N*p.OutH()*p.OutW() > 0
}

// Conv2DBackwardInput computes dx, the gradient of the convolution's input,
// from dy (N, OutH, OutW, OutC) and the HWIO weights; dx (N, H, W, C) is
// overwritten. dy is the gradient after the activation's backward: this
// function does not know the fused activation.
func Conv2DBackwardInput(p ConvParams, dy, w, dx []float32) {
	raceRead(dy, w)
	raceWrite(dx)
	p = p.norm()
	p.check("Conv2DBackwardInput")
	checkLen("Conv2DBackwardInput", "dy", dy, p.N*p.OutH()*p.OutW()*p.OutC)
	checkLen("Conv2DBackwardInput", "w", w, p.KH*p.KW*p.C*p.OutC)
	checkLen("Conv2DBackwardInput", "dx", dx, p.N*p.H*p.W*p.C)
	conv2DBackwardInput(p, dy, w, dx)
}

// Conv2DBackwardWeights computes dw (HWIO, overwritten) and, when dbias is not
// nil, dbias (OutC values, overwritten) from the input x and the output
// gradient dy, summed over the batch.
func Conv2DBackwardWeights(p ConvParams, x, dy, dw, dbias []float32) {
	raceRead(x, dy)
	raceWrite(dw, dbias)
	p = p.norm()
	p.check("Conv2DBackwardWeights")
	checkLen("Conv2DBackwardWeights", "x", x, p.N*p.H*p.W*p.C)
	checkLen("Conv2DBackwardWeights", "dy", dy, p.N*p.OutH()*p.OutW()*p.OutC)
	checkLen("Conv2DBackwardWeights", "dw", dw, p.KH*p.KW*p.C*p.OutC)
	conv2DBackwardWeights(p, x, dy, dw)
	if dbias != nil {
		BiasGrad(dy[:p.N*p.OutH()*p.OutW()*p.OutC], dbias[:p.OutC])
	}
}

// convWeights is the weight operand of the forward kernels: the raw HWIO array
// and, when prepacked, its panels.
type convWeights struct {
	raw    []float32
	packed []float32
	nr     int // panel width of packed
}

// packPanels packs the k x n row-major matrix b into panels of nr columns:
// panel q holds rows 0..k-1 of columns q*nr..q*nr+nr-1, k x nr contiguous,
// zero-padded past n. dst is reused when large enough.
func packPanels(b []float32, k, n, nr int, dst []float32) []float32 {
	np := roundUp(n, nr)
	dst = grow(dst, np*k)
	for q := 0; q < n; q += nr {
		cols := min(nr, n-q)
		panel := dst[q*k : q*k+nr*k]
		for p := 0; p < k; p++ {
			d := panel[p*nr : p*nr+nr]
			copy(d, b[p*n+q:p*n+q+cols])
			clear(d[cols:])
		}
	}
	return dst
}
