package nn

import (
	"fmt"
	"slices"

	"github.com/keelml/keel/kernels"
)

// planKey identifies an execution plan of a model.
type planKey struct {
	training   bool
	batch      int
	inputGrads bool // also compute gradients of the model inputs (tests)
}

// plan is a model flattened into steps (nested models expanded), with value
// slots, buffers assigned by liveness, and what each step does backward.
// It is built once per key and reused, so a steady-state run allocates
// nothing.
type plan struct {
	key       planKey
	deps      []*base // the model and every layer in it, nested ones included
	gen       uint64  // the sum of the deps' gens when built
	steps     []*step
	slots     []*slot
	inputs    []int
	outputs   []int
	trainVars []*Variable
	// afterForward, set by tests, runs between a training step's forward
	// and backward.
	afterForward func(*plan)

	lossScratch []float32 // the gradient a loss writes when nothing needs it
}

type step struct {
	layer    kernelLayer
	in       []int
	out      int
	frozen   bool
	backward bool   // gradients flow through this step
	wantDW   bool   // it computes weight gradients
	inGrad   []bool // which inputs receive a gradient
	inAcc    []bool // add into the input's gradient (another consumer wrote it first)
	dwAcc    bool   // add into the weights' gradients (a shared layer's later application)
	skip     bool   // folded or fused into another step
	keepIn   bool   // backward reads the input values
	keepOut  bool   // backward reads the output value
	mode     StepMode
	c        call
	stats    LayerStats

	scratchDX [][]float32
	scratchDW [][]float32
}

type slot struct {
	shape     []int // per sample
	val       *Tensor
	grad      *Tensor
	producer  int // step index; -1 for a model input
	consumers []int
	keep      bool // kept alive for backward
	output    bool
	gradBelow bool // a trainable weight lies at or below it: its gradient is needed
	// viewOf: the value is the leading channels of this slot's buffer (a
	// chained Concatenate's output, see chainConcats); it has no buffer of
	// its own.
	viewOf *slot
}

func (p *plan) newSlot(shape []int, producer int) int {
	p.slots = append(p.slots, &slot{shape: slices.Clone(shape), producer: producer})
	return len(p.slots) - 1
}

// buildPlan flattens m for the given key.
func buildPlan(m *Model, key planKey) (*plan, error) {
	p := &plan{key: key, afterForward: m.afterForward}
	p.deps = append(p.deps, m.core())
	for _, l := range m.flatLayers() {
		p.deps = append(p.deps, l.core())
	}
	p.gen = p.depsGen()
	for _, in := range m.inputs {
		p.inputs = append(p.inputs, p.newSlot(in.shape, -1))
	}
	outs, err := p.expand(m, p.inputs, !m.trainable, false)
	if err != nil {
		return nil, err
	}
	p.outputs = outs
	for _, o := range outs {
		p.slots[o].output = true
	}
	for i, s := range p.steps {
		for _, in := range s.in {
			p.slots[in].consumers = append(p.slots[in].consumers, i)
		}
	}
	if key.training {
		p.planBackward()
		if err := p.gradientsPass(); err != nil {
			return nil, err
		}
	}
	p.fuse()
	p.fuseGates()
	p.foldPads()
	p.fuseSeparable()
	p.poolFirst()
	p.fusePreNorms()
	p.chainConcats()
	p.assignBuffers()
	return p, nil
}

// depsGen sums the generations of the plan's layers: gens only grow, so the
// sum changes exactly when one of them does.
func (p *plan) depsGen() uint64 {
	var g uint64
	for _, b := range p.deps {
		g += b.gen.Load()
	}
	return g
}

