package nn

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/keelml/keel/internal/splitmix"
)

// initializer fills a new variable. Values are drawn from a stream seeded
// by the variable's path ("dense_1/kernel"), so a model built twice starts
// from the same weights.
type initializer interface {
	fill(v *Variable)
}

// constant fills every value with c (Keras' Zeros and Ones).
type constant float32

func (c constant) fill(v *Variable) {
	for i := range v.data {
		v.data[i] = float32(c)
	}
}

// glorotUniform is Keras' default kernel initializer: uniform in
// [-limit, limit] with limit = sqrt(6 / (fan_in + fan_out)).
type glorotUniform struct{ fanIn, fanOut int }

func (g glorotUniform) fill(v *Variable) {
	limit := math.Sqrt(6 / float64(g.fanIn+g.fanOut))
	r := splitmix.FromString(v.Path())
	for i := range v.data {
		v.data[i] = float32((2*r.U() - 1) * limit)
	}
}

// convFans returns Keras' fan_in and fan_out of a kernel whose last two
// dimensions are (in, out) and the rest the receptive field.
func convFans(shape []int) (fanIn, fanOut int) {
	field := 1
	for _, d := range shape[:len(shape)-2] {
		field *= d
	}
	return field * shape[len(shape)-2], field * shape[len(shape)-1]
}

// KernelFans is Keras' compute_fans: a scalar has fans (1, 1), a vector
// (n, n), a Dense kernel (in, out), a convolution kernel
// (kh*kw*in, kh*kw*out) - the receptive field times the last two
// dimensions.
func KernelFans(shape []int) (fanIn, fanOut int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	}
	return convFans(shape)
}

// Initializer is a Keras kernel initializer by its Keras name, with Keras'
// default arguments:
//
//	glorot_uniform   uniform, limit sqrt(6/(fan_in+fan_out)) (Keras' default)
//	glorot_normal    truncated normal, stddev sqrt(2/(fan_in+fan_out))/0.8796
//	he_uniform       uniform, limit sqrt(6/fan_in)
//	he_normal        truncated normal, stddev sqrt(2/fan_in)/0.8796
//	lecun_uniform    uniform, limit sqrt(3/fan_in)
//	lecun_normal     truncated normal, stddev sqrt(1/fan_in)/0.8796
//	random_uniform   uniform in [-0.05, 0.05]
//	random_normal    normal, mean 0, stddev 0.05
//	truncated_normal normal, mean 0, stddev 0.05, redrawn beyond 2 stddev
//	zeros, ones
//
// The variance-scaling ones (glorot, he, lecun) are Keras'
// VarianceScaling(scale, mode, distribution): their truncated normal is cut
// at two standard deviations and its stddev divided by 0.87962566103423978
// (the stddev of a unit normal truncated to [-2, 2]) so that the values
// have variance scale/n. Draws come from the variable's own stream, so they
// are reproducible, not Keras' (TensorFlow's generator is not).
type Initializer string

// The Keras kernel initializers Keel has.
const (
	GlorotUniform   Initializer = "glorot_uniform"
	GlorotNormal    Initializer = "glorot_normal"
	HeUniform       Initializer = "he_uniform"
	HeNormal        Initializer = "he_normal"
	LecunUniform    Initializer = "lecun_uniform"
	LecunNormal     Initializer = "lecun_normal"
	RandomUniform   Initializer = "random_uniform"
	RandomNormal    Initializer = "random_normal"
	TruncatedNormal Initializer = "truncated_normal"
	Zeros           Initializer = "zeros"
	Ones            Initializer = "ones"
)

// initializerSpec is how an Initializer draws: a distribution with its
// parameters fixed, or a variance scaling of the kernel's fans.
type initializerSpec struct {
	class string // Keras 3 / tf.keras class name, for configs
	// variance scaling: scale and mode ("fan_in", "fan_avg"); 0: fixed
	scale float64
	mode  string
	dist  string  // "uniform", "normal", "truncated_normal", "constant"
	a, b  float64 // uniform: [a, b]; normal: mean a, stddev b; constant: a
}

