package quant

import (
	"fmt"
	"slices"

	"github.com/keelml/keel/kernels"
	"github.com/keelml/keel/nn"
)

// planner turns a flattened float graph and the calibrated ranges of its
// values into a quantized Model.
type planner struct {
	g      *fgraph
	ranges []qparams   // per float value
	means  [][]float64 // per float value, the calibrated mean of each channel; nil: no bias correction
	m      *Model
	vmap   []int // float value -> the quantized graph's value standing for it
	twin   map[int]int
	// pending fused ops, emitted at the position of their last source op
	pending map[int]*op
	skip    map[int]bool
	padFold map[int]int // conv op -> the ZeroPadding2D op folded into it
	names   map[string]bool
	bf16    bool // convolutions in bfloat16, everything else float32
	// weightMax is the Conv2D weights' range, -weightMax..weightMax: 127,
	// or 63 with Options.ReduceRange.
	weightMax int
}

func plan(g *fgraph, ranges []qparams, means [][]float64, name string, weightMax int) (*Model, error) {
	p := newPlanner(g, ranges, means, name, false)
	p.weightMax = weightMax
	return p.run()
}

func newPlanner(g *fgraph, ranges []qparams, means [][]float64, name string, bf16 bool) *planner {
	return &planner{g: g, ranges: ranges, means: means, m: &Model{name: name, bf16: bf16}, vmap: make([]int, len(g.values)),
		twin: map[int]int{}, pending: map[int]*op{}, skip: map[int]bool{}, padFold: map[int]int{}, names: map[string]bool{}, bf16: bf16}
}

func (p *planner) run() (*Model, error) {
	g := p.g
	for i := range p.vmap {
		p.vmap[i] = -1
	}
	p.m.input = p.newValue(g.input, true, qparams{})
	p.vmap[g.input] = p.m.input
	for i := range g.ops {
		if err := p.op(i); err != nil {
			return nil, err
		}
	}
	out := p.floatOf(g.output)
	p.m.output = out
	return p.m, nil
}

func (p *planner) newValue(src int, float bool, q qparams) int {
	p.m.values = append(p.m.values, value{shape: p.g.values[src].shape, float: float, q: q, src: src})
	return len(p.m.values) - 1
}

func (p *planner) emit(o *op) {
	base := o.name
	for i := 2; p.names[o.name]; i++ {
		o.name = fmt.Sprintf("%s_%d", base, i)
	}
	p.names[o.name] = true
	p.m.ops = append(p.m.ops, *o)
}

// quantOf is a uint8 value standing for float value v, quantizing it if
// it is float32.
func (p *planner) quantOf(v int) int {
	qv := p.vmap[v]
	if !p.m.values[qv].float {
		return qv
	}
	if t, ok := p.twin[v]; ok {
		return t
	}
	t := p.newValue(v, false, p.ranges[v])
	p.emit(&op{class: classQuantize, name: "quantize_" + p.srcName(v), in: []int{qv}, out: t})
	p.twin[v] = t
	return t
}

// floatOf is a float32 value standing for v, dequantizing it if needed.
func (p *planner) floatOf(v int) int {
	qv := p.vmap[v]
	if p.m.values[qv].float {
		return qv
	}
	if t, ok := p.twin[v]; ok {
		return t
	}
	t := p.newValue(v, true, qparams{})
	p.emit(&op{class: classDequantize, name: "dequantize_" + p.srcName(v), in: []int{qv}, out: t})
	p.twin[v] = t
	return t
}

// inputOf is the value an int8 op (a bf16 op) reads for float value v.
func (p *planner) inputOf(v int) int {
	if p.bf16 {
		return p.floatOf(v)
	}
	return p.quantOf(v)
}

func (p *planner) rangeOf(v int) qparams {
	if p.bf16 {
		return qparams{}
	}
	return p.ranges[v]
}

func (p *planner) srcName(v int) string {
	if o := p.g.values[v].op; o >= 0 {
		return p.g.ops[o].layer.Name()
	}
	return "input"
}