// expand appends the steps of m applied to the value slots in and returns
// the slots of its outputs. frozen: m sits in a frozen model; inference: in
// a model applied in inference mode.
func (p *plan) expand(m *Model, in []int, frozen, inference bool) ([]int, error) {
	local := map[*Node]int{}
	for i, n := range m.inputs {
		local[n] = in[i]
	}
	calls := map[*modelCall][]int{}
	for _, n := range m.order {
		var ins []int
		for _, x := range appInputs(n) {
			s, ok := local[x]
			if !ok {
				if x.call != nil {
					if outs, ok2 := calls[x.call]; ok2 {
						s, ok = outs[x.index], true
					}
				}
				if !ok {
					return nil, fmt.Errorf("nn: model %q: input %v of layer %q not computed", m.name, x, n.layer.Name())
				}
			}
			ins = append(ins, s)
		}
		if n.call != nil {
			sub := n.call.model
			outs, err := p.expand(sub, ins, frozen || !sub.trainable, inference || n.call.inference)
			if err != nil {
				return nil, err
			}
			calls[n.call] = outs
			for _, o := range n.call.outs {
				local[o] = outs[o.index]
			}
			continue
		}
		kl, ok := n.layer.(kernelLayer)
		if !ok {
			return nil, fmt.Errorf("nn: layer %q (%s) cannot run", n.layer.Name(), n.layer.ClassName())
		}
		st := &step{layer: kl, in: ins, frozen: frozen || !kl.Trainable(), mode: ModeInference}
		if err := p.addMaskInput(m, st, n, local); err != nil {
			return nil, err
		}
		st.out = p.newSlot(n.shape, len(p.steps))
		st.stats = LayerStats{Layer: kl.Name(), Class: kl.ClassName()}
		st.c.stats = &st.stats
		st.c.training, st.c.frozen = p.key.training && !inference, st.frozen
		p.steps = append(p.steps, st)
		local[n] = st.out
	}
	var outs []int
	for _, o := range m.outputs {
		s, ok := local[o]
		if !ok {
			return nil, fmt.Errorf("nn: model %q: output %v not computed", m.name, o)
		}
		outs = append(outs, s)
	}
	return outs, nil
}

// hasTrainableWeights says whether the step updates weights.
func (s *step) hasTrainableWeights() bool {
	if s.frozen {
		return false
	}
	return slices.ContainsFunc(s.layer.Weights(), (*Variable).Trainable)
}

// backwardNeeder is a layer whose backward reads only some of its forward
// values, so the others need not be kept; layers without it keep all.
type backwardNeeder interface {
	backwardNeeds(c *call, wantDW bool) (inputs, output bool)
}

func (s *step) needs() (inputs, output bool) {
	if bn, ok := s.layer.(backwardNeeder); ok {
		return bn.backwardNeeds(&s.c, s.wantDW)
	}
	return true, true
}

// planBackward decides which steps run backward: exactly those at or above
// a trainable weight. Below the lowest trainable layer nothing runs
// backward and nothing is kept.
func (p *plan) planBackward() {
	if p.key.inputGrads {
		for _, in := range p.inputs {
			p.slots[in].gradBelow = true
		}
	}
	for _, s := range p.steps {
		below := s.hasTrainableWeights()
		s.inGrad = make([]bool, len(s.in))
		for i, in := range s.in {
			// A mask's source (the last input, see addMaskInput) gets no gradient.
			s.inGrad[i] = p.slots[in].gradBelow && (s.c.mask == nil || i < len(s.in)-1)
			below = below || s.inGrad[i]
		}
		p.slots[s.out].gradBelow = below
		s.backward = below
		s.c.backward = below
		s.wantDW = s.hasTrainableWeights()
		if s.backward {
			s.mode = ModeBackward
			s.keepIn, s.keepOut = s.needs()
			for _, in := range s.in {
				p.slots[in].keep = p.slots[in].keep || s.keepIn
			}
			p.slots[s.out].keep = p.slots[s.out].keep || s.keepOut
		}
	}
	// Gradients are written by the first consumer in backward order and
	// added by the others; the same for the weights of shared layers.
	written := map[int]bool{}
	for _, o := range p.outputs {
		written[o] = true
	}
	seenLayer := map[kernelLayer]bool{}
	seenVar := map[*Variable]bool{}
	for i := len(p.steps) - 1; i >= 0; i-- {
		s := p.steps[i]
		if !s.backward {
			continue
		}
		s.inAcc = make([]bool, len(s.in))
		for j, in := range s.in {
			if s.inGrad[j] {
				s.inAcc[j] = written[in]
				written[in] = true
			}
		}
		if s.wantDW {
			s.dwAcc = seenLayer[s.layer]
			seenLayer[s.layer] = true
			for _, v := range s.layer.Weights() {
				if v.trainable && !seenVar[v] {
					seenVar[v] = true
					p.trainVars = append(p.trainVars, v)
				}
			}
		}
	}
	slices.Reverse(p.trainVars) // layer order, as Keras lists trainable weights
}

