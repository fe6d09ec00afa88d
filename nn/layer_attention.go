package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/keelml/keel/internal/splitmix"
)

// Attention is Keras' dot-product (Luong) attention layer: inputs [query,
// value] or [query, value, key] (key defaults to value), scores q . k
// ("dot", times the learned scale with use_scale) or
// concat_score_weight * sum(tanh(scale * (q + k))) ("concat"), softmax over
// the values, dropout on those weights in training, and their weighted sum
// of the values. causal masks the values after each query's position.
// Inputs are (steps, dim) per sample; on (dim) inputs, as Keras' matmul
// does, the batch itself is the sequence, so every sample attends to the
// whole batch. Weights: scale (use_scale), concat_score_weight (concat),
// both scalars.
type Attention struct {
	base
	useScale, causal bool
	concat           bool
	dropout          float64
	rng              *splitmix.Stream
	scale, concatW   *Variable
	rank2            bool
	tq, tv, d, dv    int
}

// NewAttention returns an Attention layer; scoreMode is "dot" or "concat".
// Options: WithSeed, WithName.
func NewAttention(useScale bool, scoreMode string, causal bool, dropout float64, opts ...Option) *Attention {
	s, err := collect("Attention", opts, "seed")
	if err == nil && scoreMode != "dot" && scoreMode != "concat" {
		err = fmt.Errorf("nn: Attention: score_mode %q, want dot or concat", scoreMode)
	}
	if err == nil && (dropout < 0 || dropout >= 1) {
		err = fmt.Errorf("nn: Attention: dropout %g not in [0, 1)", dropout)
	}
	l := &Attention{useScale: useScale, causal: causal, concat: scoreMode == "concat", dropout: dropout}
	l.init(l, "Attention", s, err)
	l.rng = splitmix.New(s.seed ^ splitmix.FNV1a64(l.name))
	return l
}

// Config is Keras 2.11's Attention config, with the causal flag of the
// earlier tf.keras versions when set.
func (l *Attention) Config() map[string]any {
	mode := "dot"
	if l.concat {
		mode = "concat"
	}
	c := l.withBase(map[string]any{"use_scale": l.useScale, "score_mode": mode, "dropout": l.dropout})
	if l.causal {
		c["causal"] = true
	}
	return c
}

func (l *Attention) build(in [][]int) ([]int, error) {
	if len(in) != 2 && len(in) != 3 {
		return nil, fmt.Errorf("takes [query, value] or [query, value, key], got %d inputs", len(in))
	}
	q, v := in[0], in[1]
	k := v
	if len(in) == 3 {
		k = in[2]
	}
	if len(q) != len(v) || len(q) != len(k) || len(q) < 1 || len(q) > 2 {
		return nil, fmt.Errorf("query, value and key must all be (steps, dim) or (dim), got %v", in)
	}
	l.rank2 = len(q) == 1
	if l.rank2 {
		q, v, k = append([]int{0}, q...), append([]int{0}, v...), append([]int{0}, k...)
	} else if v[0] != k[0] {
		return nil, fmt.Errorf("value and key have different steps: %v, %v", v, k)
	}
	if q[1] != k[1] {
		return nil, fmt.Errorf("query and key have different dims: %v, %v", in[0], k[1:])
	}
	l.tq, l.tv, l.d, l.dv = q[0], v[0], q[1], v[1]
	if l.scale == nil && l.concatW == nil {
		if l.useScale {
			l.scale = l.addWeight("scale", []int{}, true, constant(1))
		}
		if l.concat {
			l.concatW = l.addWeight("concat_score_weight", []int{}, true, constant(1))
		}
	}
	out := slices.Clone(in[0])
	out[len(out)-1] = l.dv
	return out, nil
}

// groups returns the attention problems of a batch and their step counts:
// one per sample, or one over the whole batch for (dim) inputs.
func (l *Attention) groups(batch int) (n, tq, tv int) {
	if l.rank2 {
		return 1, batch, batch
	}
	return batch, l.tq, l.tv
}

func (l *Attention) scaleValue() float64 {
	if l.scale == nil {
		return 1
	}
	return float64(l.scale.data[0])
}

func (l *Attention) keyOf(c *call) []float32 {
	if len(c.x) == 3 {
		return c.x[2].Data
	}
	return c.x[1].Data
}

// weights computes the softmax weights p (tq x tv) of group g.
func (l *Attention) weights(q, k []float32, tq, tv int, p []float64) {
	s, d := l.scaleValue(), l.d
	for i := range tq {
		row, qi := p[i*tv:(i+1)*tv], q[i*d:(i+1)*d]
		for j := range tv {
			kj := k[j*d : (j+1)*d]
			var v float64
			for x := range d {
				if l.concat {
					v += math.Tanh(s * float64(qi[x]+kj[x]))
				} else {
					v += float64(qi[x]) * float64(kj[x])
				}
			}
			if l.concat {
				v *= float64(l.concatW.data[0])
			} else {
				v *= s
			}
			if l.causal && j > i {
				v -= 1e9 // Keras' mask
			}
			row[j] = v
		}
		softmaxRow(row)
	}
}

func softmaxRow(row []float64) {
	m := math.Inf(-1)
	for _, v := range row {
		m = max(m, v)
	}
	var sum float64
	for j, v := range row {
		row[j] = math.Exp(v - m)
		sum += row[j]
	}
	for j := range row {
		row[j] /= sum
	}
}

type attentionState struct {
	p, mask []float64 // per group: weights, dropout scale (training)
	ds      []float64 // backward: one query's score gradients
}

func (l *Attention) backwardNeeds(*call, bool) (bool, bool) { return true, false }

