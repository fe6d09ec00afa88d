package nn

import (
	"errors"
	"fmt"
)

// Conv3D is Keras' 3-D convolution over (depth, height, width, channels)
// volumes, kernel (kd, kh, kw, in, filters), in plain Go.
type Conv3D struct {
	base
	window3D
	filters      int
	act          activation
	useBias      bool
	cin          int
	kernel, bias *Variable
}

// NewConv3D returns a Conv3D of filters output channels and window k.
// Strides and dilation are per dimension; padding is valid or same.
// Options: WithActivation, WithUseBias, WithName, WithTrainable.
func NewConv3D(filters int, k, strides, dilation [3]int, padding Padding, opts ...Option) *Conv3D {
	s, err := collect("Conv3D", opts, "activation", "use_bias")
	err = errors.Join(err, positive("kernel_size", k), positive("strides", strides), positive("dilation_rate", dilation))
	if filters < 1 {
		err = errors.Join(err, fmt.Errorf("filters %d must be positive", filters))
	}
	if padding != PaddingValid && padding != PaddingSame {
		err = errors.Join(err, fmt.Errorf("padding %q, want valid or same", padding))
	}
	if err != nil {
		err = fmt.Errorf("nn: Conv3D: %w", err)
	}
	l := &Conv3D{window3D: window3D{k: k, stride: strides, dil: dilation, padding: string(padding)}, filters: filters, useBias: s.useBias}
	l.act, _ = parseActivation(s.activation)
	l.init(l, "Conv3D", s, err)
	return l
}

// Config is Keras' Conv3D config.
func (l *Conv3D) Config() map[string]any {
	c := l.withBase(l.window3D.config())
	c["filters"], c["kernel_size"], c["dilation_rate"] = l.filters, l.k[:], l.dil[:]
	c["activation"], c["use_bias"] = string(l.act), l.useBias
	return c
}

func (l *Conv3D) build(in [][]int) ([]int, error) {
	if err := checkVolume(in); err != nil {
		return nil, err
	}
	if err := l.setInput(in[0]); err != nil {
		return nil, err
	}
	l.cin = in[0][3]
	if l.kernel == nil {
		taps := l.k[0] * l.k[1] * l.k[2]
		l.kernel = l.addWeight("kernel", []int{l.k[0], l.k[1], l.k[2], l.cin, l.filters}, true, glorotUniform{taps * l.cin, taps * l.filters})
		if l.useBias {
			l.bias = l.addWeight("bias", []int{l.filters}, true, constant(0))
		}
	}
	return []int{l.out[0], l.out[1], l.out[2], l.filters}, nil
}

func (l *Conv3D) backwardNeeds(_ *call, wantDW bool) (bool, bool) { return wantDW, l.act != actLinear }

// TODO(kernels): a 3-D convolution kernel; plain Go until then.

func (l *Conv3D) forward(c *call) {
	ci, f, w := l.cin, l.filters, l.kernel.data
	outP, inP := l.outPositions(), l.inPositions()
	forRanges(c.x[0].Batch()*outP, 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			n, o := r/outP, r%outP
			y := c.y.Data[r*f : (r+1)*f]
			if l.bias != nil {
				copy(y, l.bias.data)
			} else {
				clear(y)
			}
			x := c.x[0].Data[n*inP*ci:]
			l.taps(o, func(tap, pos int) {
				for k, v := range x[pos*ci : (pos+1)*ci] {
					wk := w[(tap*ci+k)*f : (tap*ci+k+1)*f]
					for j := range y {
						y[j] += v * wk[j]
					}
				}
			})
		}
	})
	c.forwardKernel(2 * float64(len(c.y.Data)) * float64(l.k[0]*l.k[1]*l.k[2]*ci))
	applyKeep(l.act, c, c.y.Data, f)
}

func (l *Conv3D) backward(c *call) {
	g := preActivationGrad(l.act, c, &convStateOf(c).dpre, l.filters)
	ci, f, w := l.cin, l.filters, l.kernel.data
	outP, inP := l.outPositions(), l.inPositions()
	dw, db := c.dw[0], biasGrad(c, l.bias, 1)
	if dw != nil {
		clear(dw)
	}
	if db != nil {
		clear(db)
	}
	if c.dx[0] != nil {
		clear(c.dx[0].Data)
	}
	for r := range c.dy.Batch() * outP {
		n, o := r/outP, r%outP
		gy := g[r*f : (r+1)*f]
		for j, v := range gy {
			if db != nil {
				db[j] += v
			}
		}
		x := c.x[0].Data[n*inP*ci:]
		l.taps(o, func(tap, pos int) {
			for k := range ci {
				at := (tap*ci + k) * f
				if dw != nil {
					xv := x[pos*ci+k]
					for j, v := range gy {
						dw[at+j] += xv * v
					}
				}
				if c.dx[0] != nil {
					var s float32
					for j, v := range gy {
						s += w[at+j] * v
					}
					c.dx[0].Data[(n*inP+pos)*ci+k] += s
				}
			}
		})
	}
	c.backwardKernel(4 * float64(len(g)) * float64(l.k[0]*l.k[1]*l.k[2]*ci))
}

func init() {
	registerConfig("Conv3D", func(r *reader, o []Option) Layer {
		if g := r.int("groups", 1); g != 1 {
			r.keep(fmt.Errorf("groups %d: only 1 is supported", g))
		}
		return NewConv3D(r.int("filters", 0), triple(r, "kernel_size", 1), triple(r, "strides", 1), triple(r, "dilation_rate", 1),
			Padding(r.str("padding", "valid")), append(o, WithActivation(ActivationName(r.str("activation", "linear"))),
				WithUseBias(r.boolean("use_bias", true)))...)
	})
}