// reluKind says whether an op is ReLU or ReLU6 (a clamp of the epilogue).
func reluKind(o *fop) (string, bool) {
	switch o.class {
	case "Activation":
		if o.cfg.Activation == "relu" || o.cfg.Activation == "relu6" {
			return o.cfg.Activation, true
		}
	case "ReLU":
		if o.cfg.NegativeSlope != 0 || o.cfg.Threshold != 0 {
			return "", false
		}
		if o.cfg.MaxValue == nil {
			return "relu", true
		}
		if *o.cfg.MaxValue == 6 {
			return "relu6", true
		}
	}
	return "", false
}

func ownAct(a string) (string, bool) {
	switch a {
	case "", "linear":
		return "linear", true
	case "relu", "relu6":
		return a, true
	}
	return "", false
}

// quantConv says whether o is a convolution the quantizer computes in int8.
func quantConv(o *fop) bool {
	if _, ok := ownAct(o.cfg.Activation); !ok || len(o.cfg.KernelSize) != 2 || len(o.cfg.Strides) != 2 || len(o.in) != 1 {
		return false
	}
	switch o.class {
	case "Conv2D":
		return o.cfg.Groups <= 1 && o.layer.Weight("kernel") != nil
	case "DepthwiseConv2D":
		return max(o.cfg.DepthMult, 1) == 1 && o.layer.Weight("depthwise_kernel") != nil
	}
	return false
}

func identity(o *fop) bool {
	return o.class == "Dropout" || o.class == "SpatialDropout2D" || (o.class == "Activation" && (o.cfg.Activation == "linear" || o.cfg.Activation == ""))
}

func (p *planner) op(i int) error {
	o := &p.g.ops[i]
	if f, ok := p.pending[i]; ok {
		p.vmap[o.out] = p.newValue(o.out, p.bf16, p.rangeOf(o.out))
		f.out = p.vmap[o.out]
		if f.residual {
			// the other input of the Add, now computed
			f.in[1] = p.inputOf(f.in[1])
		}
		p.emit(f)
		return nil
	}
	if p.skip[i] {
		return nil
	}
	if p.bf16 {
		switch {
		case identity(o):
			p.vmap[o.out] = p.vmap[o.in[0]]
			return nil
		case quantConv(o) && o.class == "Conv2D":
			act, _ := ownAct(o.cfg.Activation)
			return p.conv(i, act)
		case o.class == "ZeroPadding2D" && o.cfg.hasZeroPadding:
			if r, ok := p.g.soleReader(o.out); ok {
				if ro := &p.g.ops[r]; quantConv(ro) && ro.class == "Conv2D" && ro.cfg.paddingString == "valid" {
					p.padFold[r] = i
					return nil
				}
			}
		}
		return p.float(i)
	}
	switch {
	case identity(o):
		p.vmap[o.out] = p.vmap[o.in[0]]
		return nil
	case quantConv(o):
		act, _ := ownAct(o.cfg.Activation)
		return p.conv(i, act)
	case o.class == "ZeroPadding2D" && o.cfg.hasZeroPadding:
		if r, ok := p.g.soleReader(o.out); ok {
			ro := &p.g.ops[r]
			if quantConv(ro) && ro.cfg.paddingString == "valid" {
				p.padFold[r] = i
				return nil
			}
		}
		return p.same(i, &op{class: classPad, pads: o.cfg.pads})
	case o.class == "Add" && len(o.in) == 2:
		f := &op{class: classAdd, name: o.layer.Name(), in: []int{p.quantOf(o.in[0]), p.quantOf(o.in[1])}, act: "linear", from: []string{o.layer.Name()}}
		chain := []int{i}
		if r, ok := p.g.soleReader(o.out); ok {
			if a, ok := reluKind(&p.g.ops[r]); ok {
				f.act, chain = a, append(chain, r)
				f.from = append(f.from, p.g.ops[r].layer.Name())
			}
		}
		return p.place(i, chain, f)
	case o.class == "MaxPooling2D" || o.class == "AveragePooling2D":
		if len(o.cfg.PoolSize) == 2 && len(o.cfg.Strides) == 2 {
			cls := classMaxPool
			if o.class == "AveragePooling2D" {
				cls = classAvgPool
			}
			return p.same(i, &op{class: cls, ph: o.cfg.PoolSize[0], pw: o.cfg.PoolSize[1], sh: o.cfg.Strides[0], sw: o.cfg.Strides[1], same: o.cfg.paddingString == "same"})
		}
	case o.class == "GlobalAveragePooling2D":
		return p.same(i, &op{class: classGAP, keepDims: o.cfg.KeepDims})
	case o.class == "GlobalMaxPooling2D":
		return p.same(i, &op{class: classGMP, keepDims: o.cfg.KeepDims})
	case o.class == "Flatten" || o.class == "Reshape":
		return p.same(i, &op{class: classReshape})
	default:
		if a, ok := reluKind(o); ok && len(o.in) == 1 {
			return p.same(i, &op{class: classReLU, act: a})
		}
	}
	return p.float(i)
}