// assignBuffers gives every slot its value buffer. Slots kept for backward,
// outputs and inputs live for the whole run; the others return their buffer
// to a pool after their last consumer, so an inference chain reuses a few
// buffers.
func (p *plan) assignBuffers() {
	n := p.key.batch
	last := make([]int, len(p.slots))
	for i := range last {
		last[i] = -1
	}
	for i, s := range p.steps {
		if s.skip {
			continue
		}
		for _, in := range s.in {
			last[in] = i
		}
	}
	// A chain's buffer lives until the last read of any value in it, and at
	// least until its last Concatenate has written it.
	index := map[*slot]int{}
	for i, sl := range p.slots {
		index[sl] = i
	}
	for i, sl := range p.slots {
		if sl.viewOf != nil {
			t := index[sl.viewOf]
			last[t] = max(last[t], last[i], sl.viewOf.producer)
		}
	}
	free := map[int][][]float32{}
	freed := map[*slot]bool{}
	take := func(size int) []float32 {
		if l := free[size]; len(l) > 0 {
			b := l[len(l)-1]
			free[size] = l[:len(l)-1]
			return b
		}
		return make([]float32, size)
	}
	release := func(sl *slot) {
		if sl.keep || sl.output || sl.producer < 0 || sl.val == nil || sl.viewOf != nil {
			return
		}
		free[len(sl.val.Data)] = append(free[len(sl.val.Data)], sl.val.Data)
	}
	for i, s := range p.steps {
		if s.skip {
			continue
		}
		o := p.slots[s.out]
		shape := append([]int{n}, o.shape...)
		// A fused residual read last here lends its buffer to the output:
		// the kernel adds into it in place.
		lent := -1
		if s.c.residual {
			r := p.slots[s.in[1]]
			if last[s.in[1]] == i && !r.keep && !r.output && r.producer >= 0 && r.val != nil && len(r.val.Data) == numElements(shape) {
				lent = s.in[1]
			}
		}
		switch {
		case lent >= 0:
			o.val = &Tensor{Shape: shape, Data: p.slots[lent].val.Data}
		case o.viewOf != nil:
			// The first of a chain of Concatenates takes the buffer of the
			// last; each output is the leading channels of its rows.
			t := o.viewOf
			if t.val == nil {
				tshape := append([]int{n}, t.shape...)
				t.val = &Tensor{Shape: tshape, Data: take(numElements(tshape))}
			}
			c, ld := o.shape[len(o.shape)-1], t.shape[len(t.shape)-1]
			rows := numElements(shape) / c
			o.val = &Tensor{Shape: shape, Data: t.val.Data[:max(0, (rows-1)*ld+c)]}
		case o.val == nil:
			o.val = &Tensor{Shape: shape, Data: take(numElements(shape))}
		}
		if last[s.out] < 0 {
			release(o)
		}
		for _, in := range s.in {
			sl := p.slots[in]
			if sl.viewOf != nil {
				// A chain's value: its buffer goes with the chain's last read.
				in, sl = index[sl.viewOf], sl.viewOf
			}
			if last[in] == i && in != lent && !freed[sl] {
				freed[sl] = true
				release(sl)
			}
		}
		if s.keepIn {
			for _, in := range s.in {
				s.stats.KeptValues += numElements(p.slots[in].shape) * n
			}
		}
		if s.keepOut {
			s.stats.KeptValues += numElements(o.shape) * n
		}
	}
	p.assignGradBuffers()
}

