package nn

import "github.com/keelml/keel/kernels"

// Dropout of the recurrent layers, as Keras 2's cells apply it in a
// training step: masks drawn once per batch (the same at every step), one
// per gate block with implementation 0 or 1 and one for all gates with
// implementation 2, each value 0 with probability rate and 1/(1-rate)
// otherwise; dropout masks the inputs (batch, features) before the
// kernel, recurrent_dropout the previous state (batch, units) before the
// recurrent kernel (a GRU's r*h' too, without reset_after). The state
// itself is carried unmasked. Outside training both are the identity.
// Without dropout the masks are nil and the projections plain products.

// maskCount is the number of masks each kind of dropout draws.
func (l *Recurrent) maskCount() int {
	if l.cfg.Implementation == 2 {
		return 1
	}
	return l.gates()
}

// drawMasks draws the batch's masks in a training step, or clears them.
func (l *Recurrent) drawMasks(st *rnnState, c *call, B int) {
	draw := func(buf *[]float32, rate float64, n int) []float32 {
		if !c.training || rate == 0 {
			return nil
		}
		m := scratch(buf, n)
		keep := float32(1 / (1 - rate))
		for i := range m {
			m[i] = 0
			if l.rng.U() >= rate {
				m[i] = keep
			}
		}
		return m
	}
	st.dp = draw(&st.dpBuf, l.cfg.Dropout, l.maskCount()*B*l.in)
	st.rdp = draw(&st.rdpBuf, l.cfg.RecurrentDropout, l.maskCount()*B*l.units)
}

// maskGroups calls fn for each run [lo, hi) of the columns [from, to) of
// the gate blocks that shares one mask (index m of masks; -1: no mask).
func (l *Recurrent) maskGroups(masks []float32, from, to int, fn func(lo, hi, m int)) {
	switch u := l.units; {
	case masks == nil:
		fn(from, to, -1)
	case l.maskCount() == 1:
		fn(from, to, 0)
	default:
		for g := from / u; g < to/u; g++ {
			fn(g*u, (g+1)*u, g)
		}
	}
}

// maskIndex is the mask of gate block g (of masks drawn), -1 for none.
func (l *Recurrent) maskIndex(masks []float32, g int) int {
	switch {
	case masks == nil:
		return -1
	case l.maskCount() == 1:
		return 0
	}
	return g
}

// masked returns src (rows of cols values, per rows to a sample) times
// mask m of masks in buf, or src itself for m < 0.
func masked(buf *[]float32, src, masks []float32, m, cols, per int) []float32 {
	if m < 0 {
		return src
	}
	rows := len(src) / cols
	mk := masks[m*(rows/per)*cols:]
	dst := scratch(buf, len(src))
	for r := 0; r < rows; r++ {
		mr := mk[(r/per)*cols : (r/per+1)*cols]
		for j, v := range src[r*cols : (r+1)*cols] {
			dst[r*cols+j] = v * mr[j]
		}
	}
	return dst
}

// projectInput sets xw = (x times each block's input mask) kernel for the
// batch's B*T rows.
func (l *Recurrent) projectInput(st *rnnState, x, xw []float32, T int) {
	gu, D := l.gates()*l.units, l.in
	l.maskGroups(st.dp, 0, gu, func(lo, hi, m int) {
		a := masked(&st.xm, x, st.dp, m, D, T)
		kernels.Sgemm(false, false, len(x)/D, hi-lo, D, 1, a, D, l.kernel.data[lo:], gu, 0, xw[lo:], gu)
	})
}

// backInput writes the kernel's gradient into dK and the input's into dx
// (either nil when not wanted) from dZx.
func (l *Recurrent) backInput(st *rnnState, x, dZx, dK, dx []float32, T int) {
	gu, D := l.gates()*l.units, l.in
	rows := len(x) / D
	if dx != nil {
		clear(dx)
	}
	l.maskGroups(st.dp, 0, gu, func(lo, hi, m int) {
		if dK != nil {
			a := masked(&st.xm, x, st.dp, m, D, T)
			kernels.Sgemm(true, false, D, hi-lo, rows, 1, a, D, dZx[lo:], gu, 0, dK[lo:], gu)
		}
		if dx != nil {
			g := scratch(&st.gx, len(x))
			kernels.Sgemm(false, true, rows, D, hi-lo, 1, dZx[lo:], gu, l.kernel.data[lo:], gu, 0, g, D)
			addTo(dx, masked(&st.xm, g, st.dp, m, D, T))
		}
	})
}

// projectRec sets columns [from, to) of st.rec to (h times each block's
// recurrent mask) recurrent_kernel.
func (l *Recurrent) projectRec(st *rnnState, h []float32, from, to int) {
	u, gu := l.units, l.gates()*l.units
	l.maskGroups(st.rdp, from, to, func(lo, hi, m int) {
		a := masked(&st.hm, h, st.rdp, m, u, 1)
		kernels.Sgemm(false, false, len(h)/u, hi-lo, u, 1, a, u, l.recKernel.data[lo:], gu, 0, st.rec[lo:], gu)
	})
}

// backRec adds the gradient of columns [from, to) of the recurrent
// projection (st.dZh) into dhPrev, and into dU when not nil.
func (l *Recurrent) backRec(st *rnnState, h, dhPrev, dU []float32, from, to int) {
	u, gu := l.units, l.gates()*l.units
	B := len(h) / u
	l.maskGroups(st.rdp, from, to, func(lo, hi, m int) {
		if m < 0 {
			kernels.Sgemm(false, true, B, u, hi-lo, 1, st.dZh[lo:], gu, l.recKernel.data[lo:], gu, 1, dhPrev, u)
		} else {
			g := scratch(&st.gh, len(h))
			kernels.Sgemm(false, true, B, u, hi-lo, 1, st.dZh[lo:], gu, l.recKernel.data[lo:], gu, 0, g, u)
			addTo(dhPrev, masked(&st.hm, g, st.rdp, m, u, 1))
		}
		if dU != nil {
			a := masked(&st.hm, h, st.rdp, m, u, 1)
			kernels.Sgemm(true, false, u, hi-lo, B, 1, a, u, st.dZh[lo:], gu, 1, dU[lo:], gu)
		}
	})
}

// recMask is recurrent mask value j of sample b for gate block g (1
// without recurrent dropout).
func (l *Recurrent) recMask(st *rnnState, g, b, j int) float32 {
	m := l.maskIndex(st.rdp, g)
	if m < 0 {
		return 1
	}
	B := len(st.rdp) / (l.maskCount() * l.units)
	return st.rdp[(m*B+b)*l.units+j]
}
