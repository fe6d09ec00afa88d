package imagedata

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
	img, err := loadInto(ld.list.Paths[idx], w.decoded)
	if err != nil {
		return err
	}
	w.decoded = img
	size := o.Height * o.Width * 3
	out := s.x[i*size : (i+1)*size]
	target := out
	if o.Augment != nil {
		if cap(w.pixels) < size {
			w.pixels = make([]float32, size)
		}
		target = w.pixels[:size]
	}
	switch o.Resize {
	case ResizeTF:
		ResizeTFBilinear(img, o.Width, o.Height, target)
	default:
		w.resized = w.rs.resizePIL(img, o.Width, o.Height, o.Interpolation, w.resized)
		w.resized.ToFloat32(target)
	}
	if o.Augment != nil {
		o.Augment.Apply(target, o.Height, o.Width, s.plan.ts[i], out)
	}
	return nil
}
