package imagedata

import "fmt"

// Image is an 8-bit RGB image: row-major, three bytes per pixel, no padding.
// It is what PIL holds after convert('RGB').
type Image struct {
	Pix  []uint8
	W, H int
}

// NewImage allocates a black w x h image.
func NewImage(w, h int) *Image {
	return &Image{Pix: make([]uint8, 3*w*h), W: w, H: h}
}

// reuse returns img resized to w x h, reusing its buffer when large enough, so
// a worker decoding many images allocates once.
func reuse(img *Image, w, h int) *Image {
	if img == nil {
		return NewImage(w, h)
	}
	n := 3 * w * h
	if cap(img.Pix) < n {
		img.Pix = make([]uint8, n)
	}
	img.Pix = img.Pix[:n]
	img.W, img.H = w, h
	return img
}

// ToFloat32 writes the pixels as float32 0..255 (Keras' img_to_array) into dst,
// which must hold 3*W*H values.
func (img *Image) ToFloat32(dst []float32) {
	for i, v := range img.Pix {
		dst[i] = float32(v)
	}
}

func (img *Image) String() string { return fmt.Sprintf("%dx%d RGB", img.W, img.H) }
