package imagedata

import (
	"fmt"
	"image"
	"io"
	"os"
)

// worker holds one goroutine's scratch buffers, so the steady state allocates
// little beyond what the image decoders themselves allocate.
type worker struct {
	decoded *Image
	resized *Image
	rs      resizer
	pixels  []float32
	file    []byte
}

// read is os.ReadFile into a buffer kept between files.
func (w *worker) read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%v)", info.Mode().Type())
	}
	n := int(info.Size())
	if cap(w.file) < n {
		w.file = make([]byte, n)
	}
	w.file = w.file[:n]
	if _, err := io.ReadFull(f, w.file); err != nil {
		return nil, err
	}
	return w.file, nil
}

// process loads item i of slot s into its place in the batch: decode, resize,
// img_to_array, then augmentation and standardisation.
func (w *worker) process(ld *Loader, s *slot, i int) (err error) {
	defer func() {
		// An image no decoder rejected but that still trips a conversion is
		// reported like a corrupt file, not allowed to take the program down.
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error on this image: %v", r)
		}
	}()
	o := ld.opts
	idx := s.plan.items[i]
	data, err := w.read(ld.list.Paths[idx])
	if err != nil {
		return err
	}
	// TensorFlow's decode_jpeg uses libjpeg's fast IDCT unless told otherwise.
	m, format, err := decodeImageWith(data, o.Resize == LikeTF)
	if err != nil {
		return err
	}
	size := o.Height * o.Width * 3
	out := s.x[i*size : (i+1)*size]
	target := out
	if o.Augment != nil {
		if cap(w.pixels) < size {
			w.pixels = make([]float32, size)
		}
		target = w.pixels[:size]
	}
	w.resized = reuse(w.resized, o.Width, o.Height)
	crop := image.Rect(0, 0, m.Bounds().Dx(), m.Bounds().Dy())
	if o.CropToAspectRatio {
		if o.Resize == LikeTF {
			crop = SmartResizeCrop(crop.Dx(), crop.Dy(), o.Width, o.Height)
		} else {
			crop = KeepAspectCrop(crop.Dx(), crop.Dy(), o.Width, o.Height)
		}
	}
	if ycc, isYCC := m.(*image.YCbCr); isYCC && o.Resize == LikePIL && o.Interpolation == Nearest &&
		nearestYCbCr(ycc, format == "webp", crop, w.resized) {
		w.resized.ToFloat32(target)
	} else {
		w.decoded = toRGB(m, format, w.decoded)
		switch o.Resize {
		case LikeTF:
			ResizeTFBilinearBox(w.decoded, crop, o.Width, o.Height, target)
		default:
			w.resized = w.rs.resizePIL(w.decoded, crop, o.Width, o.Height, o.Interpolation, w.resized)
			w.resized.ToFloat32(target)
		}
	}
	if o.Augment != nil {
		o.Augment.Apply(target, o.Height, o.Width, s.plan.ts[i], out)
	}
	return nil
}
