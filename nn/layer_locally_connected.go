package nn

import (
	"errors"
	"fmt"
	"slices"
)

// locallyConnected is what LocallyConnected1D and LocallyConnected2D
// share: a valid convolution whose weights differ at every output
// position, in Keras' implementation 1 layout: kernel (output positions,
// window * in channels, filters), bias (output dims..., filters). A patch
// is read in the input's memory order: (window..., channels) channels
// last, (channels, window...) channels first.
type locallyConnected struct {
	base
	filters      int
	k, strides   []int
	first        bool // data_format channels_first (Keras 2 files use it)
	act          activation
	useBias      bool
	kernel, bias *Variable
	patch        [][]int // per output position, the per-sample input offsets of its patch
	inLen        int
	outDims      []int
}

func newLocallyConnected(class string, l Layer, lc *locallyConnected, filters int, k, strides []int, dataFormat string, opts []Option) {
	s, err := collect(class, opts, "activation", "use_bias", "padding")
	var bad []error
	if s.padding != "valid" {
		bad = append(bad, fmt.Errorf("padding %q: only valid is supported", s.padding))
	}
	if filters < 1 || slices.ContainsFunc(append(slices.Clone(k), strides...), func(v int) bool { return v < 1 }) {
		bad = append(bad, fmt.Errorf("filters %d, kernel_size %v and strides %v must be positive", filters, k, strides))
	}
	if dataFormat != "channels_last" && dataFormat != "channels_first" {
		bad = append(bad, fmt.Errorf("data_format %q, want channels_last or channels_first", dataFormat))
	}
	if dataFormat == "channels_first" && s.activation == string(actSoftmax) {
		bad = append(bad, fmt.Errorf("softmax over channels_first outputs is not supported"))
	}
	if err == nil && bad != nil {
		err = fmt.Errorf("nn: %s: %w", class, errors.Join(bad...))
	}
	*lc = locallyConnected{filters: filters, k: k, strides: strides, first: dataFormat == "channels_first", useBias: s.useBias}
	lc.act, _ = parseActivation(s.activation)
	lc.init(l, class, s, err)
}

// Config is Keras' LocallyConnected config (implementation 1).
func (lc *locallyConnected) Config() map[string]any {
	df := "channels_last"
	if lc.first {
		df = "channels_first"
	}
	return lc.withBase(map[string]any{
		"filters": lc.filters, "kernel_size": slices.Clone(lc.k), "strides": slices.Clone(lc.strides), "padding": "valid",
		"data_format": df, "activation": string(lc.act), "use_bias": lc.useBias, "implementation": 1,
	})
}

func (lc *locallyConnected) build(in [][]int) ([]int, error) {
	if err := needOne(in); err != nil {
		return nil, err
	}
	rank := len(lc.k)
	if len(in[0]) != rank+1 {
		return nil, fmt.Errorf("needs inputs of %d spatial dimensions and channels, got %v", rank, in[0])
	}
	dims, ch := in[0][:rank], in[0][rank]
	if lc.first {
		dims, ch = in[0][1:], in[0][0]
	}
	lc.outDims = make([]int, rank)
	for i := range rank {
		lc.outDims[i] = (dims[i]-lc.k[i])/lc.strides[i] + 1
		if dims[i] < lc.k[i] {
			return nil, fmt.Errorf("a %v window does not fit an input of shape %v", lc.k, in[0])
		}
	}
	lc.inLen = numElements(in[0])
	lc.patch = lc.patch[:0]
	at := make([]int, rank)
	forGrid(lc.outDims, func(o []int) {
		var p []int
		forGrid(lc.k, func(w []int) {
			for i := range rank {
				at[i] = o[i]*lc.strides[i] + w[i]
			}
			pos := flatIndex(at, dims)
			for c := range ch {
				p = append(p, pos*ch+c)
			}
		})
		if lc.first { // (channels, window...): channel c's taps are ch apart above
			q := make([]int, 0, len(p))
			for c := range ch {
				for t := c; t < len(p); t += ch {
					q = append(q, p[t]/ch+c*numElements(dims))
				}
			}
			p = q
		}
		lc.patch = append(lc.patch, p)
	})
	feat := numElements(lc.k) * ch
	if lc.kernel == nil {
		items := len(lc.patch)
		lc.kernel = lc.addWeight("kernel", []int{items, feat, lc.filters}, true, glorotUniform{feat, lc.filters})
		if lc.useBias {
			lc.bias = lc.addWeight("bias", append(slices.Clone(lc.outDims), lc.filters), true, constant(0))
		}
	}
	if lc.first {
		return append([]int{lc.filters}, lc.outDims...), nil
	}
	return append(slices.Clone(lc.outDims), lc.filters), nil
}

// outAt is the per-sample offset of output position o, filter f. Keras
// adds the bias (rows, cols, filters) reshaped, not transposed, to a
// channels_first output, so the bias shares this offset in both layouts.
func (lc *locallyConnected) outAt(o, f int) int {
	if lc.first {
		return f*len(lc.patch) + o
	}
	return o*lc.filters + f
}

