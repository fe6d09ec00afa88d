package kernels

// winogradWeights holds the transformed weights U = G g G^T of a 3x3
// convolution for F(2x2,3x3): for each of the 16 points e of the 4x4 tile, a
// C x OutC matrix packed for the GEMM micro-kernel as PackB lays out B (per kc
// rows of C, panels of nr output channels, kc x nr each, zero-padded past
// OutC).
type winogradWeights struct {
	c, outC int
	kc, nr  int
	data    []float32 // 16 matrices of c x roundUp(outC, nr)
}

// matrixLen is the length of one packed matrix U_e.
func (u *winogradWeights) matrixLen() int { return u.c * roundUp(u.outC, u.nr) }

// panel returns the packed panel of U_e for rows pc..pc+kc-1 (kc = min(u.kc,
// c-pc)) and output channels jc..jc+nr-1.
func (u *winogradWeights) panel(e, pc, jc int) []float32 {
	kb := min(u.kc, u.c-pc)
	base := e*u.matrixLen() + pc*roundUp(u.outC, u.nr) + jc*kb
	return u.data[base : base+kb*u.nr]
}

// transformWinogradWeights fills u (kc and nr set, data reused when large
// enough) from the HWIO weights w (3, 3, C, OutC). tmp holds 16*C*OutC floats
// of scratch.
func transformWinogradWeights(u *winogradWeights, w, tmp []float32) {
	c, outC := u.c, u.outC
	u.data = grow(u.data, 16*u.matrixLen())
	winogradWeightMatrices(w, c*outC, tmp[:16*c*outC])
	for e := 0; e < 16; e++ {
		ue := tmp[e*c*outC : (e+1)*c*outC]
		dst := u.data[e*u.matrixLen() : (e+1)*u.matrixLen()]
		np := roundUp(outC, u.nr)
		for pc := 0; pc < c; pc += u.kc {
			kb := min(u.kc, c-pc)
			packB(u.nr, dst[pc*np:pc*np+np*kb], false, ue, outC, pc, 0, kb, outC)
		}
	}
}

// winogradWeightMatrices computes U = G g G^T for every (input, output)
// channel pair: w is HWIO (3, 3, C, OutC), so tap (kh, kw) is the k-long run
// w[(3*kh+kw)*k:], k = C*OutC; point e of U goes to u[e*k:]. G's rows are
// (1,0,0), (1/2,1/2,1/2), (1/2,-1/2,1/2), (0,0,1); the halves are exact.
func winogradWeightMatrices(w []float32, k int, u []float32) {
	var g [9][]float32
	for i := range g {
		g[i] = w[i*k : (i+1)*k]
	}
	var out [16][]float32
	for e := range out {
		out[e] = u[e*k : (e+1)*k]
	}
	for q := 0; q < k; q++ {
		// t = G g: 4 x 3.
		var t [4][3]float32
		for kw := 0; kw < 3; kw++ {
			g0, g1, g2 := g[kw][q], g[3+kw][q], g[6+kw][q]
			t[0][kw] = g0
			t[1][kw] = (g0 + g1 + g2) * 0.5
			t[2][kw] = (g0 - g1 + g2) * 0.5
			t[3][kw] = g2
		}
		// U = t G^T: 4 x 4.
		for i := 0; i < 4; i++ {
			t0, t1, t2 := t[i][0], t[i][1], t[i][2]
			out[4*i][q] = t0
			out[4*i+1][q] = (t0 + t1 + t2) * 0.5
			out[4*i+2][q] = (t0 - t1 + t2) * 0.5
			out[4*i+3][q] = t2
		}
	}
}