// same emits an int8 op whose output keeps its input's scale and zero
// point (pooling, padding, reshape, ReLU as a clamp).
func (p *planner) same(i int, f *op) error {
	o := &p.g.ops[i]
	in := p.quantOf(o.in[0])
	f.name, f.in, f.from = o.layer.Name(), []int{in}, []string{o.layer.Name()}
	f.out = p.newValue(o.out, false, p.m.values[in].q)
	p.vmap[o.out] = f.out
	p.emit(f)
	return nil
}

// place emits f, which computes the ops of chain (i first), now if the
// chain is op i alone, else when the planner reaches the chain's last op.
func (p *planner) place(i int, chain []int, f *op) error {
	last := chain[len(chain)-1]
	if last == i {
		o := &p.g.ops[i]
		f.out = p.newValue(o.out, p.bf16, p.rangeOf(o.out))
		p.vmap[o.out] = f.out
		p.emit(f)
		return nil
	}
	for _, j := range chain[1 : len(chain)-1] {
		p.skip[j] = true
	}
	p.pending[last] = f
	return nil
}

// conv quantizes a Conv2D or DepthwiseConv2D with the BatchNormalization,
// residual Add and ReLU after it that read only its output folded in.
func (p *planner) conv(i int, act string) error {
	o := &p.g.ops[i]
	in := o.in[0]
	f := &op{class: classConv, name: o.layer.Name(), act: act, from: []string{o.layer.Name()}}
	if o.class == "DepthwiseConv2D" {
		f.class = classDepthwise
	}
	f.kh, f.kw, f.sh, f.sw = o.cfg.KernelSize[0], o.cfg.KernelSize[1], o.cfg.Strides[0], o.cfg.Strides[1]
	f.dh, f.dw = 1, 1
	if len(o.cfg.DilationRate) == 2 {
		f.dh, f.dw = o.cfg.DilationRate[0], o.cfg.DilationRate[1]
	}
	inShape := p.g.values[in].shape
	if pi, ok := p.padFold[i]; ok {
		po := &p.g.ops[pi]
		f.pads = po.cfg.pads
		in = po.in[0]
		f.from = append([]string{po.layer.Name()}, f.from...)
		inShape = p.g.values[in].shape
	} else if o.cfg.paddingString == "same" {
		t, b := kernels.SamePadding(inShape[0], f.kh, f.sh, f.dh)
		l, r := kernels.SamePadding(inShape[1], f.kw, f.sw, f.dw)
		f.pads = [4]int{t, b, l, r}
	}
	if len(inShape) != 3 {
		return fmt.Errorf("quant: layer %q: input shape %v is not an image", o.layer.Name(), inShape)
	}
	kernel := o.layer.Weight("kernel")
	if o.class == "DepthwiseConv2D" {
		kernel = o.layer.Weight("depthwise_kernel")
	}
	outC := p.g.values[o.out].shape[2]
	w := kernel.Value()
	var bias []float32
	if b := o.layer.Weight("bias"); b != nil {
		bias = b.Value()
	}
	chain := []int{i}
	cur := o.out
	if act == "linear" {
		if r, ok := p.g.soleReader(cur); ok && p.g.ops[r].class == "BatchNormalization" {
			bn := p.g.ops[r].layer
			if mean, vari := bn.Weight("moving_mean"), bn.Weight("moving_variance"); mean != nil && vari != nil && len(mean.Value()) == outC {
				eps := p.g.ops[r].cfg.Epsilon
				if eps == 0 {
					eps = 1e-3
				}
				w, bias = kernels.FoldBatchNorm(w, bias, outC, valueOf(bn.Weight("gamma")), valueOf(bn.Weight("beta")), mean.Value(), vari.Value(), float32(eps))
				f.from = append(f.from, bn.Name())
				chain, cur = append(chain, r), p.g.ops[r].out
			}
		}
		if r, ok := p.g.soleReader(cur); ok && f.class == classConv && p.g.ops[r].class == "Add" && len(p.g.ops[r].in) == 2 && !p.skip[r] && p.pending[r] == nil {
			// (an Add whose other input is a convolution too is fused
			// into the first of the two the planner meets)
			add := &p.g.ops[r]
			other := add.in[0]
			if other == cur {
				other = add.in[1]
			}
			if other != cur && slicesEqual(p.g.values[other].shape, p.g.values[add.out].shape) {
				f.residual = true
				f.in = []int{0, other} // in[1] is resolved when the op is emitted
				f.from = append(f.from, add.layer.Name())
				chain, cur = append(chain, r), add.out
			}
		}
		if r, ok := p.g.soleReader(cur); ok {
			if a, ok := reluKind(&p.g.ops[r]); ok {
				f.act = a
				f.from = append(f.from, p.g.ops[r].layer.Name())
				chain = append(chain, r)
			}
		}
	}
	if bias == nil {
		bias = make([]float32, outC)
	}
	if p.bf16 {
		f.class, f.fkernel, f.bias = classBF16Conv, w, bias
	} else {
		// HWIO, or a depthwise (KH, KW, C, 1): the output channel is fastest.
		wmax := 127 // a depthwise kernel sums one product a lane: no pairs to fit
		if f.class == classConv && p.weightMax > 0 {
			wmax = p.weightMax
		}
		f.weights, f.wscale = kernels.QuantizeWeightsTo(w, len(w)/outC, outC, wmax)
		if p.means != nil && p.means[in] != nil {
			bias = correctBias(f, w, bias, p.means[in], outC)
		}
		f.bias = bias
	}
	qin := p.inputOf(in)
	if f.residual {
		f.in[0] = qin // in[1] stays the float value until the op is emitted
	} else {
		f.in = []int{qin}
	}
	return p.place(i, chain, f)
}

