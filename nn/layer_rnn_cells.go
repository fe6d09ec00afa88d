package nn

import "github.com/keelml/keel/kernels"

// The cells' math, one processing step k (input step t) for the whole
// batch, in Keras 2's formulation:
//
//	SimpleRNN: h = act(xW + b + h'U)
//	LSTM:      i, f, o = recAct(xW + b + h'U) blocks 0, 1, 3; g = act(block 2)
//	           c = f*c' + i*g; h = o*act(c)
//	GRU:       z, r = recAct(xW_z,r + b_z,r + h'U_z,r)
//	           hh = act(xW_h + b_h + (r*h')U_h)          (reset_after false)
//	           hh = act(xW_h + b_h + r*(h'U_h + b'_h))   (reset_after true)
//	           h = z*h' + (1-z)*hh
//
// with h', c' the state before the step. Activations are computed in
// float64 from the kept pre-activations.

func (l *Recurrent) cellForward(st *rnnState, B, k, t int) {
	T, u, gu := l.steps, l.units, l.gates()*l.units
	hPrev := st.hs[k*B*u : (k+1)*B*u]
	hNew := st.hs[(k+1)*B*u : (k+2)*B*u]
	pre := st.pre[k*B*gu : (k+1)*B*gu]
	U, rec := l.recKernel.data, st.rec
	gruSplit := l.kind == kindGRU && !l.cfg.ResetAfter
	if gruSplit {
		l.projectRec(st, hPrev, 0, 2*u)
	} else {
		l.projectRec(st, hPrev, 0, gu)
		if rb := l.recurrentBias(); rb != nil {
			for b := 0; b < B; b++ {
				addTo(rec[b*gu:(b+1)*gu], rb)
			}
		}
	}
	a, ra := l.act.f, l.recAct.f
	for b := 0; b < B; b++ {
		xr := st.xw[(b*T+t)*gu : (b*T+t+1)*gu]
		p, rr := pre[b*gu:(b+1)*gu], rec[b*gu:(b+1)*gu]
		hp, hn := hPrev[b*u:(b+1)*u], hNew[b*u:(b+1)*u]
		switch l.kind {
		case kindSimpleRNN:
			for j := range hn {
				p[j] = xr[j] + rr[j]
				hn[j] = float32(a(float64(p[j])))
			}
		case kindLSTM:
			cp, cn := st.cs[k*B*u+b*u:k*B*u+(b+1)*u], st.cs[(k+1)*B*u+b*u:(k+1)*B*u+(b+1)*u]
			for j := range p {
				p[j] = xr[j] + rr[j]
			}
			for j := range hn {
				i, f := ra(float64(p[j])), ra(float64(p[u+j]))
				g, o := a(float64(p[2*u+j])), ra(float64(p[3*u+j]))
				cc := f*float64(cp[j]) + i*g
				cn[j] = float32(cc)
				hn[j] = float32(o * a(cc))
			}
		case kindGRU:
			for j := 0; j < 2*u; j++ {
				p[j] = xr[j] + rr[j]
			}
			if gruSplit {
				for j, h := range hp {
					st.rh[b*u+j] = float32(ra(float64(p[u+j]))) * h * l.recMask(st, 2, b, j)
				}
				continue
			}
			inner := st.inner[k*B*u+b*u : k*B*u+(b+1)*u]
			copy(inner, rr[2*u:])
			for j := range hn {
				p[2*u+j] = xr[2*u+j] + float32(ra(float64(p[u+j])))*inner[j]
			}
			gruOut(p, hp, hn, u, a, ra)
		}
	}
	if !gruSplit {
		return
	}
	kernels.Sgemm(false, false, B, u, u, 1, st.rh, u, U[2*u:], gu, 0, rec[2*u:], gu)
	for b := 0; b < B; b++ {
		xr := st.xw[(b*T+t)*gu : (b*T+t+1)*gu]
		p, rr := pre[b*gu:(b+1)*gu], rec[b*gu:(b+1)*gu]
		for j := 2 * u; j < gu; j++ {
			p[j] = xr[j] + rr[j]
		}
		gruOut(p, hPrev[b*u:(b+1)*u], hNew[b*u:(b+1)*u], u, a, ra)
	}
}

// gruOut sets h = z*h' + (1-z)*hh from a GRU's pre-activations p.
func gruOut(p, hp, hn []float32, u int, a, ra func(float64) float64) {
	for j := range hn {
		z, hh := ra(float64(p[j])), a(float64(p[2*u+j]))
		hn[j] = float32(z*float64(hp[j]) + (1-z)*hh)
	}
}

