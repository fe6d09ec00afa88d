package kernels

// conv2D dispatches the forward convolution.
func conv2D(p ConvParams, x []float32, w convWeights, bias []float32, act Activation, y []float32) {
	checkLen("Conv2D", "x", x, p.N*p.H*p.W*p.C)
	checkLen("Conv2D", "y", y, p.N*p.OutH()*p.OutW()*p.OutC)
	if bias != nil {
		checkLen("Conv2D", "bias", bias, p.OutC)
	}
	conv2DDirect(p, x, w.raw, bias, act, y)
}

func conv2DBackwardInput(p ConvParams, dy, w, dx []float32) {
	conv2DBackwardInputDirect(p, dy, w, dx)
}

func conv2DBackwardWeights(p ConvParams, x, dy, dw []float32) {
	conv2DBackwardWeightsDirect(p, x, dy, dw)
}

// The convolution micro-tile: convMR output pixels x convNR output channels.
const (
	convMR = 6
	convNR = 16
)
