package imagedata

import (
	"image"
	"os"
)

// worker holds one goroutine's scratch buffers, so the steady state allocates
// little beyond what the image decoders themselves allocate.
type worker struct {
	decoded *Image
	resized *Image
	rs      resizer
	pixels  []float32
}

// process loads item i of slot s into its place in the batch: decode, resize,
// img_to_array, then augmentation and standardisation.
func (w *worker) process(ld *Loader, s *slot, i int) error {
	o := ld.opts
	idx := s.plan.items[i]
	data, err := os.ReadFile(ld.list.Paths[idx])
	if err != nil {
		return err
	}
	m, format, err := decodeImage(data)
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
	if ycc, isYCC := m.(*image.YCbCr); isYCC && o.Resize == ResizePILMethod && o.Interpolation == Nearest &&
		nearestYCbCr(ycc, format == "webp", w.resized) {
		w.resized.ToFloat32(target)
	} else {
		w.decoded = toRGB(m, format, w.decoded)
		switch o.Resize {
		case ResizeTF:
			ResizeTFBilinear(w.decoded, o.Width, o.Height, target)
		default:
			w.resized = w.rs.resizePIL(w.decoded, o.Width, o.Height, o.Interpolation, w.resized)
			w.resized.ToFloat32(target)
		}
	}
	if o.Augment != nil {
		o.Augment.Apply(target, o.Height, o.Width, s.plan.ts[i], out)
	}
	return nil
}
