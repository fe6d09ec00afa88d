package imagedata

import (
	"image"
	"math"
)

// ResizeTFBilinear resizes as tf.image.resize(method="bilinear",
// antialias=False) does, which is what Keras' image_dataset_from_directory
// calls: half-pixel centres, no antialiasing when shrinking, float32
// arithmetic, unrounded float32 output (3*w*h values, HWC). dst is reused when
// large enough.
func ResizeTFBilinear(src *Image, w, h int, dst []float32) []float32 {
	return ResizeTFBilinearBox(src, src.bounds(), w, h, dst)
}

// ResizeTFBilinearBox resizes the region box of src, as TensorFlow resizes a
// cropped tensor (smart_resize, crop_to_aspect_ratio).
func ResizeTFBilinearBox(src *Image, box image.Rectangle, w, h int, dst []float32) []float32 {
	if cap(dst) < 3*w*h {
		dst = make([]float32, 3*w*h)
	}
	dst = dst[:3*w*h]
	xs := tfWeights(box.Dx(), w, box.Min.X)
	ys := tfWeights(box.Dy(), h, box.Min.Y)
	stride := 3 * src.W
	for y, yw := range ys {
		top := src.Pix[yw.lower*stride : (yw.lower+1)*stride]
		bot := src.Pix[yw.upper*stride : (yw.upper+1)*stride]
		out := dst[3*y*w : 3*(y+1)*w]
		for x, xw := range xs {
			l, r := 3*xw.lower, 3*xw.upper
			for c := 0; c < 3; c++ {
				tl, tr := float32(top[l+c]), float32(top[r+c])
				bl, br := float32(bot[l+c]), float32(bot[r+c])
				// The explicit conversions keep each product rounded to
				// float32 (no fused multiply-add), as TF computes it.
				t := tl + float32((tr-tl)*xw.lerp)
				b := bl + float32((br-bl)*xw.lerp)
				out[3*x+c] = t + float32((b-t)*yw.lerp)
			}
		}
	}
	return dst
}

type tfWeight struct {
	lower, upper int
	lerp         float32
}

// tfWeights mirrors compute_interpolation_weights with HalfPixelScaler in
// TensorFlow's resize_bilinear_op.cc, for an axis of a crop starting at off.
func tfWeights(in, out, off int) []tfWeight {
	scale := float32(in) / float32(out)
	ws := make([]tfWeight, out)
	for i := range ws {
		v := float32(float32(float32(i)+0.5)*scale) - 0.5
		f := float32(math.Floor(float64(v)))
		ws[i] = tfWeight{
			lower: off + max(int(f), 0),
			upper: off + min(int(math.Ceil(float64(v))), in-1),
			lerp:  v - f,
		}
	}
	return ws
}
