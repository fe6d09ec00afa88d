package weightsio

// ReadAllFloat32 reads every layer's weights as float32, keyed by layer name,
// each layer's weights in Keras order. All values share one allocation:
// allocating each tensor separately costs several times the read itself
// (fresh pages from the OS for every large slice), while one slice costs
// about what reading the file's bytes does.
func (f *File) ReadAllFloat32() (map[string][][]float32, error) {
	total := 0
	for _, l := range f.layers {
		for i := range l.Weights {
			total += l.Weights[i].Len()
		}
	}
	all := make([]float32, total)
	out := make(map[string][][]float32, len(f.layers))
	for _, l := range f.layers {
		values := make([][]float32, len(l.Weights))
		for i := range l.Weights {
			w := &l.Weights[i]
			n := w.Len()
			values[i], all = all[:n:n], all[n:]
			if err := w.ReadFloat32Into(values[i]); err != nil {
				return nil, err
			}
		}
		out[l.Name] = values
	}
	return out, nil
}