// assignGradBuffers gives every slot that needs a gradient its buffer, live
// from the first write in backward order (the loss, for outputs) to its
// producer's backward, so gradients of a long chain share a few buffers.
func (p *plan) assignGradBuffers() {
	n := p.key.batch
	needs := func(i int) bool {
		sl := p.slots[i]
		return sl.gradBelow && (sl.producer >= 0 || p.key.inputGrads)
	}
	free := map[int][][]float32{}
	alloc := func(i int) {
		sl := p.slots[i]
		if sl.grad != nil || !needs(i) {
			return
		}
		shape := append([]int{n}, sl.shape...)
		size := numElements(shape)
		var buf []float32
		if l := free[size]; len(l) > 0 {
			buf, free[size] = l[len(l)-1], l[:len(l)-1]
		} else {
			buf = make([]float32, size)
		}
		sl.grad = &Tensor{Shape: shape, Data: buf}
	}
	for _, o := range p.outputs {
		alloc(o)
	}
	for i := len(p.steps) - 1; i >= 0; i-- {
		s := p.steps[i]
		if !s.backward {
			continue
		}
		for j, in := range s.in {
			if s.inGrad[j] {
				alloc(in)
			}
		}
		// The step's own gradient is dead once it ran, unless it is a model
		// output (the loss wrote it) or an input whose gradient is returned.
		out := p.slots[s.out]
		if out.grad != nil && !out.output {
			size := len(out.grad.Data)
			free[size] = append(free[size], out.grad.Data)
		}
	}
}

// fuse merges, in steps that run no backward, a BatchNormalization into the
// convolution before it, a ReLU into the layer before it, and an Add of two
// values into the convolution that computes one of them when the other is
// computed before that convolution runs. Never across a value that is an
// output of the run, or read by another step.
func (p *plan) fuse() {
	for i, s := range p.steps {
		if s.skip || s.backward {
			continue
		}
		for {
			ni, next, ok := p.soleReader(s)
			if !ok {
				break
			}
			if len(next.in) != 1 {
				if !p.tryResidual(i, s, ni, next) {
					break
				}
			} else if !p.tryFold(s, next) && !p.tryFuseAct(s, next) {
				break
			}
			next.skip = true
			s.out = next.out
			p.slots[next.out].producer = i
		}
	}
}

// soleReader returns the step (and its index) that alone reads s's output,
// when it may absorb s or be absorbed: the output is not an output of the
// run, not kept for backward, and read once, by a step that runs no
// backward and is not merged already.
func (p *plan) soleReader(s *step) (int, *step, bool) {
	o := p.slots[s.out]
	if o.output || o.keep || len(o.consumers) != 1 {
		return 0, nil, false
	}
	ni := o.consumers[0]
	next := p.steps[ni]
	if next.backward || next.skip {
		return 0, nil, false
	}
	return ni, next, true
}

// moveResidual makes step i (s) read other, the residual that step from
// adds, in from's place, and says whether it could: other must be computed
// before s runs, and not be s's own input (a step reads each slot once).
func (p *plan) moveResidual(i int, s *step, other, from int) bool {
	if pr := p.slots[other].producer; other == s.in[0] || pr >= i || (pr >= 0 && p.steps[pr].skip) {
		return false
	}
	s.c.residual = true
	s.in = append(s.in, other)
	cons := p.slots[other].consumers
	cons[slices.Index(cons, from)] = i
	return true
}

// residualer is a convolution that can add a residual in its kernel.
type residualer interface {
	canAddResidual() bool
}

// summer is a layer whose output is the sum of its inputs (Add), which a
// residualer can compute.
type summer interface {
	sumsInputs() bool
}

// tryResidual fuses next (step ni), an Add of s's output and another value,
// or a scaled residual x0 + scale * (s's output), into s (step i): s then
// reads the other value as its second input and adds it before its
// activation. The other value must be computed before s runs.
func (p *plan) tryResidual(i int, s *step, ni int, next *step) bool {
	r, ok := s.layer.(residualer)
	if !ok || len(next.in) != 2 || next.in[0] == next.in[1] || len(s.in) != 1 ||
		s.c.residual || s.c.postAct != kernels.ActNone || next.c.postAct != kernels.ActNone ||
		s.c.postNonlinear != 0 || next.c.postNonlinear != 0 || !r.canAddResidual() {
		return false
	}
	other := next.in[0]
	if other == s.out {
		other = next.in[1]
	}
	var fold *bnFold
	switch l := next.layer.(type) {
	case summer:
		if !l.sumsInputs() {
			return false
		}
	case scaledSummer:
		// x0 + scale * y, y s's output: scale folds into s's weights and
		// bias (InceptionResNetV2's CustomScaleLayer, whose three passes
		// over each block's output this saves).
		f, ok := s.layer.(folder)
		if !ok || next.in[1] != s.out || s.c.fold != nil || !f.canFold() {
			return false
		}
		fold = &bnFold{scale: float32(l.scaledSum())}
	default:
		return false
	}
	if !p.moveResidual(i, s, other, ni) {
		return false
	}
	if fold != nil {
		s.c.fold = fold
	}
	next.mode = ModeFused
	return true
}

