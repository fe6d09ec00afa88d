package zoo

import (
	"fmt"

	"github.com/keelml/keel/imagedata"
)

// Preprocessing is a Keras preprocess_input mode, by its name.
type Preprocessing string

const (
	PreprocessCaffe Preprocessing = "caffe" // RGB to BGR, ImageNet mean subtracted (VGG, ResNet)
	PreprocessTF    Preprocessing = "tf"    // scaled to [-1, 1]
	PreprocessTorch Preprocessing = "torch" // ImageNet mean and deviation (DenseNet)
	PreprocessNone  Preprocessing = "none"  // the model normalises its own input
)

// Preprocess applies a preprocess_input mode in place to x, RGB pixel
// values 0..255 in NHWC order, exactly as keras_applications does in
// float32. The empty mode is PreprocessNone.
func Preprocess(mode Preprocessing, x []float32) error {
	if len(x)%3 != 0 {
		return fmt.Errorf("preprocess: %d values are not RGB pixels", len(x))
	}
	switch mode {
	case PreprocessCaffe:
		imagedata.PreprocessCaffe(x, 0, 0)
	case PreprocessTF:
		imagedata.PreprocessTF(x, 0, 0)
	case PreprocessTorch:
		imagedata.PreprocessTorch(x, 0, 0)
	case PreprocessNone, "":
	default:
		return fmt.Errorf("preprocess: unknown mode %q (caffe, tf, torch or none)", mode)
	}
	return nil
}

// PreprocessInput applies the model's own preprocess_input to x in place.
func PreprocessInput(model string, x []float32) error {
	mode, err := PreprocessMode(model)
	if err != nil {
		return err
	}
	return Preprocess(mode, x)
}
