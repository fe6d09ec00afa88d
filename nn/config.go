package nn

import (
	"fmt"
	"math"
)

// Config is a Keras layer config as decoded from JSON.
type Config map[string]any

func (c Config) name() string { s, _ := c["name"].(string); return s }

func (c Config) has(key string) bool { v, ok := c[key]; return ok && v != nil }

func (c Config) float(key string, def float64) (float64, error) {
	if !c.has(key) {
		return def, nil
	}
	switch v := c[key].(type) {
	case float64:
		return v, nil
	case int:
		return float64(v), nil
	}
	return 0, fmt.Errorf("%s: %v is not a number", key, c[key])
}

func (c Config) int(key string, def int) (int, error) {
	f, err := c.float(key, float64(def))
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) {
		return 0, fmt.Errorf("%s: %v is not an integer", key, f)
	}
	return int(f), nil
}

func (c Config) ints(key string) ([]int, error) {
	switch v := c[key].(type) {
	case float64, int:
		n, err := c.int(key, 0)
		return []int{n}, err
	case []any:
		out := make([]int, len(v))
		for i, x := range v {
			f, ok := x.(float64)
			if !ok || f != math.Trunc(f) {
				return nil, fmt.Errorf("%s: %v is not a list of integers", key, v)
			}
			out[i] = int(f)
		}
		return out, nil
	case []int:
		return v, nil
	}
	return nil, fmt.Errorf("%s: %v is not a list of integers", key, c[key])
}

// pair reads an int or a list of two ints, as Keras' kernel_size or strides.
func (c Config) pair(key string, def int) ([2]int, error) {
	if !c.has(key) {
		return [2]int{def, def}, nil
	}
	v, err := c.ints(key)
	if err != nil {
		return [2]int{}, err
	}
	switch len(v) {
	case 1:
		return [2]int{v[0], v[0]}, nil
	case 2:
		return [2]int{v[0], v[1]}, nil
	}
	return [2]int{}, fmt.Errorf("%s: %v is not one or two integers", key, v)
}

func (c Config) str(key, def string) (string, error) {
	if !c.has(key) {
		return def, nil
	}
	s, ok := c[key].(string)
	if !ok {
		return "", fmt.Errorf("%s: %v is not a string", key, c[key])
	}
	return s, nil
}

func (c Config) boolean(key string, def bool) (bool, error) {
	if !c.has(key) {
		return def, nil
	}
	switch v := c[key].(type) {
	case bool:
		return v, nil
	case float64: // tf.keras 2.14 writes some flags as 0 and 1
		if v == 0 || v == 1 {
			return v == 1, nil
		}
	}
	return false, fmt.Errorf("%s: %v is not a boolean", key, c[key])
}

// common reads the options every layer has (name, trainable) and checks
// channels_last.
func (c Config) common() ([]Option, error) {
	opts := []Option{}
	if n := c.name(); n != "" {
		opts = append(opts, WithName(n))
	}
	t, err := c.boolean("trainable", true)
	if err != nil {
		return nil, err
	}
	if !t {
		opts = append(opts, WithTrainable(false))
	}
	if f, _ := c.str("data_format", "channels_last"); f != "channels_last" {
		return nil, fmt.Errorf("data_format %q: only channels_last is supported", f)
	}
	return opts, nil
}

// reader collects the first error of a sequence of reads.
type reader struct {
	c   Config
	err error
}

func (r *reader) keep(err error) {
	if r.err == nil {
		r.err = err
	}
}
func (r *reader) int(key string, def int) int { v, err := r.c.int(key, def); r.keep(err); return v }
func (r *reader) float(key string, def float64) float64 {
	v, err := r.c.float(key, def)
	r.keep(err)
	return v
}
func (r *reader) pair(key string, def int) [2]int {
	v, err := r.c.pair(key, def)
	r.keep(err)
	return v
}
func (r *reader) str(key, def string) string { v, err := r.c.str(key, def); r.keep(err); return v }
func (r *reader) boolean(key string, def bool) bool {
	v, err := r.c.boolean(key, def)
	r.keep(err)
	return v
}

// convOptions reads what the convolutions share.
func (r *reader) convOptions(opts []Option) []Option {
	s, d := r.pair("strides", 1), r.pair("dilation_rate", 1)
	return append(opts, WithStrides(s[0], s[1]), WithDilationRate(d[0], d[1]), WithPadding(Padding(r.str("padding", "valid"))),
		WithActivation(ActivationName(r.str("activation", "linear"))), WithUseBias(r.boolean("use_bias", true)))
}

// built returns l, or the first reading error, or l's construction error.
func built(l Layer, r *reader) (Layer, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := l.core().err; err != nil {
		return nil, err
	}
	return l, nil
}