func (l *Attention) forward(c *call) {
	n, tq, tv := l.groups(c.x[0].Batch())
	st, _ := c.state.(*attentionState)
	if st == nil {
		st = &attentionState{}
		c.state = st
	}
	st.p, st.mask = scratch64(st.p, n*tq*tv), scratch64(st.mask, n*tq*tv)
	q, v, k, y := c.x[0].Data, c.x[1].Data, l.keyOf(c), c.y.Data
	keep := 1 / (1 - l.dropout)
	for g := range n {
		p, m := st.p[g*tq*tv:(g+1)*tq*tv], st.mask[g*tq*tv:(g+1)*tq*tv]
		l.weights(q[g*tq*l.d:], k[g*tv*l.d:], tq, tv, p)
		for i := range m {
			m[i] = 1
			if c.training && l.dropout > 0 {
				m[i] = keep
				if l.rng.U() < l.dropout {
					m[i] = 0
				}
			}
		}
		vg, yg := v[g*tv*l.dv:], y[g*tq*l.dv:]
		for i := range tq {
			for x := range l.dv {
				var s float64
				for j := range tv {
					s += p[i*tv+j] * m[i*tv+j] * float64(vg[j*l.dv+x])
				}
				yg[i*l.dv+x] = float32(s)
			}
		}
	}
	c.forwardKernel(0)
}

func scratch64(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

func (l *Attention) backward(c *call) {
	st := c.state.(*attentionState)
	n, tq, tv := l.groups(c.x[0].Batch())
	q, v, k, dy := c.x[0].Data, c.x[1].Data, l.keyOf(c), c.dy.Data
	dq, dv, dk := gradOf(c, 0), gradOf(c, 1), gradOf(c, 2)
	if len(c.x) == 2 {
		dk = dv // the key is the value
	}
	for _, d := range [][]float32{dq, dv, dk} {
		clear(d)
	}
	var sg scoreGrads
	d, dvw := l.d, l.dv
	st.ds = scratch64(st.ds, tv)
	ds := st.ds
	for g := range n {
		p, m := st.p[g*tq*tv:], st.mask[g*tq*tv:]
		qg, vg, kg, dyg := q[g*tq*d:], v[g*tv*dvw:], k[g*tv*d:], dy[g*tq*dvw:]
		for i := range tq {
			// dP = dO V^T through the dropout mask, then the softmax's
			// Jacobian: dS = P (dP - sum(dP P)).
			var dot float64
			for j := range tv {
				var dp float64
				for x := range dvw {
					dp += float64(dyg[i*dvw+x]) * float64(vg[j*dvw+x])
				}
				ds[j] = dp * m[i*tv+j]
				dot += ds[j] * p[i*tv+j]
			}
			for j := range tv {
				w := p[i*tv+j] * m[i*tv+j]
				if dv != nil {
					for x := range dvw {
						dv[(g*tv+j)*dvw+x] += float32(w * float64(dyg[i*dvw+x]))
					}
				}
				if l.causal && j > i {
					continue // a masked score is a constant
				}
				l.scoreBackward(qg[i*d:(i+1)*d], kg[j*d:(j+1)*d], p[i*tv+j]*(ds[j]-dot),
					sliceAt(dq, (g*tq+i)*d, d), sliceAt(dk, (g*tv+j)*d, d), &sg)
			}
		}
	}
	if l.scale != nil && c.dw[0] != nil {
		c.dw[0][0] = float32(sg.scale)
	}
	if l.concatW != nil {
		if dw := c.dw[len(c.dw)-1]; dw != nil {
			dw[0] = float32(sg.concat)
		}
	}
	c.backwardKernel(0)
}

// scoreGrads sums the gradients of the scalar weights.
type scoreGrads struct{ scale, concat float64 }

// scoreBackward adds the gradients of one score, whose own gradient is gs,
// to its query and key rows (nil: not wanted) and the scalar weights.
func (l *Attention) scoreBackward(qi, kj []float32, gs float64, dq, dk []float32, sg *scoreGrads) {
	s := l.scaleValue()
	if !l.concat {
		var dot float64
		for x := range qi {
			dot += float64(qi[x]) * float64(kj[x])
			if dq != nil {
				dq[x] += float32(gs * s * float64(kj[x]))
			}
			if dk != nil {
				dk[x] += float32(gs * s * float64(qi[x]))
			}
		}
		sg.scale += gs * dot
		return
	}
	cw := float64(l.concatW.data[0])
	for x := range qi {
		sum := float64(qi[x] + kj[x])
		t := math.Tanh(s * sum)
		sg.concat += gs * t
		pre := gs * cw * (1 - t*t) // gradient of s * (q + k)
		sg.scale += pre * sum
		if dq != nil {
			dq[x] += float32(pre * s)
		}
		if dk != nil {
			dk[x] += float32(pre * s)
		}
	}
}

// gradOf is input i's gradient buffer, nil when there is none or it is not
// wanted.
func gradOf(c *call, i int) []float32 {
	if i >= len(c.dx) || c.dx[i] == nil {
		return nil
	}
	return c.dx[i].Data
}

// sliceAt is buf[off:off+n], or nil for a nil buf.
func sliceAt(buf []float32, off, n int) []float32 {
	if buf == nil {
		return nil
	}
	return buf[off : off+n]
}

func init() {
	registerConfig("Attention", func(r *reader, o []Option) Layer {
		if r.c.has("seed") {
			o = append(o, WithSeed(uint64(r.int("seed", 0))))
		}
		return NewAttention(r.boolean("use_scale", false), r.str("score_mode", "dot"), r.boolean("causal", false),
			r.float("dropout", 0), o...)
	})
}