// correctBias removes the mean error the int8 weights make: for output
// channel j, sum over the window of (s_j*q - w) * E[x] of the input channel
// (padding, where x is 0, is neglected).
func correctBias(f *op, w, bias []float32, mean []float64, outC int) []float32 {
	c := len(mean)
	delta := make([]float64, outC)
	for i, v := range w {
		j := i % outC
		ci := (i / outC) % c // HWIO: the input channel is next to the output's
		if f.class == classDepthwise {
			ci = j
		}
		delta[j] += (float64(f.wscale[j])*float64(f.weights[i]) - float64(v)) * mean[ci]
	}
	out := make([]float32, outC)
	for j := range out {
		out[j] = float32(float64(bias[j]) - delta[j])
	}
	return out
}

func valueOf(v *nn.Variable) []float32 {
	if v == nil {
		return nil
	}
	return v.Value()
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// float emits a layer that runs in float32, its inputs dequantized.
func (p *planner) float(i int) error {
	o := &p.g.ops[i]
	var ins []int
	for _, v := range o.in {
		ins = append(ins, p.floatOf(v))
	}
	l, err := cloneLayer(o.layer, o.layer.Name())
	if err != nil {
		return err
	}
	var ws []fweight
	for _, w := range o.layer.Weights() {
		ws = append(ws, fweight{name: w.Name(), shape: w.Shape(), data: slices.Clone(w.Value())})
	}
	out := p.newValue(o.out, true, qparams{})
	p.vmap[o.out] = out
	p.emit(&op{class: o.class, name: o.layer.Name(), in: ins, out: out, layer: l, fweights: ws, from: []string{o.layer.Name()}})
	return nil
}
