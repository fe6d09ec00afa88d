package kernels

// weightPrefetch brings the next weight block of the pointwise loop toward
// L2 while the strips of the current block run. A layer's weights come from
// memory or L3 (they do not stay in L2 between the layers of a network),
// and the first strip of each block would otherwise wait on them at compute
// speed: the micro-kernels prefetch only ahead within their own stream, and
// the next panel's block starts elsewhere. The block's lines are spread over
// the strips so that few misses are in flight at once. (Measured in
// ResNet101 at 1 thread, min of 10 samples: its 1x1 conv4 layers 2-5%
// faster, 14x14 at 256 and 1024 channels; the same for the indirect path's
// 7x7x512 3x3 layers, and prefetching the output tiles, measured slower.)
type weightPrefetch struct {
	w          []float32
	off, lines int // next line to prefetch: w[off], and how many remain
	perStrip   int
}

// convPrefetch enables weightPrefetch (tests and tuning).
var convPrefetch = true

// set aims at floats floats of w from off, spread over parts calls of step.
func (pf *weightPrefetch) set(w []float32, off, floats, parts int) {
	if !convPrefetch || off >= len(w) || floats <= 0 {
		pf.lines = 0
		return
	}
	floats = min(floats, len(w)-off)
	pf.w, pf.off = w, off
	pf.lines = (floats + 15) / 16
	pf.perStrip = (pf.lines + max(parts, 1) - 1) / max(parts, 1)
}

// step prefetches the next share of the block.
func (pf *weightPrefetch) step() {
	if pf.lines <= 0 {
		return
	}
	n := min(pf.perStrip, pf.lines)
	prefetchL2(&pf.w[pf.off], n)
	pf.lines -= n
	pf.off += n * 16
	if pf.off >= len(pf.w) {
		pf.lines = 0
	}
}