var initializers = map[Initializer]initializerSpec{
	GlorotUniform:   {class: "GlorotUniform", scale: 1, mode: "fan_avg", dist: "uniform"},
	GlorotNormal:    {class: "GlorotNormal", scale: 1, mode: "fan_avg", dist: "truncated_normal"},
	HeUniform:       {class: "HeUniform", scale: 2, mode: "fan_in", dist: "uniform"},
	HeNormal:        {class: "HeNormal", scale: 2, mode: "fan_in", dist: "truncated_normal"},
	LecunUniform:    {class: "LecunUniform", scale: 1, mode: "fan_in", dist: "uniform"},
	LecunNormal:     {class: "LecunNormal", scale: 1, mode: "fan_in", dist: "truncated_normal"},
	RandomUniform:   {class: "RandomUniform", dist: "uniform", a: -0.05, b: 0.05},
	RandomNormal:    {class: "RandomNormal", dist: "normal", a: 0, b: 0.05},
	TruncatedNormal: {class: "TruncatedNormal", dist: "truncated_normal", a: 0, b: 0.05},
	Zeros:           {class: "Zeros", dist: "constant", a: 0},
	Ones:            {class: "Ones", dist: "constant", a: 1},
}

// truncatedStddev is the stddev of a unit normal truncated to [-2, 2].
const truncatedStddev = 0.87962566103423978

// ParseInitializer checks a Keras initializer name ("random_uniform", or
// its class name "RandomUniform").
func ParseInitializer(name string) (Initializer, error) {
	if _, ok := initializers[Initializer(name)]; ok {
		return Initializer(name), nil
	}
	for k, s := range initializers {
		if s.class == name {
			return k, nil
		}
	}
	return "", fmt.Errorf("nn: unknown initializer %q (%s)", name, strings.Join(InitializerNames(), ", "))
}

// InitializerNames lists the Keras names ParseInitializer takes.
func InitializerNames() []string {
	var out []string
	for k := range initializers {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

// config is the initializer's Keras config in class form.
func (in Initializer) config() map[string]any {
	s := initializers[in]
	c := map[string]any{"seed": nil}
	switch {
	case s.scale != 0 || s.dist == "constant":
	case s.dist == "uniform":
		c["minval"], c["maxval"] = s.a, s.b
	default:
		c["mean"], c["stddev"] = s.a, s.b
	}
	return map[string]any{"class_name": s.class, "config": c}
}

// kernelInit is an Initializer applied to a kernel with the given fans.
type kernelInit struct {
	Initializer
	fanIn, fanOut int
}

// params returns the distribution and its two parameters for the fans.
func (k kernelInit) params() (dist string, a, b float64) {
	s := initializers[k.Initializer]
	if s.scale == 0 {
		return s.dist, s.a, s.b
	}
	n := float64(k.fanIn)
	if s.mode == "fan_avg" {
		n = float64(k.fanIn+k.fanOut) / 2
	}
	v := s.scale / max(n, 1)
	if s.dist == "uniform" {
		limit := math.Sqrt(3 * v)
		return "uniform", -limit, limit
	}
	return "truncated_normal", 0, math.Sqrt(v) / truncatedStddev
}

func (k kernelInit) fill(v *Variable) {
	dist, a, b := k.params()
	r := splitmix.FromString(v.Path())
	for i := range v.data {
		switch dist {
		case "constant":
			v.data[i] = float32(a)
		case "uniform":
			v.data[i] = float32(a + (b-a)*r.U())
		case "normal":
			v.data[i] = float32(a + b*gaussian(r))
		case "truncated_normal":
			z := gaussian(r)
			for math.Abs(z) > 2 {
				z = gaussian(r)
			}
			v.data[i] = float32(a + b*z)
		}
	}
}

// gaussian draws a unit normal by Box-Muller from two uniform draws moved
// off zero.
func gaussian(r *splitmix.Stream) float64 {
	const half = 0.5 / (1 << 24)
	u1, u2 := r.U()+half, r.U()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// initializerFromConfig reads a kernel_initializer of a config: a Keras
// name, or the class form Initializer.config writes with Keras' default
// arguments. Anything else (other arguments, classes Keel lacks) is not
// one Keel can redraw; the layer keeps glorot_uniform, which matters only
// for training from a config without its weights.
func initializerFromConfig(v any) (Initializer, bool) {
	switch c := v.(type) {
	case string:
		in, err := ParseInitializer(c)
		return in, err == nil
	case map[string]any:
		class, _ := c["class_name"].(string)
		in, err := ParseInitializer(class)
		if err != nil {
			return "", false
		}
		args, _ := c["config"].(map[string]any)
		for k, want := range in.config()["config"].(map[string]any) {
			if k != "seed" && args[k] != nil && args[k] != want {
				return "", false
			}
		}
		return in, true
	}
	return "", false
}