// scaledSummer is a layer whose output is inputs[0] + scale * inputs[1]
// (InceptionResNetV2's CustomScaleLayer), which a residualer computes with
// the scale folded into its weights.
type scaledSummer interface {
	scaledSum() float64
}

// padFolder is a convolution or pooling that can take a ZeroPadding2D before
// it as its own padding; nonNegative says whether the unpadded values are
// known to be >= 0.
type padFolder interface {
	canFoldPad(top, bottom, left, right int, nonNegative bool) bool
}

// zeroPadder is a layer that only pads its input with zeros (ZeroPadding2D).
type zeroPadder interface {
	zeroPads() (top, bottom, left, right int)
}

// foldPads merges, in steps that run no backward, a ZeroPadding2D into the
// convolution or max pooling whose only input it is: that step reads the
// unpadded value with the padding added to its own. Max pooling ignores its
// padding where a zero padding takes part in the maximum, so it takes one
// only over values known to be non-negative (ReLU outputs: ResNet's
// pool1_pad), where each window's maximum is the same. Never when the padded
// value is an output of the run or kept. It runs after fuse, so that a ReLU
// fused into the step before the padding counts.
func (p *plan) foldPads() {
	for i, s := range p.steps {
		zp, ok := s.layer.(zeroPadder)
		if !ok || s.skip || s.backward || len(s.in) != 1 {
			continue
		}
		ci, next, ok := p.soleReader(s)
		if !ok {
			continue
		}
		o := p.slots[s.out]
		f, ok := next.layer.(padFolder)
		top, bottom, left, right := zp.zeroPads()
		if !ok || next.in[0] != s.out || slices.Index(next.in[1:], s.out) >= 0 ||
			next.c.pad != nil || !f.canFoldPad(top, bottom, left, right, p.nonNegative(s.in[0])) {
			continue
		}
		next.c.pad = &[4]int{top, bottom, left, right}
		next.in[0] = s.in[0]
		in := p.slots[s.in[0]]
		in.consumers[slices.Index(in.consumers, i)] = ci
		o.consumers = nil
		s.skip = true
		s.mode = ModeFolded
	}
}

// pointwiseFuser is a depthwise convolution that can compute the 1x1
// convolution next, which reads its output, in its own kernel (c.sep).
// gater is a 1x1 convolution that can multiply its input by a per-sample,
// per-channel gate itself.
type gater interface {
	canGate(c *call) bool
}

// fuseGates merges into a 1x1 convolution (after its own fusions) the
// broadcasting Multiply, x * gate with gate (1, 1, C), whose output only it
// reads: squeeze-and-excitation before the projection of MobileNetV3 and
// EfficientNet, whose pass over the block's widest tensor this saves. The
// convolution then reads x and, as its last input, the gate.
func (p *plan) fuseGates() {
	for i, s := range p.steps {
		g, ok := s.layer.(gater)
		if !ok || s.skip || s.backward || s.c.gate || !g.canGate(&s.c) {
			continue
		}
		mi := p.slots[s.in[0]].producer
		if mi < 0 {
			continue
		}
		ms := p.steps[mi]
		if _, ok := ms.layer.(*Multiply); !ok || ms.skip || ms.backward || len(ms.in) != 2 ||
			ms.c.postAct != kernels.ActNone || ms.c.postNonlinear != 0 {
			continue
		}
		o := p.slots[ms.out]
		if o.output || o.keep || len(o.consumers) != 1 {
			continue
		}
		xi, gi := ms.in[0], ms.in[1]
		if !isGate(p.slots[xi].shape, p.slots[gi].shape) {
			xi, gi = gi, xi
		}
		if !isGate(p.slots[xi].shape, p.slots[gi].shape) || xi == gi || slices.Contains(s.in, xi) || slices.Contains(s.in, gi) {
			continue
		}
		s.in[0] = xi
		s.in = append(s.in, gi)
		s.c.gate = true
		for _, v := range []int{xi, gi} {
			cons := p.slots[v].consumers
			cons[slices.Index(cons, mi)] = i
		}
		o.consumers = nil
		ms.skip = true
		ms.mode = ModeFused
	}
}

