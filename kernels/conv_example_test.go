package kernels_test

import (
	"fmt"

	"github.com/keelml/keel/kernels"
)

// A 3x3 `same` convolution with bias and a fused ReLU on one 4x4 image with
// two channels, then its gradients.
func ExampleConv2D() {
	p := kernels.ConvParams{N: 1, H: 4, W: 4, C: 2, KH: 3, KW: 3, OutC: 3, StrideH: 1, StrideW: 1}
	p.PadTop, p.PadBottom = kernels.SamePadding(p.H, p.KH, p.StrideH, 1)
	p.PadLeft, p.PadRight = kernels.SamePadding(p.W, p.KW, p.StrideW, 1)

	x := make([]float32, p.N*p.H*p.W*p.C) // NHWC
	for i := range x {
		x[i] = 1
	}
	w := make([]float32, p.KH*p.KW*p.C*p.OutC) // HWIO, as Keras stores it
	for i := range w {
		w[i] = 0.5
	}
	bias := []float32{0, -4, -100}
	y := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC)
	kernels.Conv2D(p, x, w, bias, kernels.ActReLU, y)
	fmt.Println("corner:", y[:3])    // 4 taps x 2 channels x 0.5
	fmt.Println("centre:", y[15:18]) // pixel (1, 1): 9 taps

	// Backward from a loss gradient of ones: first through the fused ReLU
	// (its output y gives the mask), then through the convolution.
	dy := make([]float32, len(y))
	for i := range dy {
		dy[i] = 1
	}
	kernels.ActivateBackward(kernels.ActReLU, y, dy, dy)
	dx := make([]float32, len(x))
	kernels.Conv2DBackwardInput(p, dy, w, dx)
	dw, db := make([]float32, len(w)), make([]float32, p.OutC)
	kernels.Conv2DBackwardWeights(p, x, dy, dw, db)
	fmt.Println("dbias:", db) // the outputs above zero per channel
	// Output:
	// corner: [4 0 0]
	// centre: [9 5 0]
	// dbias: [16 12 0]
}

// TensorFlow's `same` padding puts the larger half after: stride 2 on an even
// size pads only the bottom/right.
func ExampleSamePadding() {
	fmt.Println(kernels.SamePadding(224, 3, 2, 1))
	fmt.Println(kernels.SamePadding(7, 3, 2, 1))
	fmt.Println(kernels.SamePadding(224, 7, 2, 1))
	// Output:
	// 0 1
	// 1 1
	// 2 3
}
