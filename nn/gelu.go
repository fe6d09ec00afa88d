package nn

// Keras 3's gelu: "gelu" is the exact form 0.5 x (1 + erf(x / sqrt 2))
// (keras.activations.gelu's default, approximate=False); "gelu_approximate"
// is Keel's name for approximate=True, the tanh form
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Their derivatives need
// the input, not the output (needsPre). The kernels compute both
// (kernels.GELU, kernels.GELUTanh: activation_swish.go's nonlinear).
const (
	actGELU       activation = "gelu"
	actGELUApprox activation = "gelu_approximate"
)
