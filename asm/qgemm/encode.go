package main

import "fmt"

// vexDpbusd encodes the AVX-VNNI VPDPBUSD ymm(d), ymm(s1), ymm(s2) (Intel
// order: ymm d += u8(s1) . s8(s2), four-byte groups into int32 lanes), VEX
// form: C4 RXB.00010 W0.vvvv.L1.01 50 /r, and returns it with its mnemonic.
func vexDpbusd(d, s1, s2 int) ([]byte, string) {
	for _, r := range []int{d, s1, s2} {
		if r < 0 || r > 15 {
			panic(fmt.Sprintf("qgemm: no VEX register ymm%d", r))
		}
	}
	// Byte 1: inverted R (d bit 3), X (1), inverted B (s2 bit 3), map 0F38 (00010).
	b1 := byte(0x02)
	if d < 8 {
		b1 |= 0x80
	}
	b1 |= 0x40
	if s2 < 8 {
		b1 |= 0x20
	}
	// Byte 2: W0, inverted vvvv (s1), L=1 (256 bits), pp=01 (66).
	b2 := byte(^s1&15)<<3 | 0x04 | 0x01
	modrm := byte(0xc0 | (d&7)<<3 | s2&7)
	return []byte{0xc4, b1, b2, 0x50, modrm}, fmt.Sprintf("{vex} vpdpbusd ymm%d, ymm%d, ymm%d", d, s1, s2)
}

// evex encodes the AVX-512 register form op zmm(d), zmm(s1), zmm(s2) of a
// 0F38-map instruction with prefix pp (1: 66, 2: F3, 3: F2), W0, 512 bits,
// no masking: 62 P0 P1 P2 op ModRM.
func evex(op byte, pp byte, d, s1, s2 int) []byte {
	for _, r := range []int{d, s1, s2} {
		if r < 0 || r > 31 {
			panic(fmt.Sprintf("qgemm: no register zmm%d", r))
		}
	}
	inv := func(v int, bit uint) byte { return byte(^v>>bit) & 1 }
	p0 := inv(d, 3)<<7 | inv(s2, 4)<<6 | inv(s2, 3)<<5 | inv(d, 4)<<4 | 0x02
	p1 := byte(^s1&15)<<3 | 0x04 | pp
	p2 := byte(0x40) | inv(s1, 4)<<3
	return []byte{0x62, p0, p1, p2, op, byte(0xc0 | (d&7)<<3 | s2&7)}
}

// vdpbf16ps encodes VDPBF16PS zmm(d), zmm(s1), zmm(s2): each float32 lane
// of d += the products of the lane's two bfloat16 pairs.
func vdpbf16ps(d, s1, s2 int) ([]byte, string) {
	return evex(0x52, 2, d, s1, s2), fmt.Sprintf("vdpbf16ps zmm%d, zmm%d, zmm%d", d, s1, s2)
}

// vcvtne2ps2bf16 encodes VCVTNE2PS2BF16 zmm(d), zmm(s1), zmm(s2): d's low
// 16 bfloat16 from s2, the high 16 from s1, rounded to nearest even.
func vcvtne2ps2bf16(d, s1, s2 int) ([]byte, string) {
	return evex(0x72, 3, d, s1, s2), fmt.Sprintf("vcvtne2ps2bf16 zmm%d, zmm%d, zmm%d", d, s1, s2)
}
