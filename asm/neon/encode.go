package main

import "fmt"

// fmlaElem encodes FMLA Vd.4S, Vn.4S, Vm.S[lane] (Vd += Vn * Vm[lane]; any
// of V0-V31 for Vm with 32-bit elements) and returns it with its mnemonic.
func fmlaElem(d, n, m, lane int) (uint32, string) {
	check(d, n, m)
	if lane < 0 || lane > 3 {
		panic(fmt.Sprintf("neon: lane %d", lane))
	}
	// 0 Q=1 0 01111 1 sz=0 L M Rm 0001 H 0 Rn Rd
	enc := uint32(0x4f801000) | uint32(lane&1)<<21 | uint32(m)<<16 | uint32(lane>>1)<<11 | uint32(n)<<5 | uint32(d)
	return enc, fmt.Sprintf("FMLA V%d.4S, V%d.4S, V%d.S[%d]", d, n, m, lane)
}

// float3 encodes the three-register float ops on four lanes: Vd.4S = Vn.4S
// op Vm.4S for op fadd, fsub, fmul, fmax or fmin.
func float3(op string, d, n, m int) (uint32, string) {
	check(d, n, m)
	base, ok := map[string]uint32{
		"fadd":  0x4e20d400, // 0 Q 0 01110 0 sz 1 Rm 110101 Rn Rd
		"fsub":  0x4ea0d400, // 0 Q 0 01110 1 sz 1 Rm 110101 Rn Rd
		"fmul":  0x6e20dc00, // 0 Q 1 01110 0 sz 1 Rm 110111 Rn Rd
		"fmax":  0x4e20f400, // 0 Q 0 01110 0 sz 1 Rm 111101 Rn Rd
		"fmin":  0x4ea0f400, // 0 Q 0 01110 1 sz 1 Rm 111101 Rn Rd
		"fcmgt": 0x6ea0e400, // 0 Q 1 01110 1 sz 1 Rm 111001 Rn Rd: all ones where Vn > Vm
		"fcmeq": 0x4e20e400, // 0 Q 0 01110 0 sz 1 Rm 111001 Rn Rd: all ones where Vn == Vm
		"bic":   0x4e601c00, // 0 Q 0 01110 011 Rm 000111 Rn Rd: Vn AND NOT Vm (bitwise)
	}[op]
	if !ok {
		panic("neon: unknown op " + op)
	}
	enc := base | uint32(m)<<16 | uint32(n)<<5 | uint32(d)
	return enc, fmt.Sprintf("%s V%d.4S, V%d.4S, V%d.4S", upper(op), d, n, m)
}

func check(regs ...int) {
	for _, r := range regs {
		if r < 0 || r > 31 {
			panic(fmt.Sprintf("neon: no register V%d", r))
		}
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
