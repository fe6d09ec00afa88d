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
