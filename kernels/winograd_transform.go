package kernels

import "unsafe"

// The F(2x2,3x3) transforms in Go: the generic twins of the assembly in
// winograd_amd64.s (asm/winograd), with the same order of operations, so that
// both give the same bits. They also compute the channels past the last full
// vector that the assembly leaves.

// winogradInputGo computes V = B^T d B for channels c0..c1-1 of the 4x4 input
// tile whose point k (row-major) starts at rows[k]; point e of V goes to
// v[e*vs+c].
func winogradInputGo(rows *[16]*float32, c0, c1 int, v []float32, vs int) {
	if c0 >= c1 {
		return
	}
	var d [16][]float32
	for k, p := range rows {
		d[k] = unsafe.Slice(p, c1)
	}
	_ = v[15*vs+c1-1]
	for c := c0; c < c1; c++ {
		// t: the transform along each tile row (B applied on the right).
		var t [4][4]float32
		for i := range t {
			d0, d1, d2, d3 := d[4*i][c], d[4*i+1][c], d[4*i+2][c], d[4*i+3][c]
			t[i] = [4]float32{d0 - d2, d1 + d2, d2 - d1, d1 - d3}
		}
		for j := 0; j < 4; j++ {
			v[j*vs+c] = t[0][j] - t[2][j]
			v[(4+j)*vs+c] = t[1][j] + t[2][j]
			v[(8+j)*vs+c] = t[2][j] - t[1][j]
			v[(12+j)*vs+c] = t[1][j] - t[3][j]
		}
	}
}

// winogradOutputGo computes the 2x2 outputs y = A^T M A + bias, clamped to
// [lo, hi] (NaN kept), for channels c0..c1-1, from the 4x4 tile M whose point
// e is m[e*ms+c]; output k (row-major) goes to out[k][c].
func winogradOutputGo(m []float32, ms, c0, c1 int, bias []float32, lo, hi float32, out *[4]*float32) {
	if c0 >= c1 {
		return
	}
	var y [4][]float32
	for k, p := range out {
		y[k] = unsafe.Slice(p, c1)
	}
	_ = m[15*ms+c1-1]
	_ = bias[c1-1]
	for c := c0; c < c1; c++ {
		// s: the transform along each tile row (A applied on the right).
		var s [4][2]float32
		for i := range s {
			m0, m1, m2, m3 := m[4*i*ms+c], m[(4*i+1)*ms+c], m[(4*i+2)*ms+c], m[(4*i+3)*ms+c]
			s[i] = [2]float32{m0 + m1 + m2, m1 - m2 - m3}
		}
		for j := 0; j < 2; j++ {
			top := s[0][j] + s[1][j] + s[2][j]
			bottom := s[1][j] - s[2][j] - s[3][j]
			y[j][c] = clampKeepNaN(top+bias[c], lo, hi)
			y[2+j][c] = clampKeepNaN(bottom+bias[c], lo, hi)
		}
	}
}

// clampKeepNaN is VMINPS(hi, VMAXPS(lo, v)) with v the operand returned when
// either is NaN.
func clampKeepNaN(v, lo, hi float32) float32 {
	if lo > v {
		v = lo
	}
	if hi < v {
		v = hi
	}
	return v
}