// isGate says whether g, a per-sample shape, is (1, 1, C) for x (H, W, C).
func isGate(x, g []int) bool {
	return len(x) == 3 && len(g) == 3 && g[0] == 1 && g[1] == 1 && g[2] == x[2] && x[0]*x[1] > 1
}

type pointwiseFuser interface {
	canFusePointwise(c *call, next *step) bool
}

// fuseSeparable merges, in steps that run no backward, a 1x1 convolution
// into the depthwise convolution whose output only it reads (MobileNet's
// separable blocks, after their BatchNormalizations, activations, paddings
// and residual Adds are folded): the depthwise step computes both, in bands
// of rows that stay in cache. A residual of the 1x1 convolution must be
// computed before the depthwise step runs.
func (p *plan) fuseSeparable() {
	for i, s := range p.steps {
		f, ok := s.layer.(pointwiseFuser)
		if !ok || s.skip || s.backward || len(s.in) != 1 || s.c.sep != nil || s.c.residual || s.c.postNonlinear != 0 {
			continue
		}
		ni, next, ok := p.soleReader(s)
		if !ok {
			continue
		}
		o := p.slots[s.out]
		if next.in[0] != s.out || next.c.pad != nil || next.c.postNonlinear != 0 || !f.canFusePointwise(&s.c, next) {
			continue
		}
		if next.c.residual && !p.moveResidual(i, s, next.in[1], ni) {
			continue
		}
		s.c.sep = next
		s.out = next.out
		p.slots[next.out].producer = i
		o.consumers = nil
		next.skip = true
		next.mode = ModeFused
	}
}

// linearPointwise is a 1x1 convolution at stride 1 whose output, in the
// given call, is an affine function of each input pixel alone (no
// activation, residual, gate, padding or fused BatchNormalization before it).
type linearPointwise interface {
	isLinearPointwise(c *call) bool
}

// averagePooler is an average pooling (AveragePooling2D), whose windows
// average pixels with weights that sum to 1.
type averagePooler interface {
	averagesPixels() bool
}

// poolFirst swaps, in steps that run no backward, a linear 1x1 convolution
// and the average pooling that alone reads its output: pool(conv(x)) =
// conv(pool(x)), since the convolution maps each pixel alone through the
// same affine map and each window's weights sum to 1. The convolution then
// runs on the pooled pixels: a quarter of them for DenseNet's transitions
// (1x1 convolution, 2x2 average pooling), whose multiply-adds fall to a
// quarter for a pooling of the wider input. It runs after fuse (the
// convolution's folded BatchNormalization is affine too, a fused ReLU is
// refused) and before fusePreNorms, so that a BatchNormalization and ReLU
// before the convolution stay before the pooling.
func (p *plan) poolFirst() {
	for _, s := range p.steps {
		lp, ok := s.layer.(linearPointwise)
		if !ok || s.skip || s.backward || len(s.in) != 1 || !lp.isLinearPointwise(&s.c) {
			continue
		}
		_, next, ok := p.soleReader(s)
		if !ok || len(next.in) != 1 || next.c.postAct != kernels.ActNone || next.c.postNonlinear != 0 || next.c.pad != nil {
			continue
		}
		if ap, ok := next.layer.(averagePooler); !ok || !ap.averagesPixels() {
			continue
		}
		pooled, err := next.layer.build([][]int{p.slots[s.in[0]].shape})
		if err != nil {
			continue
		}
		// The convolution's step now pools x into the slot that held its
		// output, of the pooled shape; the pooling's step convolves that.
		s.layer, next.layer = next.layer, s.layer
		s.c, next.c = next.c, s.c
		s.mode, next.mode = next.mode, s.mode
		p.slots[s.out].shape = pooled
	}
}

// preNormer is a 1x1 convolution that can apply an inference
// BatchNormalization to its input as it reads it (call.preNorm).
type preNormer interface {
	canPreNorm(c *call) bool
}