func (lc *locallyConnected) backwardNeeds(_ *call, wantDW bool) (bool, bool) {
	return wantDW, lc.act != actLinear
}

func (lc *locallyConnected) forward(c *call) {
	outLen, w := len(lc.patch)*lc.filters, lc.kernel.data
	for n := range c.x[0].Batch() {
		x, y := c.x[0].Data[n*lc.inLen:], c.y.Data[n*outLen:(n+1)*outLen]
		for o, p := range lc.patch {
			for f := range lc.filters {
				var s float32
				if lc.bias != nil {
					s = lc.bias.data[lc.outAt(o, f)]
				}
				for k, xi := range p {
					s += x[xi] * w[(o*len(p)+k)*lc.filters+f]
				}
				y[lc.outAt(o, f)] = s
			}
		}
	}
	c.forwardKernel(2 * float64(c.x[0].Batch()) * float64(len(w)))
	applyKeep(lc.act, c, c.y.Data, lc.filters)
}

func (lc *locallyConnected) backward(c *call) {
	g := preActivationGrad(lc.act, c, &convStateOf(c).dpre, lc.filters)
	outLen, w := len(lc.patch)*lc.filters, lc.kernel.data
	dw, db := c.dw[0], biasGrad(c, lc.bias, 1)
	for _, d := range [][]float32{dw, db} {
		clear(d)
	}
	if c.dx[0] != nil {
		clear(c.dx[0].Data)
	}
	for n := range c.dy.Batch() {
		x, gy := c.x[0].Data[n*lc.inLen:], g[n*outLen:(n+1)*outLen]
		for o, p := range lc.patch {
			for f := range lc.filters {
				v := gy[lc.outAt(o, f)]
				if db != nil {
					db[lc.outAt(o, f)] += v
				}
				for k, xi := range p {
					at := (o*len(p)+k)*lc.filters + f
					if dw != nil {
						dw[at] += v * x[xi]
					}
					if c.dx[0] != nil {
						c.dx[0].Data[n*lc.inLen+xi] += v * w[at]
					}
				}
			}
		}
	}
	c.backwardKernel(4 * float64(c.dy.Batch()) * float64(len(w)))
}

// LocallyConnected1D is Keras' LocallyConnected1D over (steps, channels).
type LocallyConnected1D struct{ locallyConnected }

// NewLocallyConnected1D returns a LocallyConnected1D of filters outputs, a
// window of k steps and the given stride; dataFormat is channels_last or
// channels_first. Options: WithActivation, WithUseBias, WithName.
func NewLocallyConnected1D(filters, k, stride int, dataFormat string, opts ...Option) *LocallyConnected1D {
	l := &LocallyConnected1D{}
	newLocallyConnected("LocallyConnected1D", l, &l.locallyConnected, filters, []int{k}, []int{stride}, dataFormat, opts)
	return l
}

// LocallyConnected2D is Keras' LocallyConnected2D over images.
type LocallyConnected2D struct{ locallyConnected }

// NewLocallyConnected2D returns a LocallyConnected2D of filters outputs, a
// kh x kw window and strides sh, sw; dataFormat is channels_last or
// channels_first. Options: WithActivation, WithUseBias, WithName.
func NewLocallyConnected2D(filters, kh, kw, sh, sw int, dataFormat string, opts ...Option) *LocallyConnected2D {
	l := &LocallyConnected2D{}
	newLocallyConnected("LocallyConnected2D", l, &l.locallyConnected, filters, []int{kh, kw}, []int{sh, sw}, dataFormat, opts)
	return l
}

// registerLocallyConnected reads data_format itself: Keras 2 files build
// these layers channels_first, which the common options refuse.
func registerLocallyConnected(class string, rank int, fn func(filters int, k, s []int, df string, o []Option) Layer) {
	RegisterLayer(class, func(c Config) (Layer, error) {
		df, err := c.str("data_format", "channels_last")
		if err != nil {
			return nil, err
		}
		rest := Config{}
		for k, v := range c {
			if k != "data_format" {
				rest[k] = v
			}
		}
		opts, err := rest.common()
		if err != nil {
			return nil, err
		}
		r := &reader{c: c}
		if impl := r.int("implementation", 1); impl != 1 {
			r.keep(fmt.Errorf("implementation %d: only 1 is supported", impl))
		}
		opts = append(opts, WithPadding(Padding(r.str("padding", "valid"))),
			WithActivation(ActivationName(r.str("activation", "linear"))), WithUseBias(r.boolean("use_bias", true)))
		return built(fn(r.int("filters", 0), perDim(r, "kernel_size", rank, 1), perDim(r, "strides", rank, 1), df, opts), r)
	})
}

func init() {
	registerLocallyConnected("LocallyConnected1D", 1, func(f int, k, s []int, df string, o []Option) Layer {
		return NewLocallyConnected1D(f, k[0], s[0], df, o...)
	})
	registerLocallyConnected("LocallyConnected2D", 2, func(f int, k, s []int, df string, o []Option) Layer {
		return NewLocallyConnected2D(f, k[0], k[1], s[0], s[1], df, o...)
	})
}
