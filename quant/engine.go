package quant

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/keelml/keel/kernels"
	"github.com/keelml/keel/nn"
)

// workspace holds the activations of one run at one batch size: a uint8
// buffer per quantized value, a float32 one per float value. A run takes a
// workspace from the model's idle ones, so steady-state runs allocate none.
type workspace struct {
	n   int
	q   [][]uint8
	f   [][]float32
	col []float32 // a bf16 convolution's gathered windows
}

func (m *Model) getWorkspace(n int) *workspace {
	m.mu.Lock()
	if list := m.spaces[n]; len(list) > 0 {
		ws := list[len(list)-1]
		m.spaces[n] = list[:len(list)-1]
		m.mu.Unlock()
		return ws
	}
	m.mu.Unlock()
	ws := &workspace{n: n, q: make([][]uint8, len(m.values)), f: make([][]float32, len(m.values))}
	for i := range m.values {
		v := &m.values[i]
		switch {
		case i == m.input:
		case v.float:
			ws.f[i] = make([]float32, n*v.size())
		default:
			ws.q[i] = make([]uint8, n*v.size())
		}
	}
	return ws
}

func (m *Model) putWorkspace(ws *workspace) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.spaces == nil {
		m.spaces = map[int][]*workspace{}
	}
	if len(m.spaces[ws.n]) < 4 {
		m.spaces[ws.n] = append(m.spaces[ws.n], ws)
	}
}

// convRT is a prepared convolution: packed weights and its epilogue.
type convRT struct {
	conv kernels.ConvParams
	dw   kernels.DepthwiseParams
	w    *kernels.QWeights
	dww  *kernels.QDepthwiseWeights
	ep   kernels.QEpilogue
	zx   int32
}

// addRT is a prepared int8 Add: y = clamp(round(sa*(a-za) + sb*(b-zb)) + zy).
type addRT struct {
	sa, sb     float32
	za, zb, zy int32
	lo, hi     float32
}

// clampRT is ReLU on uint8: max(x, lo) then min(x, hi).
type clampRT struct{ lo, hi uint8 }

// clamp gives an activation's bounds on uint8 values of params q.
func clamp(act string, q qparams) (lo, hi uint8) {
	switch act {
	case "relu":
		return uint8(q.zero), 255
	case "relu6":
		h := float64(q.zero) + math.RoundToEven(6/float64(q.scale))
		return uint8(q.zero), uint8(min(h, 255))
	}
	return 0, 255
}

// prepare checks every op against the values it reads and writes and
// builds its runtime state. Errors name the layer: a loaded file's
// configuration is checked here, before anything runs.
func (m *Model) prepare() error {
	if m.input < 0 || m.input >= len(m.values) || m.output < 0 || m.output >= len(m.values) || !m.values[m.input].float {
		return errors.New("the graph's input or output is missing")
	}
	for i := range m.values {
		v := &m.values[i]
		if len(v.shape) == 0 || len(v.shape) > 4 {
			return fmt.Errorf("layer %q: output shape %v", m.valueName(i), v.shape)
		}
		n := 1.0
		for _, d := range v.shape {
			if d < 1 {
				return fmt.Errorf("layer %q: output shape %v", m.valueName(i), v.shape)
			}
			n *= float64(d)
		}
		if n > 1<<28 {
			return fmt.Errorf("layer %q: output shape %v: more than 2^28 values per sample", m.valueName(i), v.shape)
		}
		if !v.float {
			if !(v.q.scale > 0) || math.IsInf(float64(v.q.scale), 0) || v.q.zero < 0 || v.q.zero > 255 {
				return fmt.Errorf("layer %q: output scale %v and zero point %d (need a finite positive scale and 0..255)", m.valueName(i), v.q.scale, v.q.zero)
			}
		}
	}
	written := make([]bool, len(m.values))
	written[m.input] = true
	for i := range m.ops {
		o := &m.ops[i]
		if o.out < 0 || o.out >= len(m.values) || written[o.out] {
			return fmt.Errorf("layer %q: output %d is not a new value", o.name, o.out)
		}
		for _, v := range o.in {
			if v < 0 || v >= len(m.values) || !written[v] {
				return fmt.Errorf("layer %q: input %d is not computed before it", o.name, v)
			}
		}
		if err := m.prepareOp(o); err != nil {
			return fmt.Errorf("layer %q (%s): %w", o.name, o.class, err)
		}
		written[o.out] = true
	}
	if !written[m.output] {
		return errors.New("the output is not computed")
	}
	return nil
}

