package imagedata

import "fmt"

// Interpolation names a resampling filter as Keras' load_img names them.
type Interpolation int

const (
	Nearest  Interpolation = iota // PIL NEAREST: Keras' default
	Bilinear                      // PIL BILINEAR (triangle filter, antialiased when shrinking)
	Bicubic                       // PIL BICUBIC (a = -0.5, antialiased when shrinking)
	Box                           // PIL BOX
	Hamming                       // PIL HAMMING
	Lanczos                       // PIL LANCZOS (a = 3)
)

var interpolationNames = [...]string{"nearest", "bilinear", "bicubic", "box", "hamming", "lanczos"}

func (i Interpolation) String() string {
	if i >= 0 && int(i) < len(interpolationNames) {
		return interpolationNames[i]
	}
	return fmt.Sprintf("Interpolation(%d)", int(i))
}

// ParseInterpolation accepts the names Keras' load_img accepts.
func ParseInterpolation(s string) (Interpolation, error) {
	for i, n := range interpolationNames {
		if n == s {
			return Interpolation(i), nil
		}
	}
	return 0, fmt.Errorf("unknown interpolation %q (want one of %v)", s, interpolationNames)
}
