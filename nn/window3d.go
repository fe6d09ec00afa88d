package nn

import (
	"fmt"

	"github.com/keelml/keel/kernels"
)

// window3D is the geometry of Conv3D and the 3-D poolings over (depth,
// height, width, channels) volumes: window, strides, dilation and
// TensorFlow's padding per dimension.
type window3D struct {
	k, stride, dil [3]int
	padding        string
	in, out, pad   [3]int // set by setInput: input and output sizes, padding before
}

// setInput sets the input's spatial sizes and derives the output's.
func (g *window3D) setInput(in []int) error {
	for i := range 3 {
		g.in[i] = in[i]
		before, after := 0, 0
		if g.padding == "same" {
			before, after = kernels.SamePadding(in[i], g.k[i], g.stride[i], g.dil[i])
		}
		g.pad[i] = before
		g.out[i] = kernels.ConvOutSize(in[i], g.k[i], g.stride[i], g.dil[i], before, after)
		if g.out[i] < 1 {
			return fmt.Errorf("a %v window does not fit a %v input", g.k, in[:3])
		}
	}
	return nil
}

func (g *window3D) outPositions() int { return g.out[0] * g.out[1] * g.out[2] }
func (g *window3D) inPositions() int  { return g.in[0] * g.in[1] * g.in[2] }

// taps calls f for output position o (flat) with each window tap inside
// the input: the tap's flat index in the window and the input position.
func (g *window3D) taps(o int, f func(tap, pos int)) {
	od, oh, ow := o/(g.out[1]*g.out[2]), o/g.out[2]%g.out[1], o%g.out[2]
	for a := range g.k[0] {
		d := od*g.stride[0] - g.pad[0] + a*g.dil[0]
		if d < 0 || d >= g.in[0] {
			continue
		}
		for b := range g.k[1] {
			h := oh*g.stride[1] - g.pad[1] + b*g.dil[1]
			if h < 0 || h >= g.in[1] {
				continue
			}
			for c := range g.k[2] {
				w := ow*g.stride[2] - g.pad[2] + c*g.dil[2]
				if w < 0 || w >= g.in[2] {
					continue
				}
				f((a*g.k[1]+b)*g.k[2]+c, (d*g.in[1]+h)*g.in[2]+w)
			}
		}
	}
}

func (g *window3D) config() map[string]any {
	return map[string]any{"strides": g.stride[:], "padding": g.padding, "data_format": "channels_last"}
}

// triple reads an int or three ints (Keras' 3-D kernel_size, strides,
// pool_size) as a [3]int.
func triple(r *reader, key string, def int) [3]int {
	v := perDim(r, key, 3, def)
	return [3]int{v[0], v[1], v[2]}
}

// checkVolume checks that in is one (depth, height, width, channels) input.
func checkVolume(in [][]int) error {
	if err := needOne(in); err != nil {
		return err
	}
	if len(in[0]) != 4 {
		return fmt.Errorf("needs (depth, height, width, channels) inputs")
	}
	return nil
}

// positive checks that every value of v is at least 1.
func positive(what string, v [3]int) error {
	for _, n := range v {
		if n < 1 {
			return fmt.Errorf("%s %v must be positive", what, v)
		}
	}
	return nil
}
