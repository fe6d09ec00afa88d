package main

import (
	"fmt"
	"strings"
)

// sdotElem encodes SDOT Vd.4S, Vn.16B, Vm.4B[lane] (each int32 lane of Vd
// += the dot product of Vn's four signed bytes there with Vm's group lane)
// and returns it with its mnemonic.
func sdotElem(d, n, m, lane int) (uint32, string) {
	check(d, n, m)
	if lane < 0 || lane > 3 {
		panic(fmt.Sprintf("qneon: sdot lane %d", lane))
	}
	// 0 Q=1 0 01111 size=10 L M:Rm 1110 H 0 Rn Rd
	enc := uint32(0x4f80e000) | uint32(lane&1)<<21 | uint32(m)<<16 | uint32(lane>>1)<<11 | uint32(n)<<5 | uint32(d)
	return enc, fmt.Sprintf("SDOT V%d.4S, V%d.16B, V%d.4B[%d]", d, n, m, lane)
}

// smlalElem encodes SMLAL Vd.4S, Vn.4H, Vm.H[lane] (or SMLAL2 on Vn.8H's
// upper half): Vd += the int16 products widened to int32; Vm is V0-V15.
func smlalElem(upper bool, d, n, m, lane int) (uint32, string) {
	check(d, n, m)
	if m > 15 || lane < 0 || lane > 7 {
		panic(fmt.Sprintf("qneon: smlal V%d.H[%d]", m, lane))
	}
	// 0 Q 0 01111 size=01 L M Rm 0010 H 0 Rn Rd, lane = H:L:M
	enc := uint32(0x0f402000) | uint32(lane>>1&1)<<21 | uint32(lane&1)<<20 | uint32(m)<<16 | uint32(lane>>2)<<11 | uint32(n)<<5 | uint32(d)
	mn := fmt.Sprintf("SMLAL V%d.4S, V%d.4H, V%d.H[%d]", d, n, m, lane)
	if upper {
		enc |= 1 << 30
		mn = fmt.Sprintf("SMLAL2 V%d.4S, V%d.8H, V%d.H[%d]", d, n, m, lane)
	}
	return enc, mn
}

func check(regs ...int) {
	for _, r := range regs {
		if r < 0 || r > 31 {
			panic(fmt.Sprintf("qneon: no register V%d", r))
		}
	}
}

// vec2 encodes the two-register ops on four float32/int32 lanes (or, for the
// narrowing XTN forms, their shapes): Vd = op(Vn).
func vec2(op string, d, n int) (uint32, string) {
	check(d, n)
	base, ok := map[string]uint32{
		"scvtf":  0x4e21d800, // Vd.4S = float(Vn.4S), signed, rounded to nearest
		"fcvtns": 0x4e21a800, // Vd.4S = int(Vn.4S), to nearest, ties to even, saturating
		"xtn4h":  0x0e612800, // Vd.4H = the low halves of Vn.4S
		"xtn8h":  0x4e612800, // XTN2: Vd.8H's upper 4 = the low halves of Vn.4S
		"xtn8b":  0x0e212800, // Vd.8B = the low bytes of Vn.8H
	}[op]
	if !ok {
		panic("qneon: unknown op " + op)
	}
	mn := map[string]string{
		"scvtf": "SCVTF V%d.4S, V%d.4S", "fcvtns": "FCVTNS V%d.4S, V%d.4S", "xtn4h": "XTN V%d.4H, V%d.4S",
		"xtn8h": "XTN2 V%d.8H, V%d.4S", "xtn8b": "XTN V%d.8B, V%d.8H",
	}[op]
	return base | uint32(n)<<5 | uint32(d), fmt.Sprintf(mn, d, n)
}

// float3 encodes Vd.4S = Vn.4S op Vm.4S for op fadd, fmul, fmaxnm or fminnm
// (the NM forms return the number when one operand is NaN).
func float3(op string, d, n, m int) (uint32, string) {
	check(d, n, m)
	base, ok := map[string]uint32{
		"fadd":   0x4e20d400,
		"fmul":   0x6e20dc00,
		"fmaxnm": 0x4e20c400,
		"fminnm": 0x4ea0c400,
	}[op]
	if !ok {
		panic("qneon: unknown op " + op)
	}
	return base | uint32(m)<<16 | uint32(n)<<5 | uint32(d), fmt.Sprintf("%s V%d.4S, V%d.4S, V%d.4S", strings.ToUpper(op), d, n, m)
}

// smlalVec encodes SMLAL Vd.4S, Vn.4H, Vm.4H (or SMLAL2 on the upper
// halves of Vn.8H and Vm.8H): Vd += the int16 lane products, widened.
func smlalVec(upper bool, d, n, m int) (uint32, string) {
	check(d, n, m)
	// 0 Q 0 01110 size=01 1 Rm 1000 00 Rn Rd
	enc := uint32(0x0e608000) | uint32(m)<<16 | uint32(n)<<5 | uint32(d)
	mn := fmt.Sprintf("SMLAL V%d.4S, V%d.4H, V%d.4H", d, n, m)
	if upper {
		enc |= 1 << 30
		mn = fmt.Sprintf("SMLAL2 V%d.4S, V%d.8H, V%d.8H", d, n, m)
	}
	return enc, mn
}
