package kernels

// microKernelGeneric is the pure-Go twin of the assembly micro-kernels:
// c[i][j] = (accumulate ? c[i][j] : 0) + sum_p a[p*mr+i] * b[p*nr+j]
// for the mr x nr tile (mr even, nr a multiple of 4). It works on 2x4
// sub-tiles so that the eight accumulators, two values of A and four of B
// stay in registers.
func microKernelGeneric(mr, nr, kc int, a, b, c []float32, ldc int, accumulate bool) {
	a = a[:kc*mr]
	b = b[:kc*nr]
	for i := 0; i < mr; i += 2 {
		for j := 0; j < nr; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			ai, bj := i, j
			for p := 0; p < kc; p++ {
				a0, a1 := a[ai], a[ai+1]
				bs := b[bj : bj+4 : bj+4]
				b0, b1, b2, b3 := bs[0], bs[1], bs[2], bs[3]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
				ai += mr
				bj += nr
			}
			r0 := c[i*ldc+j : i*ldc+j+4 : i*ldc+j+4]
			r1 := c[(i+1)*ldc+j : (i+1)*ldc+j+4 : (i+1)*ldc+j+4]
			if accumulate {
				r0[0] += c00
				r0[1] += c01
				r0[2] += c02
				r0[3] += c03
				r1[0] += c10
				r1[1] += c11
				r1[2] += c12
				r1[3] += c13
			} else {
				r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
				r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
			}
		}
	}
}