func (m *Model) kinds(o *op, float ...bool) error {
	if len(o.in) != len(float)-1 {
		return fmt.Errorf("takes %d inputs, has %d", len(float)-1, len(o.in))
	}
	for i, v := range o.in {
		if m.values[v].float != float[i] {
			return fmt.Errorf("input %d is %s", i, kindName(m.values[v].float))
		}
	}
	if m.values[o.out].float != float[len(float)-1] {
		return fmt.Errorf("output is %s", kindName(m.values[o.out].float))
	}
	return nil
}

func kindName(float bool) string {
	if float {
		return "float32"
	}
	return "uint8"
}

func finite(xs []float32) bool {
	for _, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

func (m *Model) prepareOp(o *op) error {
	shape := func(k int) []int { return m.values[k].shape }
	sameShape := func() error {
		if !slices.Equal(shape(o.in[0]), shape(o.out)) {
			return fmt.Errorf("input shape %v, output %v", shape(o.in[0]), shape(o.out))
		}
		return nil
	}
	sameQ := func() error {
		if m.values[o.in[0]].q != m.values[o.out].q {
			return errors.New("input and output quantization differ")
		}
		return nil
	}
	switch o.class {
	case classQuantize:
		if err := m.kinds(o, true, false); err != nil {
			return err
		}
		return sameShape()
	case classDequantize:
		if err := m.kinds(o, false, true); err != nil {
			return err
		}
		return sameShape()
	case classConv, classDepthwise:
		return m.prepareConv(o)
	case classBF16Conv:
		return m.prepareBF16(o)
	case classAdd:
		if err := m.kinds(o, false, false, false); err != nil {
			return err
		}
		if !slices.Equal(shape(o.in[0]), shape(o.out)) || !slices.Equal(shape(o.in[1]), shape(o.out)) {
			return fmt.Errorf("inputs %v and %v, output %v", shape(o.in[0]), shape(o.in[1]), shape(o.out))
		}
		a, b, y := m.values[o.in[0]].q, m.values[o.in[1]].q, m.values[o.out].q
		lo, hi := clamp(o.act, y)
		o.rt = &addRT{sa: a.scale / y.scale, sb: b.scale / y.scale, za: a.zero, zb: b.zero, zy: y.zero,
			lo: float32(int32(lo) - y.zero), hi: float32(int32(hi) - y.zero)}
		return nil
	case classReLU:
		if err := m.kinds(o, false, false); err != nil {
			return err
		}
		if err := sameShape(); err != nil {
			return err
		}
		lo, hi := clamp(o.act, m.values[o.out].q)
		o.rt = &clampRT{lo, hi}
		return sameQ()
	case classPad:
		if err := m.kinds(o, false, false); err != nil {
			return err
		}
		in := shape(o.in[0])
		t, b, l, r := o.pads[0], o.pads[1], o.pads[2], o.pads[3]
		if len(in) != 3 || min(t, b, l, r) < 0 || max(t, b, l, r) > 1<<12 || !slices.Equal(shape(o.out), []int{in[0] + t + b, in[1] + l + r, in[2]}) {
			return fmt.Errorf("pads %v do not take %v to %v", o.pads, in, shape(o.out))
		}
		return sameQ()
	case classMaxPool, classAvgPool:
		if err := m.kinds(o, false, false); err != nil {
			return err
		}
		in := shape(o.in[0])
		if len(in) != 3 || o.ph < 1 || o.pw < 1 || o.sh < 1 || o.sw < 1 || o.ph > 1<<12 || o.pw > 1<<12 || o.sh > 1<<12 || o.sw > 1<<12 {
			return fmt.Errorf("pool %dx%d stride %dx%d on %v", o.ph, o.pw, o.sh, o.sw, in)
		}
		p := m.poolParams(o, 1)
		if !slices.Equal(shape(o.out), []int{p.OutH(), p.OutW(), in[2]}) {
			return fmt.Errorf("output shape %v, the pool gives %v", shape(o.out), []int{p.OutH(), p.OutW(), in[2]})
		}
		return sameQ()
	case classGAP, classGMP:
		if err := m.kinds(o, false, false); err != nil {
			return err
		}
		in := shape(o.in[0])
		want := []int{in[len(in)-1]}
		if o.keepDims {
			want = []int{1, 1, in[len(in)-1]}
		}
		if len(in) != 3 || !slices.Equal(shape(o.out), want) {
			return fmt.Errorf("input shape %v, output %v", in, shape(o.out))
		}
		return sameQ()
	case classReshape:
		if err := m.kinds(o, false, false); err != nil {
			return err
		}
		if m.values[o.in[0]].size() != m.values[o.out].size() {
			return fmt.Errorf("reshapes %v to %v", shape(o.in[0]), shape(o.out))
		}
		return sameQ()
	}
	return m.prepareFloat(o)
}

func (m *Model) poolParams(o *op, n int) kernels.PoolParams {
	in := m.values[o.in[0]].shape
	p := kernels.PoolParams{N: n, H: in[0], W: in[1], C: in[2], KH: o.ph, KW: o.pw, StrideH: o.sh, StrideW: o.sw}
	if o.same {
		p.PadTop, p.PadBottom = kernels.SamePadding(p.H, p.KH, p.StrideH, 1)
		p.PadLeft, p.PadRight = kernels.SamePadding(p.W, p.KW, p.StrideW, 1)
	}
	return p
}

func (m *Model) prepareConv(o *op) error {
	kinds := []bool{false, false}
	if o.residual {
		kinds = []bool{false, false, false}
	}
	if err := m.kinds(o, kinds...); err != nil {
		return err
	}
	in, out := m.values[o.in[0]].shape, m.values[o.out].shape
	if len(in) != 3 || len(out) != 3 {
		return fmt.Errorf("input %v and output %v are not images", in, out)
	}
	small := func(xs ...int) bool {
		for _, x := range xs {
			if x < 1 || x > 1<<12 {
				return false
			}
		}
		return true
	}
	if !small(o.kh, o.kw, o.sh, o.sw, o.dh, o.dw) || min(o.pads[0], o.pads[1], o.pads[2], o.pads[3]) < 0 || max(o.pads[0], o.pads[1], o.pads[2], o.pads[3]) > 1<<12 {
		return fmt.Errorf("window %dx%d, strides %dx%d, dilation %dx%d, pads %v", o.kh, o.kw, o.sh, o.sw, o.dh, o.dw, o.pads)
	}
	c, oc := in[2], out[2]
	p := kernels.ConvParams{N: 1, H: in[0], W: in[1], C: c, KH: o.kh, KW: o.kw, OutC: oc, StrideH: o.sh, StrideW: o.sw,
		DilationH: o.dh, DilationW: o.dw, PadTop: o.pads[0], PadBottom: o.pads[1], PadLeft: o.pads[2], PadRight: o.pads[3]}
	if p.OutH() != out[0] || p.OutW() != out[1] {
		return fmt.Errorf("output shape %v, the window gives %dx%d", out, p.OutH(), p.OutW())
	}
	nw := o.kh * o.kw * c * oc
	if o.class == classDepthwise {
		if c != oc {
			return fmt.Errorf("depthwise: %d input and %d output channels (depth multiplier 1 only)", c, oc)
		}
		nw = o.kh * o.kw * c
	}
	if len(o.weights) != nw {
		return fmt.Errorf("kernel has %d values, the layer needs %d", len(o.weights), nw)
	}
	if len(o.wscale) != oc || len(o.bias) != oc {
		return fmt.Errorf("%d kernel scales and %d biases for %d output channels", len(o.wscale), len(o.bias), oc)
	}
	if !finite(o.wscale) || !finite(o.bias) {
		return errors.New("kernel scales or biases are not finite")
	}
	for _, s := range o.wscale {
		if !(s > 0) {
			return errors.New("kernel scales must be positive")
		}
	}
	if o.kh*o.kw*c > 1<<16 {
		return fmt.Errorf("a window of %d values is more than int32 sums allow", o.kh*o.kw*c)
	}
	x, y := m.values[o.in[0]].q, m.values[o.out].q
	rt := &convRT{conv: p, zx: x.zero}
	rt.ep.Scale = make([]float32, oc)
	rt.ep.Bias = make([]float32, oc)
	for j := range oc {
		rt.ep.Scale[j] = x.scale * o.wscale[j] / y.scale
		rt.ep.Bias[j] = o.bias[j] / y.scale
	}
	rt.ep.OutZero = y.zero
	rt.ep.Lo, rt.ep.Hi = clamp(o.act, y)
	if o.residual {
		r := m.values[o.in[1]]
		if !slices.Equal(r.shape, out) {
			return fmt.Errorf("residual shape %v, output %v", r.shape, out)
		}
		rt.ep.ResScale, rt.ep.ResZero = r.q.scale/y.scale, r.q.zero
	}
	if o.class == classDepthwise {
		rt.dw = kernels.DepthwiseParams{N: 1, H: in[0], W: in[1], C: c, KH: o.kh, KW: o.kw, Multiplier: 1, StrideH: o.sh, StrideW: o.sw,
			DilationH: o.dh, DilationW: o.dw, PadTop: o.pads[0], PadBottom: o.pads[1], PadLeft: o.pads[2], PadRight: o.pads[3]}
		rt.dww = kernels.PackQDepthwise(o.kh, o.kw, c, 1, o.weights)
	} else {
		rt.w = kernels.PackQWeights(o.weights, o.kh*o.kw*c, oc)
	}
	o.rt = rt
	return nil
}

// bf16RT is a prepared bfloat16 convolution.
type bf16RT struct {
	conv kernels.ConvParams
	w    *kernels.BF16Weights
	act  kernels.Activation
	k    int
}

func (m *Model) prepareBF16(o *op) error {
	kinds := []bool{true, true}
	if o.residual {
		kinds = []bool{true, true, true}
	}
	if err := m.kinds(o, kinds...); err != nil {
		return err
	}
	in, out := m.values[o.in[0]].shape, m.values[o.out].shape
	c, oc := in[2], out[2]
	p := kernels.ConvParams{N: 1, H: in[0], W: in[1], C: c, KH: o.kh, KW: o.kw, OutC: oc, StrideH: o.sh, StrideW: o.sw,
		DilationH: o.dh, DilationW: o.dw, PadTop: o.pads[0], PadBottom: o.pads[1], PadLeft: o.pads[2], PadRight: o.pads[3]}
	if p.OutH() != out[0] || p.OutW() != out[1] || len(o.fkernel) != o.kh*o.kw*c*oc || len(o.bias) != oc {
		return fmt.Errorf("kernel %d values, bias %d, output %v do not fit the input %v", len(o.fkernel), len(o.bias), out, in)
	}
	act := map[string]kernels.Activation{"linear": kernels.ActNone, "relu": kernels.ActReLU, "relu6": kernels.ActReLU6}[o.act]
	o.rt = &bf16RT{conv: p, w: kernels.PackBF16Weights(o.fkernel, o.kh*o.kw*c, oc), act: act, k: o.kh * o.kw * c}
	return nil
}

// runBF16 gathers the windows (a 1x1 stride-1 unpadded layer reads x as
// it is) and multiplies them by the bfloat16 weights.
func (m *Model) runBF16(o *op, ws *workspace, n int) {
	rt := o.rt.(*bf16RT)
	p := rt.conv
	p.N = n
	x, out := ws.f[o.in[0]], ws.f[o.out]
	rows := n * p.OutH() * p.OutW()
	col := x
	if !(p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadTop+p.PadBottom+p.PadLeft+p.PadRight == 0) {
		if cap(ws.col) < rows*rt.k {
			ws.col = make([]float32, rows*rt.k)
		}
		col = ws.col[:rows*rt.k]
		im2colFloat(p, x, col)
	}
	act := rt.act
	if o.residual {
		act = kernels.ActNone
	}
	kernels.BF16Gemm(rows, col, rt.k, rt.w, out, p.OutC, o.bias, act)
	if o.residual {
		for i, r := range ws.f[o.in[1]] {
			out[i] += r
		}
		if rt.act != kernels.ActNone {
			kernels.Activate(rt.act, out, out)
		}
	}
}

// im2colFloat writes each output pixel's window (KH*KW*C values, zero in
// the padding) as one row of col.
func im2colFloat(p kernels.ConvParams, x, col []float32) {
	oh, ow := p.OutH(), p.OutW()
	k := p.KH * p.KW * p.C
	for pix := 0; pix < p.N*oh*ow; pix++ {
		b, rem := pix/(oh*ow), pix%(oh*ow)
		oy, ox := rem/ow, rem%ow
		d := col[pix*k : (pix+1)*k]
		o := 0
		for i := 0; i < p.KH; i++ {
			iy := oy*p.StrideH - p.PadTop + i*p.DilationH
			for j := 0; j < p.KW; j++ {
				ix := ox*p.StrideW - p.PadLeft + j*p.DilationW
				dst := d[o : o+p.C]
				if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
					clear(dst)
				} else {
					copy(dst, x[((b*p.H+iy)*p.W+ix)*p.C:])
				}
				o += p.C
			}
		}
	}
}

