package nn

import "fmt"

// registerConfig registers class with a constructor that reads the common
// options (name, trainable, channels_last) and then the layer's own keys
// through a reader, as the registry's own layers do.
func registerConfig(class string, fn func(r *reader, opts []Option) Layer) {
	RegisterLayer(class, func(c Config) (Layer, error) {
		opts, err := c.common()
		if err != nil {
			return nil, err
		}
		r := &reader{c: c}
		return built(fn(r, opts), r)
	})
}

// given applies opts to blank settings, so that a constructor can look at
// an option before collect checks it (Conv1D's causal padding).
func given(opts []Option) *settings {
	s := &settings{}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(s)
		}
	}
	return s
}

// single reads an int or a one-element list, as Keras' 1-D kernel_size,
// strides and pool_size.
func (r *reader) single(key string, def int) int {
	if !r.c.has(key) {
		return def
	}
	v, err := r.c.ints(key)
	if err == nil && len(v) != 1 {
		err = fmt.Errorf("%s: %v is not one integer", key, r.c[key])
	}
	r.keep(err)
	if err != nil {
		return def
	}
	return v[0]
}
