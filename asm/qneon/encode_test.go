package main

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The expected words come from LLVM's assembler:
// echo 'sdot v0.4s, v20.16b, v16.4b[0]' | llvm-mc -triple=aarch64 -mattr=+dotprod -show-encoding
func TestEncodings(t *testing.T) {
	sdot := func(d, n, m, lane int) uint32 { e, _ := sdotElem(d, n, m, lane); return e }
	smlal := func(up bool, d, n, m, lane int) uint32 { e, _ := smlalElem(up, d, n, m, lane); return e }
	v2 := func(op string, d, n int) uint32 { e, _ := vec2(op, d, n); return e }
	f3 := func(op string, d, n, m int) uint32 { e, _ := float3(op, d, n, m); return e }
	sv := func(up bool, d, n, m int) uint32 { e, _ := smlalVec(up, d, n, m); return e }
	for _, tc := range []struct {
		asm       string
		got, want uint32
	}{
		{"sdot v0.4s, v20.16b, v16.4b[0]", sdot(0, 20, 16, 0), 0x4f90e280},
		{"sdot v15.4s, v23.16b, v19.4b[3]", sdot(15, 23, 19, 3), 0x4fb3eaef},
		{"sdot v1.4s, v2.16b, v31.4b[1]", sdot(1, 2, 31, 1), 0x4fbfe041},
		{"sdot v1.4s, v2.16b, v17.4b[2]", sdot(1, 2, 17, 2), 0x4f91e841},
		{"smlal v4.4s, v20.4h, v0.h[0]", smlal(false, 4, 20, 0, 0), 0x0f402284},
		{"smlal2 v5.4s, v20.8h, v3.h[7]", smlal(true, 5, 20, 3, 7), 0x4f732a85},
		{"smlal v19.4s, v21.4h, v15.h[5]", smlal(false, 19, 21, 15, 5), 0x0f5f2ab3},
		{"smlal2 v7.4s, v22.8h, v9.h[2]", smlal(true, 7, 22, 9, 2), 0x4f6922c7},
		{"scvtf v0.4s, v1.4s", v2("scvtf", 0, 1), 0x4e21d820},
		{"fcvtns v3.4s, v17.4s", v2("fcvtns", 3, 17), 0x4e21aa23},
		{"xtn v0.4h, v1.4s", v2("xtn4h", 0, 1), 0x0e612820},
		{"xtn2 v0.8h, v1.4s", v2("xtn8h", 0, 1), 0x4e612820},
		{"xtn v0.8b, v0.8h", v2("xtn8b", 0, 0), 0x0e212800},
		{"fmaxnm v0.4s, v1.4s, v20.4s", f3("fmaxnm", 0, 1, 20), 0x4e34c420},
		{"fminnm v2.4s, v3.4s, v21.4s", f3("fminnm", 2, 3, 21), 0x4eb5c462},
		{"fmul v0.4s, v1.4s, v2.4s", f3("fmul", 0, 1, 2), 0x6e22dc20},
		{"fadd v0.4s, v1.4s, v2.4s", f3("fadd", 0, 1, 2), 0x4e22d420},
		{"smlal v0.4s, v1.4h, v2.4h", sv(false, 0, 1, 2), 0x0e628020},
		{"smlal2 v3.4s, v17.8h, v30.8h", sv(true, 3, 17, 30), 0x4e7e8223},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %#08x, want %#08x", tc.asm, tc.got, tc.want)
		}
	}
}

// TestEncodingsLLVM checks every form the kernels emit against llvm-mc,
// where it is installed.
func TestEncodingsLLVM(t *testing.T) {
	if _, err := exec.LookPath("llvm-mc"); err != nil {
		t.Skip("llvm-mc not installed")
	}
	var src strings.Builder
	var encs []uint32
	add := func(e uint32, mn string) {
		// LLVM spells the mnemonics in lower case, .16b/.4b/.h lanes alike.
		fmt.Fprintln(&src, strings.ToLower(mn))
		encs = append(encs, e)
	}
	for d := 0; d < 32; d += 3 {
		for lane := 0; lane < 4; lane++ {
			add(sdotElem(d, (d+7)%32, (d+13)%32, lane))
		}
	}
	for d := 0; d < 32; d += 5 {
		for lane := 0; lane < 8; lane++ {
			add(smlalElem(lane%2 == 1, d, (d+9)%32, (d+lane)%16, lane))
		}
	}
	for d := 0; d < 32; d += 7 {
		for _, op := range []string{"scvtf", "fcvtns", "xtn4h", "xtn8h", "xtn8b"} {
			add(vec2(op, d, (d+11)%32))
		}
		for _, op := range []string{"fadd", "fmul", "fmaxnm", "fminnm"} {
			add(float3(op, d, (d+3)%32, (d+19)%32))
		}
		add(smlalVec(false, d, (d+5)%32, (d+21)%32))
		add(smlalVec(true, d, (d+6)%32, (d+22)%32))
	}
	cmd := exec.Command("llvm-mc", "-triple=aarch64", "-mattr=+dotprod", "-show-encoding")
	cmd.Stdin = strings.NewReader(src.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, out)
	}
	ms := regexp.MustCompile(`encoding: \[0x(..),0x(..),0x(..),0x(..)\]`).FindAllStringSubmatch(string(out), -1)
	if len(ms) != len(encs) {
		t.Fatalf("llvm-mc gave %d encodings for %d instructions:\n%s", len(ms), len(encs), out)
	}
	for i, m := range ms {
		var want uint32
		fmt.Sscanf(m[4]+m[3]+m[2]+m[1], "%x", &want)
		if encs[i] != want {
			t.Errorf("instruction %d: got %#08x, llvm-mc %#08x", i, encs[i], want)
		}
	}
}
