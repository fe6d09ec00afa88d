//go:build !amd64 || purego

package kernels

// Placeholders for the amd64 AVX-512 depthwise kernels (their caller checks
// dwAsm and the AVX-512 conv kernel first, false in these builds).

func depthwise3x3Packed512(rows **float32, wp, out *float32, count, c, xs, xd int) {
	panic("kernels: AVX-512 depthwise kernel called in a build without it")
}

func depthwise3x3Packed512ReLU(rows **float32, wp, out *float32, count, c, xs, xd int) {
	panic("kernels: AVX-512 depthwise kernel called in a build without it")
}

func depthwise3x3Packed512ReLU6(rows **float32, wp, out *float32, count, c, xs, xd int) {
	panic("kernels: AVX-512 depthwise kernel called in a build without it")
}

func depthwise3x3RowGrad512(rows **float32, dy, dw *float32, count, c, xs, xd int) {
	panic("kernels: AVX-512 depthwise kernel called in a build without it")
}
