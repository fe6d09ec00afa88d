package imagedata

// Keras' preprocess_input modes as Augment.Preprocess hooks, for inputs
// holding 0..255 RGB in HWC order. Each works in float32 as numpy does on a
// float32 array.

// PreprocessCaffe is mode "caffe" (VGG16, VGG19, ResNet50): RGB to BGR, then
// the ImageNet mean subtracted per channel, no scaling.
func PreprocessCaffe(x []float32, h, w int) {
	const mb, mg, mr = float32(103.939), float32(116.779), float32(123.68)
	for i := 0; i+2 < len(x); i += 3 {
		r, g, b := x[i], x[i+1], x[i+2]
		x[i], x[i+1], x[i+2] = b-mb, g-mg, r-mr
	}
}

// PreprocessTF is mode "tf" (MobileNet, MobileNetV2, Inception): x/127.5 - 1.
func PreprocessTF(x []float32, h, w int) {
	for i, v := range x {
		x[i] = v/127.5 - 1
	}
}

// PreprocessTorch is mode "torch" (DenseNet): x/255, minus the ImageNet mean,
// over the ImageNet standard deviation, per RGB channel.
func PreprocessTorch(x []float32, h, w int) {
	mean := [3]float32{0.485, 0.456, 0.406}
	std := [3]float32{0.229, 0.224, 0.225}
	for i := range x {
		c := i % 3
		x[i] = (x[i]/255 - mean[c]) / std[c]
	}
}
