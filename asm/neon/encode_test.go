package main

import "testing"

// The expected words come from LLVM's assembler:
// echo 'fmla v0.4s, v26.4s, v24.s[0]' | llvm-mc -triple=aarch64 -show-encoding
func TestEncodings(t *testing.T) {
	fmla := func(d, n, m, lane int) uint32 { e, _ := fmlaElem(d, n, m, lane); return e }
	op := func(o string, d, n, m int) uint32 { e, _ := float3(o, d, n, m); return e }
	for _, tc := range []struct {
		asm  string
		got  uint32
		want uint32
	}{
		{"fmla v0.4s, v26.4s, v24.s[0]", fmla(0, 26, 24, 0), 0x4f981340},
		{"fmla v23.4s, v28.4s, v25.s[3]", fmla(23, 28, 25, 3), 0x4fb91b97},
		{"fmla v1.4s, v2.4s, v31.s[1]", fmla(1, 2, 31, 1), 0x4fbf1041},
		{"fmla v1.4s, v2.4s, v17.s[2]", fmla(1, 2, 17, 2), 0x4f911841},
		{"fadd v0.4s, v1.4s, v2.4s", op("fadd", 0, 1, 2), 0x4e22d420},
		{"fsub v0.4s, v1.4s, v2.4s", op("fsub", 0, 1, 2), 0x4ea2d420},
		{"fmul v0.4s, v1.4s, v2.4s", op("fmul", 0, 1, 2), 0x6e22dc20},
		{"fmax v0.4s, v1.4s, v2.4s", op("fmax", 0, 1, 2), 0x4e22f420},
		{"fmin v0.4s, v1.4s, v2.4s", op("fmin", 0, 1, 2), 0x4ea2f420},
		{"fcmgt v0.4s, v1.4s, v2.4s", op("fcmgt", 0, 1, 2), 0x6ea2e420},
		{"fcmeq v6.4s, v16.4s, v0.4s", op("fcmeq", 6, 16, 0), 0x4e20e606},
		{"bic v6.16b, v6.16b, v4.16b", op("bic", 6, 6, 4), 0x4e641cc6},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %#08x, want %#08x", tc.asm, tc.got, tc.want)
		}
	}
}