// preNormable is a layer that a preNormer can apply in the given call (an
// inference BatchNormalization with at most a ReLU fused into it).
type preNormable interface {
	asPreNorm(c *call) (*bnPre, bool)
}

// fusePreNorms merges, in steps that run no backward, an inference
// BatchNormalization (and the ReLU fused into it) into the 1x1 convolution
// that alone reads its output, as its first input: the convolution reads
// the BatchNormalization's input and normalises each block of pixels in
// cache, so the normalised tensor is never stored (DenseNet's pre-activation
// conv blocks and transitions, BN-ReLU-1x1). It runs after the other
// fusions, which fold the convolution's own BatchNormalization, activation
// and residual first, and before chainConcats, so that the convolution
// then reads a chained Concatenate's output with a stride, as the
// BatchNormalization would have.
func (p *plan) fusePreNorms() {
	for i, s := range p.steps {
		bn, ok := s.layer.(preNormable)
		if !ok || s.skip || s.backward || len(s.in) != 1 {
			continue
		}
		ci, next, ok := p.soleReader(s)
		if !ok {
			continue
		}
		f, ok := next.layer.(preNormer)
		// Its residual must be another value: a step reads each slot once.
		if !ok || next.in[0] != s.out || slices.Contains(next.in[1:], s.out) || slices.Contains(next.in[1:], s.in[0]) ||
			!f.canPreNorm(&next.c) {
			continue
		}
		pre, ok := bn.asPreNorm(&s.c)
		if !ok {
			continue
		}
		next.c.preNorm = pre
		next.in[0] = s.in[0]
		in := p.slots[s.in[0]]
		in.consumers[slices.Index(in.consumers, i)] = ci
		p.slots[s.out].consumers = nil
		s.skip = true
		s.mode = ModeFused
	}
}

// chainConcats lets a run of Concatenates along the last axis, each
// extending the output of the one before (DenseNet's dense blocks), share
// the buffer of the last: each then copies only its new channels, where
// copying the grown prefix every time moves a number of values quadratic in
// the block's length. The earlier outputs are the leading channels of that
// buffer, their rows its width apart, so only the next Concatenate and
// steps that read rows with a stride (inference BatchNormalizations, and
// the 1x1 convolutions they are fused into) may read them. Inference steps
// only; never a value that is an output of the run or kept.
func (p *plan) chainConcats() {
	next := map[int]int{} // step -> the Concatenate step that extends its output in place
	for i, s := range p.steps {
		if !p.chainable(s) {
			continue
		}
		o := p.slots[s.out]
		if o.output || o.keep {
			continue
		}
		ni, ok := -1, true
		for _, ci := range o.consumers {
			c := p.steps[ci]
			switch {
			case p.chainable(c) && c.in[0] == s.out && slices.Index(c.in[1:], s.out) < 0 && ni < 0:
				ni = ci
			case !p.stridedReader(c, s.out):
				ok = false
			}
		}
		if ok && ni >= 0 {
			next[i] = ni
		}
	}
	extends := map[int]bool{}
	for _, ni := range next {
		extends[ni] = true
	}
	for head := range p.steps {
		if _, ok := next[head]; !ok || extends[head] {
			continue
		}
		chain := []int{head}
		for {
			ni, ok := next[chain[len(chain)-1]]
			if !ok {
				break
			}
			chain = append(chain, ni)
		}
		tail := p.slots[p.steps[chain[len(chain)-1]].out]
		width := tail.shape[len(tail.shape)-1]
		for k, si := range chain {
			s := p.steps[si]
			s.c.rowStride, s.c.inPlace = width, k > 0
			if k == len(chain)-1 {
				break
			}
			o := p.slots[s.out]
			o.viewOf = tail
			for _, ci := range o.consumers {
				if c := p.steps[ci]; c != p.steps[chain[k+1]] {
					c.c.xStride = width
				}
			}
		}
	}
}

// channelAppender is a layer that copies its inputs side by side along the
// last axis (Concatenate), so it can extend a buffer in place: it honours
// call.rowStride and call.inPlace.
type channelAppender interface {
	appendsChannels() bool
}