// prepareFloat builds the one-layer model a float32 layer runs in.
func (m *Model) prepareFloat(o *op) error {
	if o.layer == nil {
		return errors.New("not a layer Keel knows")
	}
	for _, v := range o.in {
		if !m.values[v].float {
			return errors.New("a float32 layer reads a uint8 value")
		}
	}
	if !m.values[o.out].float {
		return errors.New("a float32 layer writes a uint8 value")
	}
	fm := o.fm // built by the reader, within the file's limits
	if fm == nil {
		var ins []*nn.Node
		for _, v := range o.in {
			ins = append(ins, nn.Input(m.values[v].shape))
		}
		var err error
		if fm, err = nn.NewModel(ins, []*nn.Node{o.layer.Apply(ins...)}); err != nil {
			return err
		}
	}
	if y := fm.Output().Shape(); !slices.Equal(y, m.values[o.out].shape) {
		return fmt.Errorf("gives shape %v, the graph says %v", y, m.values[o.out].shape)
	}
	have := map[string]bool{}
	for _, w := range o.fweights {
		if err := o.layer.SetWeight(w.name, w.shape, w.data); err != nil {
			return err
		}
		have[w.name] = true
	}
	for _, w := range o.layer.Weights() {
		if !have[w.Name()] {
			return fmt.Errorf("weight %q is missing", w.Name())
		}
	}
	o.fm = fm
	return nil
}

