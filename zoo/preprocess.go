package zoo

import (
	"fmt"

	"github.com/keelml/keel/imagedata"
)

// Preprocess applies a preprocess_input mode ("caffe", "tf", "torch" or
// "none") in place to x, RGB pixel values 0..255 in NHWC order, exactly as
// keras_applications does in float32.
func Preprocess(mode string, x []float32) error {
	if len(x)%3 != 0 {
		return fmt.Errorf("preprocess: %d values are not RGB pixels", len(x))
	}
	switch mode {
	case "caffe":
		imagedata.PreprocessCaffe(x, 0, 0)
	case "tf":
		imagedata.PreprocessTF(x, 0, 0)
	case "torch":
		imagedata.PreprocessTorch(x, 0, 0)
	case "none", "":
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
