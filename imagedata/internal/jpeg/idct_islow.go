package jpeg

// This file replaces the standard library's IDCT with libjpeg's "islow"
// integer IDCT (jidctint.c: the Loeffler-Ligtenberg-Moschytz algorithm, 13-bit
// constants, 2 extra bits between passes), the default of libjpeg-turbo and so
// of PIL. With it, decoded samples equal libjpeg's bit for bit.

type block [blockSize]int32

const blockSize = 8 * 8

const (
	constBits = 13
	pass1Bits = 2

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

func descale(x int32, n uint) int32 { return (x + 1<<(n-1)) >> n }

// idct transforms the dequantized coefficients of b (natural order) into
// samples before the +128 level shift, in place. The two passes are written
// out, as in jidctint.c, because a call per row and column costs a third of
// the decoding time.
func idct(b *block) {
	var ws [blockSize]int32
	// Pass 1: columns, results scaled up by 2^pass1Bits.
	for c := 0; c < 8; c++ {
		x0, x1, x2, x3 := b[c], b[8+c], b[16+c], b[24+c]
		x4, x5, x6, x7 := b[32+c], b[40+c], b[48+c], b[56+c]
		if x1|x2|x3|x4|x5|x6|x7 == 0 {
			dc := x0 << pass1Bits
			ws[c], ws[8+c], ws[16+c], ws[24+c] = dc, dc, dc, dc
			ws[32+c], ws[40+c], ws[48+c], ws[56+c] = dc, dc, dc, dc
			continue
		}
		z1 := (x2 + x6) * fix0_541196100
		tmp2 := z1 + x6*-fix1_847759065
		tmp3 := z1 + x2*fix0_765366865
		tmp0 := (x0 + x4) << constBits
		tmp1 := (x0 - x4) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2

		z1 = x7 + x1
		z2 := x5 + x3
		z3 := x7 + x3
		z4 := x5 + x1
		z5 := (z3 + z4) * fix1_175875602
		t0 := x7 * fix0_298631336
		t1 := x5 * fix2_053119869
		t2 := x3 * fix3_072711026
		t3 := x1 * fix1_501321110
		z1 *= -fix0_899976223
		z2 *= -fix2_562915447
		z3 = z3*-fix1_961570560 + z5
		z4 = z4*-fix0_390180644 + z5
		t0 += z1 + z3
		t1 += z2 + z4
		t2 += z2 + z3
		t3 += z1 + z4

		const n, half = constBits - pass1Bits, 1 << (constBits - pass1Bits - 1)
		ws[c] = (tmp10 + t3 + half) >> n
		ws[56+c] = (tmp10 - t3 + half) >> n
		ws[8+c] = (tmp11 + t2 + half) >> n
		ws[48+c] = (tmp11 - t2 + half) >> n
		ws[16+c] = (tmp12 + t1 + half) >> n
		ws[40+c] = (tmp12 - t1 + half) >> n
		ws[24+c] = (tmp13 + t0 + half) >> n
		ws[32+c] = (tmp13 - t0 + half) >> n
	}
	// Pass 2: rows, descaled by 8 and the pass-1 scale.
	for r := 0; r < 64; r += 8 {
		w := ws[r : r+8 : r+8]
		out := b[r : r+8 : r+8]
		x0, x1, x2, x3, x4, x5, x6, x7 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]
		if x1|x2|x3|x4|x5|x6|x7 == 0 {
			dc := (x0 + 1<<(pass1Bits+2)) >> (pass1Bits + 3)
			out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7] = dc, dc, dc, dc, dc, dc, dc, dc
			continue
		}
		z1 := (x2 + x6) * fix0_541196100
		tmp2 := z1 + x6*-fix1_847759065
		tmp3 := z1 + x2*fix0_765366865
		tmp0 := (x0 + x4) << constBits
		tmp1 := (x0 - x4) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2

		z1 = x7 + x1
		z2 := x5 + x3
		z3 := x7 + x3
		z4 := x5 + x1
		z5 := (z3 + z4) * fix1_175875602
		t0 := x7 * fix0_298631336
		t1 := x5 * fix2_053119869
		t2 := x3 * fix3_072711026
		t3 := x1 * fix1_501321110
		z1 *= -fix0_899976223
		z2 *= -fix2_562915447
		z3 = z3*-fix1_961570560 + z5
		z4 = z4*-fix0_390180644 + z5
		t0 += z1 + z3
		t1 += z2 + z4
		t2 += z2 + z3
		t3 += z1 + z4

		const n, half = constBits + pass1Bits + 3, 1 << (constBits + pass1Bits + 2)
		out[0] = (tmp10 + t3 + half) >> n
		out[7] = (tmp10 - t3 + half) >> n
		out[1] = (tmp11 + t2 + half) >> n
		out[6] = (tmp11 - t2 + half) >> n
		out[2] = (tmp12 + t1 + half) >> n
		out[5] = (tmp12 - t1 + half) >> n
		out[3] = (tmp13 + t0 + half) >> n
		out[4] = (tmp13 - t0 + half) >> n
	}
}