// cellBackward takes dh, dc (the gradients of the state after step k) to
// dhPrev, dcPrev (before it), writes the step's rows of dZx and adds its
// recurrent_kernel gradient into dU and a reset_after GRU's recurrent bias
// gradient into dB (either nil when not wanted). Masked samples pass their
// gradients through unchanged.
func (l *Recurrent) cellBackward(st *rnnState, B, k, t int, dh, dc, dhPrev, dcPrev, dZx, dU, dB []float32) {
	T, u, gu := l.steps, l.units, l.gates()*l.units
	hPrev := st.hs[k*B*u : (k+1)*B*u]
	pre := st.pre[k*B*gu : (k+1)*B*gu]
	dZh := st.dZh
	a, da, ra, dra := l.act.f, l.act.df, l.recAct.f, l.recAct.df
	gruSplit := l.kind == kindGRU && !l.cfg.ResetAfter
	for b := 0; b < B; b++ {
		zx, zh := dZx[(b*T+t)*gu:(b*T+t+1)*gu], dZh[b*gu:(b+1)*gu]
		g, gc, gp, gcp := dh[b*u:(b+1)*u], dc[b*u:(b+1)*u], dhPrev[b*u:(b+1)*u], dcPrev[b*u:(b+1)*u]
		if st.masked(b, T, t) {
			clear(zx)
			clear(zh)
			copy(gp, g)
			copy(gcp, gc)
			continue
		}
		p, hp := pre[b*gu:(b+1)*gu], hPrev[b*u:(b+1)*u]
		switch l.kind {
		case kindSimpleRNN:
			for j := range g {
				zx[j] = g[j] * float32(da(float64(p[j])))
			}
			clear(gp)
		case kindLSTM:
			cp, cn := st.cs[k*B*u+b*u:k*B*u+(b+1)*u], st.cs[(k+1)*B*u+b*u:(k+1)*B*u+(b+1)*u]
			for j := range g {
				pi, pf, pg, po := float64(p[j]), float64(p[u+j]), float64(p[2*u+j]), float64(p[3*u+j])
				i, f, gg, o := ra(pi), ra(pf), a(pg), ra(po)
				cc, dhj := float64(cn[j]), float64(g[j])
				dcc := float64(gc[j]) + dhj*o*da(cc)
				zx[j] = float32(dcc * gg * dra(pi))
				zx[u+j] = float32(dcc * float64(cp[j]) * dra(pf))
				zx[2*u+j] = float32(dcc * i * da(pg))
				zx[3*u+j] = float32(dhj * a(cc) * dra(po))
				gcp[j] = float32(dcc * f)
			}
			clear(gp)
		case kindGRU:
			for j := range g {
				pz, ph := float64(p[j]), float64(p[2*u+j])
				z, hh, dhj := ra(pz), a(ph), float64(g[j])
				zx[j] = float32(dhj * (float64(hp[j]) - hh) * dra(pz))
				zx[2*u+j] = float32(dhj * (1 - z) * da(ph))
				gp[j] = float32(dhj * z)
			}
			if gruSplit {
				break // the reset gate's gradient needs dZh_h U_h^T first
			}
			inner := st.inner[k*B*u+b*u : k*B*u+(b+1)*u]
			for j := range g {
				pr := float64(p[u+j])
				zx[u+j] = zx[2*u+j] * inner[j] * float32(dra(pr))
				zh[2*u+j] = zx[2*u+j] * float32(ra(pr))
			}
		}
		if l.kind != kindGRU {
			copy(zh, zx)
		} else {
			copy(zh[:2*u], zx[:2*u])
			if gruSplit {
				copy(zh[2*u:], zx[2*u:])
			}
		}
	}
	if gruSplit {
		l.gruSplitBackward(st, B, k, t, hPrev, dhPrev, dZx, dU)
		return
	}
	l.backRec(st, hPrev, dhPrev, dU, 0, gu)
	if dB != nil && l.recurrentBias() != nil {
		for b := 0; b < B; b++ {
			addTo(dB[gu:], dZh[b*gu:(b+1)*gu])
		}
	}
}

// gruSplitBackward finishes a reset_after-false GRU's step: the gradient
// of r*h' (g = dZh_h U_h^T) gives the reset gate's, then dh' and dU.
func (l *Recurrent) gruSplitBackward(st *rnnState, B, k, t int, hPrev, dhPrev, dZx, dU []float32) {
	T, u, gu := l.steps, l.units, l.gates()*l.units
	pre := st.pre[k*B*gu : (k+1)*B*gu]
	U, dZh, g := l.recKernel.data, st.dZh, st.g
	ra, dra := l.recAct.f, l.recAct.df
	kernels.Sgemm(false, true, B, u, u, 1, dZh[2*u:], gu, U[2*u:], gu, 0, g, u)
	for b := 0; b < B; b++ {
		if st.masked(b, T, t) {
			clear(st.rh[b*u : (b+1)*u])
			continue
		}
		zx, zh := dZx[(b*T+t)*gu:(b*T+t+1)*gu], dZh[b*gu:(b+1)*gu]
		for j := 0; j < u; j++ {
			pr, h := float64(pre[b*gu+u+j]), hPrev[b*u+j]*l.recMask(st, 2, b, j)
			r := float32(ra(pr))
			dhPrev[b*u+j] += g[b*u+j] * r * l.recMask(st, 2, b, j)
			zx[u+j] = g[b*u+j] * h * float32(dra(pr))
			zh[u+j] = zx[u+j]
			st.rh[b*u+j] = r * h
		}
	}
	l.backRec(st, hPrev, dhPrev, dU, 0, 2*u)
	if dU != nil {
		kernels.Sgemm(true, false, u, u, B, 1, st.rh, u, dZh[2*u:], gu, 1, dU[2*u:], gu)
	}
}
