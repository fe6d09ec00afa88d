package kernels

// winogradWeights holds the transformed weights U = G g G^T of a 3x3
// convolution for F(2x2,3x3) or F(4x4,3x3): for each of the 16 or 36 points
// e of the 4x4 or 6x6 tile, a C x OutC matrix packed for the GEMM
// micro-kernel as PackB lays out B (per kc rows of C, panels of nr output
// channels, kc x nr each, zero-padded past OutC).
type winogradWeights struct {
	c, outC int
	kc, nr  int
	tile    int       // output tile side: 2 or 4
	data    []float32 // points() matrices of c x roundUp(outC, nr), matrixLen apart
}

// points is the number of points of the input tile, (tile+2)^2.
func (u *winogradWeights) points() int { return (u.tile + 2) * (u.tile + 2) }

// matrixLen is the distance between the packed matrices U_e: at least
// c x roundUp(outC, nr), spaced as V and M are (winogradStride) so that the
// transform's 16 output streams fall in different cache sets.
func (u *winogradWeights) matrixLen() int { return winogradStride(u.c * roundUp(u.outC, u.nr)) }

// panel returns the packed panel of U_e for rows pc..pc+kc-1 (kc = min(u.kc,
// c-pc)) and output channels jc..jc+nr-1.
func (u *winogradWeights) panel(e, pc, jc int) []float32 {
	kb := min(u.kc, u.c-pc)
	base := e*u.matrixLen() + pc*roundUp(u.outC, u.nr) + jc*kb
	return u.data[base : base+kb*u.nr]
}

// transformWinogradWeights fills u (c, outC, kc and nr set; data reused when
// large enough) from the HWIO weights w (3, 3, C, OutC), writing each U_e
// straight into its packed panels: the runs of nr output channels are
// contiguous in w and in the panels alike, and the loops run along them.
// (Row by row instead, the writes jump from panel to panel, kc x nr floats
// apart, a power of two that maps them to the same cache sets: 3x slower.)
func transformWinogradWeights(u *winogradWeights, w []float32) {
	if u.tile == 4 {
		transformWinograd4Weights(u, w)
		return
	}
	c, outC, nr := u.c, u.outC, u.nr
	np, ml, k := roundUp(outC, nr), u.matrixLen(), c*outC
	u.data = grow(u.data, 16*ml)
	var taps [9][]float32
	var dst [16][]float32
	var tbuf [12 * maxTile]float32
	var t [12][]float32 // t = G g, row i (of 4), column kw (of 3) at t[3*i+kw]
	// Panel by panel, so that each U_e is written in one sequential run.
	for q := 0; q < outC; q += nr {
		cols := min(nr, outC-q)
		for ci := 0; ci < c; ci++ {
			pc := ci / u.kc * u.kc
			kb := min(u.kc, c-pc)
			for i := range taps {
				taps[i] = w[i*k+ci*outC+q : i*k+ci*outC+q+cols]
			}
			for i := range t {
				t[i] = tbuf[i*cols : (i+1)*cols]
			}
			for e := range dst {
				base := e*ml + pc*np + q*kb + (ci-pc)*nr
				dst[e] = u.data[base : base+nr]
				clear(dst[e][cols:])
				dst[e] = dst[e][:cols]
			}
			// t = G g, along the kernel's rows; G's rows are (1,0,0),
			// (1/2,1/2,1/2), (1/2,-1/2,1/2), (0,0,1), the halves exact.
			for kw := 0; kw < 3; kw++ {
				winogradRows(taps[kw], taps[3+kw], taps[6+kw], t[kw], t[3+kw], t[6+kw], t[9+kw])
			}
			// U = t G^T, along t's columns.
			for i := 0; i < 4; i++ {
				winogradRows(t[3*i], t[3*i+1], t[3*i+2], dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3])
			}
		}
	}
}

// winogradRows applies G to three rows: y0 = a, y1 = (a+b+c)/2,
// y2 = (a-b+c)/2, y3 = c, element by element.
func winogradRows(a, b, c, y0, y1, y2, y3 []float32) {
	n := len(a)
	b, c, y0, y1, y2, y3 = b[:n], c[:n], y0[:n], y1[:n], y2[:n], y3[:n]
	for j, av := range a {
		bv, cv := b[j], c[j]
		y0[j] = av
		y1[j] = (av + bv + cv) * 0.5
		y2[j] = (av - bv + cv) * 0.5
		y3[j] = cv
	}
}

// winogradG4 is G of F(4x4,3x3) (interpolation points 0, -1, 1, 1/2, -1/2,
// infinity), whose rows are applied in float64 and rounded once.
var winogradG4 = [6][3]float64{
	{1.0 / 4, 0, 0},
	{-1.0 / 6, -1.0 / 6, -1.0 / 6},
	{-1.0 / 6, 1.0 / 6, -1.0 / 6},
	{1.0 / 24, 1.0 / 12, 1.0 / 6},
	{1.0 / 24, -1.0 / 12, 1.0 / 6},
	{0, 0, 1},
}

// transformWinograd4Weights is transformWinogradWeights for F(4x4,3x3): U =
// G g G^T in float64, each of the 36 values rounded once, written panel by
// panel as for F(2x2,3x3).
func transformWinograd4Weights(u *winogradWeights, w []float32) {
	c, outC, nr := u.c, u.outC, u.nr
	np, ml, k := roundUp(outC, nr), u.matrixLen(), c*outC
	u.data = grow(u.data, 36*ml)
	for q := 0; q < outC; q += nr {
		cols := min(nr, outC-q)
		for ci := 0; ci < c; ci++ {
			pc := ci / u.kc * u.kc
			kb := min(u.kc, c-pc)
			base := pc*np + q*kb + (ci-pc)*nr
			for e := 0; e < 36; e++ {
				clear(u.data[e*ml+base+cols : e*ml+base+nr])
			}
			for o := 0; o < cols; o++ {
				var g [3][3]float64
				for tap := range 9 {
					g[tap/3][tap%3] = float64(w[tap*k+ci*outC+q+o])
				}
				var t [6][3]float64 // G g
				for i := range t {
					for kw := range 3 {
						t[i][kw] = winogradG4[i][0]*g[0][kw] + winogradG4[i][1]*g[1][kw] + winogradG4[i][2]*g[2][kw]
					}
				}
				for i := range 6 {
					for j := range 6 {
						v := t[i][0]*winogradG4[j][0] + t[i][1]*winogradG4[j][1] + t[i][2]*winogradG4[j][2]
						u.data[(6*i+j)*ml+base+o] = float32(v)
					}
				}
			}
		}
	}
}
