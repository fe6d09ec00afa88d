//go:build !(amd64 || arm64) || purego

package kernels

// Placeholders for the amd64-only conv-family kernels (their callers check
// convAsmOK first, false in these builds).

func depthwise3x3Packed(rows **float32, wp, out *float32, count, c, xs, xd int) {
	panic("kernels: AVX2 depthwise kernel called in a build without it")
}

func depthwise3x3PackedReLU(rows **float32, wp, out *float32, count, c, xs, xd int) {
	panic("kernels: AVX2 depthwise kernel called in a build without it")
}

func depthwise3x3PackedReLU6(rows **float32, wp, out *float32, count, c, xs, xd int) {
	panic("kernels: AVX2 depthwise kernel called in a build without it")
}

func depthwiseTapsAct(xs, ws **float32, n, c int, bias, out *float32, flags int) {
	panic("kernels: AVX2 depthwise kernel called in a build without it")
}

func depthwiseTapsGrad(xs, accs **float32, n, c int, dy *float32) {
	panic("kernels: AVX2 depthwise kernel called in a build without it")
}

// storeFence orders non-temporal stores; without the assembly there are none.
func storeFence() {}
