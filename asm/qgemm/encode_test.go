package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The expected bytes come from LLVM's assembler:
// echo '{vex} vpdpbusd ymm3, ymm2, ymm0' | llvm-mc -triple=x86_64 -x86-asm-syntax=intel -mattr=+avxvnni -show-encoding
var vexCases = []struct {
	d, s1, s2 int
	want      []byte
}{
	{3, 2, 0, []byte{0xc4, 0xe2, 0x6d, 0x50, 0xd8}},
	{0, 4, 2, []byte{0xc4, 0xe2, 0x5d, 0x50, 0xc2}},
	{11, 14, 13, []byte{0xc4, 0x42, 0x0d, 0x50, 0xdd}},
	{8, 1, 15, []byte{0xc4, 0x42, 0x75, 0x50, 0xc7}},
	{5, 12, 9, []byte{0xc4, 0xc2, 0x1d, 0x50, 0xe9}},
}

func TestVexDpbusd(t *testing.T) {
	for _, tc := range vexCases {
		got, mn := vexDpbusd(tc.d, tc.s1, tc.s2)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%s: got % x, want % x", mn, got, tc.want)
		}
	}
}

// TestVexDpbusdLLVM checks every register combination the kernels use
// against llvm-mc, where it is installed.
func TestVexDpbusdLLVM(t *testing.T) {
	if _, err := exec.LookPath("llvm-mc"); err != nil {
		t.Skip("llvm-mc not installed")
	}
	var src strings.Builder
	var encs [][]byte
	for d := 0; d < 16; d++ {
		for s := 0; s < 16; s += 3 {
			w := (d + 5) % 16
			enc, mn := vexDpbusd(d, s, w)
			fmt.Fprintln(&src, mn)
			encs = append(encs, enc)
		}
	}
	cmd := exec.Command("llvm-mc", "-triple=x86_64", "-x86-asm-syntax=intel", "-mattr=+avxvnni", "-show-encoding")
	cmd.Stdin = strings.NewReader(src.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`encoding: \[([^\]]*)\]`)
	ms := re.FindAllStringSubmatch(string(out), -1)
	if len(ms) != len(encs) {
		t.Fatalf("llvm-mc gave %d encodings for %d instructions:\n%s", len(ms), len(encs), out)
	}
	for i, m := range ms {
		var want []byte
		for _, h := range strings.Split(m[1], ",") {
			var b byte
			fmt.Sscanf(strings.TrimSpace(h), "0x%x", &b)
			want = append(want, b)
		}
		if !bytes.Equal(encs[i], want) {
			t.Errorf("instruction %d: got % x, llvm-mc % x", i, encs[i], want)
		}
	}
}

// The EVEX encodings, from
// echo 'vdpbf16ps zmm0, zmm26, zmm24' | llvm-mc -triple=x86_64 -x86-asm-syntax=intel -mattr=+avx512bf16 -show-encoding
func TestEvex(t *testing.T) {
	for _, tc := range []struct {
		got  func() ([]byte, string)
		want []byte
	}{
		{func() ([]byte, string) { return vdpbf16ps(0, 26, 24) }, []byte{0x62, 0x92, 0x2e, 0x40, 0x52, 0xc0}},
		{func() ([]byte, string) { return vdpbf16ps(23, 2, 25) }, []byte{0x62, 0x82, 0x6e, 0x48, 0x52, 0xf9}},
		{func() ([]byte, string) { return vdpbf16ps(9, 17, 12) }, []byte{0x62, 0x52, 0x76, 0x40, 0x52, 0xcc}},
		{func() ([]byte, string) { return vcvtne2ps2bf16(0, 1, 2) }, []byte{0x62, 0xf2, 0x77, 0x48, 0x72, 0xc2}},
		{func() ([]byte, string) { return vcvtne2ps2bf16(17, 9, 30) }, []byte{0x62, 0x82, 0x37, 0x48, 0x72, 0xce}},
	} {
		got, mn := tc.got()
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%s: got % x, want % x", mn, got, tc.want)
		}
	}
}

// TestEvexLLVM checks register combinations over all 32 zmm against llvm-mc.
func TestEvexLLVM(t *testing.T) {
	if _, err := exec.LookPath("llvm-mc"); err != nil {
		t.Skip("llvm-mc not installed")
	}
	var src strings.Builder
	var encs [][]byte
	for d := 0; d < 32; d++ {
		for _, s := range []int{0, 7, 8, 15, 16, 23, 24, 31} {
			for _, f := range []func(d, s1, s2 int) ([]byte, string){vdpbf16ps, vcvtne2ps2bf16} {
				enc, mn := f(d, s, (d+s+3)%32)
				fmt.Fprintln(&src, mn)
				encs = append(encs, enc)
			}
		}
	}
	checkLLVM(t, src.String(), encs, "-mattr=+avx512bf16")
}

func checkLLVM(t *testing.T, src string, encs [][]byte, attr string) {
	t.Helper()
	cmd := exec.Command("llvm-mc", "-triple=x86_64", "-x86-asm-syntax=intel", attr, "-show-encoding")
	cmd.Stdin = strings.NewReader(src)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, out)
	}
	ms := regexp.MustCompile(`encoding: \[([^\]]*)\]`).FindAllStringSubmatch(string(out), -1)
	if len(ms) != len(encs) {
		t.Fatalf("llvm-mc gave %d encodings for %d instructions:\n%s", len(ms), len(encs), out)
	}
	for i, m := range ms {
		var want []byte
		for _, h := range strings.Split(m[1], ",") {
			var b byte
			fmt.Sscanf(strings.TrimSpace(h), "0x%x", &b)
			want = append(want, b)
		}
		if !bytes.Equal(encs[i], want) {
			t.Errorf("instruction %d: got % x, llvm-mc % x", i, encs[i], want)
		}
	}
}
