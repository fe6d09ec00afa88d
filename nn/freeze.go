package nn

import (
	"fmt"
	"slices"
)

// TrainableWeights returns the weights an optimizer changes: trainable
// variables of trainable layers of trainable (sub)models.
func (m *Model) TrainableWeights() []*Variable {
	var out []*Variable
	m.walk(true, func(l Layer, trainable bool) {
		if _, ok := l.(*Model); ok {
			return
		}
		for _, v := range l.Weights() {
			if trainable && v.trainable {
				out = append(out, v)
			}
		}
	})
	return out
}

// NonTrainableWeights returns the other weights.
func (m *Model) NonTrainableWeights() []*Variable {
	var out []*Variable
	m.walk(true, func(l Layer, trainable bool) {
		if _, ok := l.(*Model); ok {
			return
		}
		for _, v := range l.Weights() {
			if !trainable || !v.trainable {
				out = append(out, v)
			}
		}
	})
	return out
}

// walk calls fn for every layer, nested ones included, in order, with its
// effective trainability (its flag and those of the models around it).
func (m *Model) walk(trainable bool, fn func(l Layer, trainable bool)) {
	trainable = trainable && m.trainable
	for _, l := range m.layers {
		eff := trainable && l.Trainable()
		fn(l, eff)
		if sub, ok := l.(*Model); ok {
			sub.walk(trainable, fn)
		}
	}
}

// SetTrainable sets the flag of the model and of every layer inside it, as
// setting model.trainable does in tf.keras.
func (m *Model) SetTrainable(t bool) {
	m.trainable = t
	for _, l := range m.layers {
		l.SetTrainable(t)
	}
	m.gen.Add(1)
}

// flatLayers lists the layers with nested models expanded in place (the
// model itself first, then its layers).
func (m *Model) flatLayers() []Layer {
	var out []Layer
	for _, l := range m.layers {
		out = append(out, l)
		if sub, ok := l.(*Model); ok {
			out = append(out, sub.flatLayers()...)
		}
	}
	return out
}

// FreezeUntil freezes every layer up to and including the named one (in
// layer order, nested models expanded) and makes every later layer trainable.
func (m *Model) FreezeUntil(name string) error {
	flat := m.flatLayers()
	i := slices.IndexFunc(flat, func(l Layer) bool { return l.Name() == name })
	if i < 0 {
		return fmt.Errorf("nn: model %q has no layer %q", m.name, name)
	}
	m.trainableFrom(flat, i+1)
	return nil
}

// UnfreezeFrom makes the named layer and every later one trainable and
// freezes the layers before it: fine-tuning the top of a backbone.
func (m *Model) UnfreezeFrom(name string) error {
	flat := m.flatLayers()
	i := slices.IndexFunc(flat, func(l Layer) bool { return l.Name() == name })
	if i < 0 {
		return fmt.Errorf("nn: model %q has no layer %q", m.name, name)
	}
	m.trainableFrom(flat, i)
	return nil
}

func (m *Model) trainableFrom(flat []Layer, from int) {
	for i, l := range flat {
		if _, ok := l.(*Model); ok {
			continue
		}
		l.core().trainable = i >= from
		l.core().gen.Add(1)
	}
	// A nested model is trainable when anything inside it is.
	var fix func(*Model) bool
	fix = func(mm *Model) bool {
		on := false
		for _, l := range mm.layers {
			if sub, ok := l.(*Model); ok {
				on = fix(sub) || on
			} else {
				on = on || l.Trainable()
			}
		}
		mm.trainable = on
		mm.gen.Add(1)
		return on
	}
	fix(m)
	m.trainable = true
}
