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
