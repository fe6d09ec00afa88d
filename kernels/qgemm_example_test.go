package kernels_test

import (
	"fmt"

	"github.com/keelml/keel/kernels"
)

// A Dense layer in int8: float inputs and weights quantized, one QGemm with
// bias and ReLU in its epilogue, the output dequantized.
func ExampleQGemm() {
	x := []float32{0.5, 1, 2, 0} // 1 x 4
	w := []float32{              // 4 x 2
		1, -1,
		0.5, 0.25,
		-0.25, 1,
		2, 2,
	}
	bias := []float32{0.1, -0.2}
	sx, zx := float32(2.0/255), int32(0) // inputs in [0, 2]
	sy, zy := float32(4.0/255), int32(64)
	xq := make([]uint8, len(x))
	kernels.QuantizeU8(x, sx, zx, xq)
	wq, sw := kernels.QuantizeWeights(w, 4, 2)
	ep := &kernels.QEpilogue{Scale: make([]float32, 2), Bias: make([]float32, 2), OutZero: zy, Lo: uint8(zy)} // Lo = zero point: ReLU
	for j := range ep.Scale {
		ep.Scale[j] = sx * sw[j] / sy
		ep.Bias[j] = bias[j] / sy
	}
	yq := make([]uint8, 2)
	kernels.QGemm(1, xq, 4, zx, kernels.PackQWeights(wq, 4, 2), yq, 2, ep)
	y := make([]float32, 2)
	kernels.DequantizeU8(yq, sy, zy, y)
	fmt.Printf("%v %.2f\n", yq, y) // float: relu(0.5+0.5-0.5+0.1) = 0.6, relu(-0.5+0.25+2-0.2) = 1.55, within the quantization steps
	// Output: [103 164] [0.61 1.57]
}

// A 3x3 convolution in int8 with ReLU6 clamped in the epilogue: Keras'
// HWIO kernel flattened to (3*3*C) x OutC, packed once.
func ExampleQConv2D() {
	p := kernels.ConvParams{N: 1, H: 4, W: 4, C: 1, KH: 3, KW: 3, OutC: 1, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}
	x := make([]uint8, 16)
	for i := range x {
		x[i] = uint8(10 * i) // real value s_x*(x-0), s_x = 0.1: 0, 1, 2, ...
	}
	w := []int8{0, 0, 0, 0, 127, 0, 0, 0, 0} // the identity, s_w = 1/127
	sx, sw, sy := float32(0.1), float32(1.0/127), float32(0.05)
	ep := &kernels.QEpilogue{Scale: []float32{sx * sw / sy}, OutZero: 0, Lo: 0, Hi: uint8(6 / sy)} // ReLU6
	y := make([]uint8, 16)
	kernels.QConv2D(p, x, 0, kernels.PackQWeights(w, 9, 1), ep, y)
	fmt.Println(y) // 2x the input (s_y is half s_x), capped at 6/s_y = 120
	// Output: [0 20 40 60 80 100 120 120 120 120 120 120 120 120 120 120]
}

// The bfloat16 GEMM: weights rounded once, activations on every call.
func ExampleBF16Gemm() {
	w := kernels.PackBF16Weights([]float32{1, 2, 3, 4, 5, 6}, 3, 2) // 3 x 2
	out := make([]float32, 2)
	kernels.BF16Gemm(1, []float32{1, 0.5, 0.25}, 3, w, out, 2, []float32{0.5, 0}, kernels.ActNone)
	fmt.Println(out, kernels.FromBF16(kernels.ToBF16(1.001))) // 1.001 is not a bfloat16
	// Output: [4.25 5.5] 1
}
