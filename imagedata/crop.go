package imagedata

import "image"

// Source regions are image.Rectangles in pixels: PIL's box argument to
// Image.resize, and the centre crops Keras takes to keep the aspect ratio.

// bounds is the whole of img.
func (img *Image) bounds() image.Rectangle { return image.Rect(0, 0, img.W, img.H) }

func spans(img *Image, r image.Rectangle) (x, y span) {
	return span{img.W, r.Min.X, r.Max.X}, span{img.H, r.Min.Y, r.Max.Y}
}

// KeepAspectCrop is the centre crop of load_img(keep_aspect_ratio=True)
// (Keras 2.9 and later): the largest region of a srcW x srcH image with the
// aspect ratio of w x h, in Python's integer arithmetic.
func KeepAspectCrop(srcW, srcH, w, h int) image.Rectangle {
	cropH := min(srcH, srcW*h/w)
	cropW := min(srcW, srcH*w/h)
	x0, y0 := (srcW-cropW)/2, (srcH-cropH)/2
	return image.Rect(x0, y0, x0+cropW, y0+cropH)
}

// SmartResizeCrop is the centre crop of Keras' smart_resize, which
// image_dataset_from_directory(crop_to_aspect_ratio=True) takes; TensorFlow
// computes it through float32.
func SmartResizeCrop(srcW, srcH, w, h int) image.Rectangle {
	cropH := min(srcH, int(float32(srcW*h)/float32(w)))
	cropW := min(srcW, int(float32(srcH*w)/float32(h)))
	y0 := int(float32(srcH-cropH) / 2)
	x0 := int(float32(srcW-cropW) / 2)
	return image.Rect(x0, y0, x0+cropW, y0+cropH)
}
