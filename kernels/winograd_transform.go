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

// The F(4x4,3x3) transforms in Go: the twins of winogradInput6x6x* and
// winogradOutput4x4x* (asm/winograd), operation for operation. Their only
// multiplication that rounds is the input's by 5; float32(...) keeps a
// compiler that fuses multiply-adds (arm64) from fusing it, so that every
// platform gives the assembly's bits.

// winograd6In is the 1-D input transform (B^T applied to six values).
func winograd6In(d0, d1, d2, d3, d4, d5 float32) [6]float32 {
	p, q := d4-4*d2, d3-4*d1
	r, s := d4-d2, 2*(d3-d1)
	return [6]float32{(4*d0 - float32(5*d2)) + d4, p + q, p - q, r + s, r - s, (4*d1 - float32(5*d3)) + d5}
}

// winograd6Out is the 1-D output transform (A^T applied to six values).
func winograd6Out(m0, m1, m2, m3, m4, m5 float32) [4]float32 {
	a, b := m1+m2, m1-m2
	c, d := m3+m4, m3-m4
	return [4]float32{(m0 + a) + c, b + 2*d, a + 4*c, (b + 8*d) + m5}
}

// winogradInput6Go computes V = B^T d B for channels c0..c1-1 of the 6x6
// input tile whose point k (row-major) starts at rows[k]; point e of V goes
// to v[e*vs+c]. Rows of the tile first, then its columns.
func winogradInput6Go(rows *[36]*float32, c0, c1 int, v []float32, vs int) {
	if c0 >= c1 {
		return
	}
	var d [36][]float32
	for k, p := range rows {
		d[k] = unsafe.Slice(p, c1)
	}
	_ = v[35*vs+c1-1]
	for c := c0; c < c1; c++ {
		var t [6][6]float32
		for i := range t {
			r := d[6*i:]
			t[i] = winograd6In(r[0][c], r[1][c], r[2][c], r[3][c], r[4][c], r[5][c])
		}
		for j := 0; j < 6; j++ {
			col := winograd6In(t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j])
			for i, x := range col {
				v[(6*i+j)*vs+c] = x
			}
		}
	}
}

// winogradOutput4Go computes the 4x4 outputs y = A^T M A + bias, clamped to
// [lo, hi] (NaN kept), for channels c0..c1-1, from the 6x6 tile M whose
// point e is m[e*ms+c]; output k (row-major) goes to out[k][c].
func winogradOutput4Go(m []float32, ms, c0, c1 int, bias []float32, lo, hi float32, out *[16]*float32) {
	if c0 >= c1 {
		return
	}
	var y [16][]float32
	for k, p := range out {
		y[k] = unsafe.Slice(p, c1)
	}
	_ = m[35*ms+c1-1]
	_ = bias[c1-1]
	for c := c0; c < c1; c++ {
		var s [6][4]float32
		for i := range s {
			r := m[6*i*ms+c:]
			s[i] = winograd6Out(r[0], r[ms], r[2*ms], r[3*ms], r[4*ms], r[5*ms])
		}
		for j := 0; j < 4; j++ {
			col := winograd6Out(s[0][j], s[1][j], s[2][j], s[3][j], s[4][j], s[5][j])
			for i, x := range col {
				y[4*i+j][c] = clampKeepNaN(x+bias[c], lo, hi)
			}
		}
	}
}