// run computes the graph for a batch of n samples whose input is x.
func (m *Model) run(ws *workspace, x []float32, capture func(op int, ws *workspace)) error {
	n := ws.n
	ws.f[m.input] = x
	for i := range m.ops {
		o := &m.ops[i]
		if err := m.runOp(o, ws, n); err != nil {
			return fmt.Errorf("quant: layer %q: %w", o.name, err)
		}
		if capture != nil {
			capture(i, ws)
		}
	}
	return nil
}

func (m *Model) runOp(o *op, ws *workspace, n int) error {
	in := func(k int) []uint8 { return ws.q[o.in[k]] }
	out := ws.q[o.out]
	switch o.class {
	case classQuantize:
		q := m.values[o.out].q
		kernels.QuantizeU8(ws.f[o.in[0]], q.scale, q.zero, out)
	case classDequantize:
		q := m.values[o.in[0]].q
		kernels.DequantizeU8(in(0), q.scale, q.zero, ws.f[o.out])
	case classConv:
		rt := o.rt.(*convRT)
		p := rt.conv
		p.N = n
		ep := rt.ep
		if o.residual {
			ep.Residual = in(1)
		}
		kernels.QConv2D(p, in(0), rt.zx, rt.w, &ep, out)
	case classDepthwise:
		rt := o.rt.(*convRT)
		p := rt.dw
		p.N = n
		kernels.QDepthwise(p, in(0), rt.zx, rt.dww, &rt.ep, out)
	case classAdd:
		rt := o.rt.(*addRT)
		a, b := in(0), in(1)
		for i := range out {
			t := float32(float32(int32(a[i])-rt.za) * rt.sa)
			t = float32(t + float32(float32(int32(b[i])-rt.zb)*rt.sb))
			if !(t > rt.lo) {
				t = rt.lo
			}
			if !(t < rt.hi) {
				t = rt.hi
			}
			out[i] = uint8(int32(math.RoundToEven(float64(t))) + rt.zy)
		}
	case classReLU:
		rt := o.rt.(*clampRT)
		for i, v := range in(0) {
			out[i] = min(max(v, rt.lo), rt.hi)
		}
	case classPad:
		x := in(0)
		s := m.values[o.in[0]].shape
		h, w, c := s[0], s[1], s[2]
		t, l := o.pads[0], o.pads[2]
		os := m.values[o.out].shape
		ow := os[1]
		z := uint8(m.values[o.out].q.zero)
		for i := range out {
			out[i] = z
		}
		for b := 0; b < n; b++ {
			for y := 0; y < h; y++ {
				src := x[((b*h+y)*w)*c : ((b*h+y)*w+w)*c]
				copy(out[((b*os[0]+y+t)*ow+l)*c:], src)
			}
		}
	case classMaxPool:
		kernels.QMaxPool2D(m.poolParams(o, n), in(0), m.values[o.in[0]].q.zero, out)
	case classAvgPool:
		q := m.values[o.in[0]].q
		kernels.QAvgPool2D(m.poolParams(o, n), in(0), q.zero, 1, q.zero, out)
	case classGAP:
		s := m.values[o.in[0]].shape
		q := m.values[o.in[0]].q
		kernels.QGlobalAvgPool(n, s[0]*s[1], s[2], in(0), q.zero, 1, q.zero, out)
	case classGMP:
		s := m.values[o.in[0]].shape
		hw, c := s[0]*s[1], s[2]
		x := in(0)
		for b := 0; b < n; b++ {
			y := out[b*c : b*c+c]
			copy(y, x[b*hw*c:])
			for p := 1; p < hw; p++ {
				for i, v := range x[(b*hw+p)*c : (b*hw+p+1)*c] {
					y[i] = max(y[i], v)
				}
			}
		}
	case classReshape:
		copy(out, in(0))
	case classBF16Conv:
		m.runBF16(o, ws, n)
	default:
		xs := make([]*nn.Tensor, len(o.in))
		for k, v := range o.in {
			t, err := nn.TensorOf(ws.f[v], append([]int{n}, m.values[v].shape...)...)
			if err != nil {
				return err
			}
			xs[k] = t
		}
		ys, err := o.fm.Run(xs...)
		if err != nil {
			return err
		}
		copy(ws.f[o.out], ys[0].Data)
	}
	return nil
}
