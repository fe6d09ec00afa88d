package nn

import "fmt"

// NewDropoutNoise returns a Dropout whose mask has Keras' noise_shape: one
// entry per dimension including the batch, -1 (Keras' None) for the input's
// own size, 1 where one draw is shared (EfficientNet's drop-connect
// (None, 1, 1, 1) drops whole samples).
func NewDropoutNoise(rate float64, noiseShape []int, opts ...Option) *Dropout {
	l := NewDropout(rate, opts...)
	if noiseShape != nil {
		l.noise = append([]int{}, noiseShape...)
	}
	return l
}

// NoiseShape returns the noise shape (nil: every value drawn).
func (l *Dropout) NoiseShape() []int { return append([]int(nil), l.noise...) }

func (l *Dropout) noiseConfig() any {
	if l.noise == nil {
		return nil
	}
	out := make([]any, len(l.noise))
	for i, d := range l.noise {
		if d >= 0 {
			out[i] = d
		}
	}
	return out
}

func (l *Dropout) checkNoise(in []int) error {
	if l.noise == nil {
		return nil
	}
	if len(l.noise) != len(in)+1 {
		return fmt.Errorf("noise_shape %v for inputs of rank %d", l.noise, len(in)+1)
	}
	for d, n := range l.noise[1:] {
		if n >= 0 && n != 1 && n != in[d] {
			return fmt.Errorf("noise_shape %v does not broadcast to %v", l.noise, in)
		}
	}
	return nil
}

// noiseMask fills mask (the input's size) with draws of the noise shape,
// broadcast: each drawn value is 0 with probability rate, else 1/(1-rate).
func (l *Dropout) noiseMask(shape []int, mask []float32) {
	full := append([]int{}, shape...)
	ns := make([]int, len(full))
	for d := range full {
		ns[d] = full[d]
		if n := l.noise[d]; n >= 0 {
			ns[d] = n
		}
	}
	draws := make([]float32, numElements(ns))
	keep := float32(1 / (1 - l.rate))
	for i := range draws {
		if l.rng.U() >= l.rate {
			draws[i] = keep
		}
	}
	// Walk the input with an odometer, tracking the draw's offset.
	rank := len(full)
	st := make([]int, rank)
	step := 1
	for d := rank - 1; d >= 0; d-- {
		if ns[d] != 1 {
			st[d] = step
		}
		step *= ns[d]
	}
	pos := make([]int, rank)
	off := 0
	for f := range mask {
		mask[f] = draws[off]
		for d := rank - 1; d >= 0; d-- {
			pos[d]++
			off += st[d]
			if pos[d] < full[d] {
				break
			}
			off -= pos[d] * st[d]
			pos[d] = 0
		}
	}
}

func dropoutFromConfig(r *reader, o []Option) Layer {
	var noise []int
	if ns, ok := r.c["noise_shape"].([]any); ok {
		for _, d := range ns {
			switch d := d.(type) {
			case nil:
				noise = append(noise, -1)
			case float64:
				noise = append(noise, int(d))
			default:
				r.keep(fmt.Errorf("noise_shape %v not understood", r.c["noise_shape"]))
			}
		}
	}
	return NewDropoutNoise(r.float("rate", 0), noise, o...)
}
