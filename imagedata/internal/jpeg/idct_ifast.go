package jpeg

// libjpeg's fast integer IDCT (jidctfst.c, JDCT_IFAST): the Arai-Agui-Nakajima
// algorithm with 8-bit constants and truncating (not rounding) descales, on
// coefficients already multiplied by the AAN-scaled quantisation table.

const (
	fastConstBits  = 8
	aan1_082392200 = 277
	aan1_414213562 = 362
	aan1_847759065 = 473
	aan2_613125930 = 669
)

// aanScales are jddctmgr.c's scale factors, cos(k*pi/16)*sqrt(2) per row and
// column, times 2^14.
var aanScales = [blockSize]int32{
	16384, 22725, 21407, 19266, 16384, 12873, 8867, 4520,
	22725, 31521, 29692, 26722, 22725, 17855, 12299, 6270,
	21407, 29692, 27969, 25172, 21407, 16819, 11585, 5906,
	19266, 26722, 25172, 22654, 19266, 15137, 10426, 5315,
	16384, 22725, 21407, 19266, 16384, 12873, 8867, 4520,
	12873, 17855, 16819, 15137, 12873, 10114, 6967, 3552,
	8867, 12299, 11585, 10426, 8867, 6967, 4799, 2446,
	4520, 6270, 5906, 5315, 4520, 3552, 2446, 1247,
}

func fastMul(x, c int32) int32 { return (x * c) >> fastConstBits }

// ifast1D is one 8-point AAN pass; outputs are in natural order.
func ifast1D(x0, x1, x2, x3, x4, x5, x6, x7 int32) [8]int32 {
	// Even part.
	tmp10, tmp11 := x0+x4, x0-x4
	tmp13 := x2 + x6
	tmp12 := fastMul(x2-x6, aan1_414213562) - tmp13
	tmp0, tmp3 := tmp10+tmp13, tmp10-tmp13
	tmp1, tmp2 := tmp11+tmp12, tmp11-tmp12

	// Odd part.
	z13, z10 := x5+x3, x5-x3
	z11, z12 := x1+x7, x1-x7
	tmp7 := z11 + z13
	tmp11 = fastMul(z11-z13, aan1_414213562)
	z5 := fastMul(z10+z12, aan1_847759065)
	tmp10 = fastMul(z12, aan1_082392200) - z5
	tmp12 = fastMul(z10, -aan2_613125930) + z5
	tmp6 := tmp12 - tmp7
	tmp5 := tmp11 - tmp6
	tmp4 := tmp10 + tmp5

	return [8]int32{tmp0 + tmp7, tmp1 + tmp6, tmp2 + tmp5, tmp3 - tmp4,
		tmp3 + tmp4, tmp2 - tmp5, tmp1 - tmp6, tmp0 - tmp7}
}

// idctFast transforms b in place into samples before the +128 level shift.
func idctFast(b *block) {
	var ws [blockSize]int32
	for c := 0; c < 8; c++ {
		if b[8+c]|b[16+c]|b[24+c]|b[32+c]|b[40+c]|b[48+c]|b[56+c] == 0 {
			for r := 0; r < 8; r++ {
				ws[8*r+c] = b[c]
			}
			continue
		}
		o := ifast1D(b[c], b[8+c], b[16+c], b[24+c], b[32+c], b[40+c], b[48+c], b[56+c])
		for r := 0; r < 8; r++ {
			ws[8*r+c] = o[r]
		}
	}
	const shift = pass1Bits + 3
	for r := 0; r < 64; r += 8 {
		w := ws[r : r+8 : r+8]
		out := b[r : r+8 : r+8]
		if w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7] == 0 {
			dc := w[0] >> shift
			for i := range out {
				out[i] = dc
			}
			continue
		}
		o := ifast1D(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
		for i := range out {
			out[i] = o[i] >> shift
		}
	}
}