// stridedReader is a layer that can read its input's rows with a stride
// (call.xStride) in the given call.
type stridedReader interface {
	readsStrided(c *call) bool
}

// chainable says whether step s is a Concatenate along the last axis that
// chainConcats may give a shared buffer.
func (p *plan) chainable(s *step) bool {
	l, ok := s.layer.(channelAppender)
	return ok && l.appendsChannels() && !s.skip && !s.backward && len(s.in) >= 2
}

// stridedReader says whether step s reads slot v only, and can read it
// with a stride (an inference BatchNormalization, or a 1x1 convolution
// with one fused into it).
func (p *plan) stridedReader(s *step, v int) bool {
	r, ok := s.layer.(stridedReader)
	return ok && !s.skip && !s.backward && r.readsStrided(&s.c) && len(s.in) == 1 && s.in[0] == v
}

// nonNegative says whether slot v holds values known to be >= 0: the last
// thing its producer does is a ReLU or ReLU6.
func (p *plan) nonNegative(v int) bool {
	pr := p.slots[v].producer
	if pr < 0 {
		return false
	}
	st := p.steps[pr]
	if st.c.postAct == kernels.ActReLU || st.c.postAct == kernels.ActReLU6 {
		return true
	}
	_, ok := kernelActivation(st.layer)
	return ok
}

// folder is a convolution that can absorb an inference-mode BatchNormalization.
type folder interface {
	canFold() bool // linear activation, no fold yet
	outChannels() int
}

// foldable is a layer that a folder can absorb in the given call (an
// inference BatchNormalization).
type foldable interface {
	asFold(c *call) (*bnFold, bool)
}

// tryFold folds next, a BatchNormalization, into s. Not after a fused
// residual: the BN would scale the residual too (ResNetV2's post_bn and
// preact_bn after an Add), which folding into s's weights cannot do.
func (p *plan) tryFold(s, next *step) bool {
	bn, ok := next.layer.(foldable)
	f, ok2 := s.layer.(folder)
	if !ok || !ok2 || s.c.fold != nil || s.c.residual || s.c.postAct != kernels.ActNone || s.c.postNonlinear != 0 || !f.canFold() {
		return false
	}
	fold, ok := bn.asFold(&next.c)
	if !ok {
		return false
	}
	s.c.fold = fold
	next.mode = ModeFolded
	return true
}

// actFuser is a layer whose kernel can apply one more activation.
type actFuser interface {
	canFuseAct() bool
}

// nonlinearFuser is a layer, not an actFuser, after whose forward the
// step may apply a Nonlinear activation in place (Dense).
type nonlinearFuser interface {
	canFuseNonlinear() bool
}

func (p *plan) tryFuseAct(s, next *step) bool {
	if a, isA := next.layer.(*Activation); isA && a.act == actLinear {
		// an identity (ConvNeXt's stochastic depth at inference): nothing
		// to compute, so any step absorbs it
		next.mode = ModeFused
		return true
	}
	if s.c.postAct != kernels.ActNone || s.c.postNonlinear != 0 {
		return false
	}
	f, ok := s.layer.(actFuser)
	ok = ok && f.canFuseAct()
	if act, isAct := kernelActivation(next.layer); isAct && ok {
		s.c.postAct = act
		next.mode = ModeFused
		return true
	}
	if nf, isNF := s.layer.(nonlinearFuser); isNF && nf.canFuseNonlinear() {
		ok = true
	}
	// swish, gelu, hard_swish... after a convolution, BatchNormalization or
	// Dense (EfficientNet's conv -> BN -> swish): the step applies it after
	// its kernel.
	if a, isA := next.layer.(*Activation); isA && ok {
		if fn, ok := a.act.nonlinear(); ok {
			s.c.postNonlinear = fn
			next.mode = ModeFused
			return true
		}
	}
	return false
}

// kernelActivator is an activation layer that a kernel can apply after its
// own computation.
type kernelActivator interface {
	kernelActivation() (kernels.Activation, bool)
}

// kernelActivation says whether l is an activation layer that a kernel can
// apply (ReLU or ReLU6).
func kernelActivation(l Layer) (kernels.Activation, bool) {
	if a, ok := l.(kernelActivator); ok {
		return a.kernelActivation()
	}
	return kernels.ActNone, false
}
