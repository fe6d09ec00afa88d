package nn

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keelml/keel/kernels"
)

// planFor returns the cached plan for key, building it when missing or when
// a trainable flag inside m changed since.
func (m *Model) planFor(key planKey) (*plan, error) {
	if p, ok := m.plans[key]; ok && p.gen == p.depsGen() {
		return p, nil
	}
	p, err := buildPlan(m, key)
	if err != nil {
		return nil, err
	}
	if m.plans == nil || len(m.plans) > 8 {
		m.plans = map[planKey]*plan{}
	}
	m.plans[key] = p
	return p, nil
}

// checkInputs checks the batch tensors against the model's inputs and
// returns the batch size.
func (m *Model) checkInputs(xs []*Tensor) (int, error) {
	if len(xs) != len(m.inputs) {
		return 0, fmt.Errorf("nn: model %q takes %d inputs, got %d", m.name, len(m.inputs), len(xs))
	}
	batch := -1
	for i, x := range xs {
		if x == nil || len(x.Shape) != len(m.inputs[i].shape)+1 || !slices.Equal(x.Shape[1:], m.inputs[i].shape) {
			return 0, fmt.Errorf("nn: model %q input %d: want shape (batch, %v), got %v", m.name, i, m.inputs[i].shape, x)
		}
		if len(x.Data) != numElements(x.Shape) {
			return 0, fmt.Errorf("nn: model %q input %d: %d values for shape %v", m.name, i, len(x.Data), x.Shape)
		}
		if batch >= 0 && x.Shape[0] != batch {
			return 0, fmt.Errorf("nn: model %q: inputs have batch sizes %d and %d", m.name, batch, x.Shape[0])
		}
		batch = x.Shape[0]
	}
	return batch, nil
}

// Run computes the model's outputs for one batch in inference mode (moving
// statistics, no dropout). The results are fresh tensors.
//
// Run may be called from many goroutines at once, also alongside Predict,
// Evaluate and the training steps of the same model: each call holds the
// model's lock for the whole batch, because the compiled plans keep their
// activations in buffers shared between calls. Concurrent calls are thus
// safe and serialised (each still uses every kernel thread); the inputs are
// only read, and the outputs belong to the caller. RunLayers is safe with
// them too. Models that share layers (a backbone inside a larger model) have
// locks of their own: training one while another runs is a race.
func (m *Model) Run(inputs ...*Tensor) ([]*Tensor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	batch, err := m.checkInputs(inputs)
	if err != nil {
		return nil, err
	}
	p, err := m.planFor(planKey{batch: batch})
	if err != nil {
		return nil, err
	}
	err = p.forward(inputs)
	m.stats = p.collectStats()
	if err != nil {
		return nil, err
	}
	outs := make([]*Tensor, len(p.outputs))
	for i, o := range p.outputs {
		outs[i] = p.slots[o].val.Clone()
	}
	return outs, nil
}

// RunLayers computes the outputs of the named top-level layers for one batch
// in inference mode. Nothing is folded across a requested layer, so its
// output is exactly what it computes.
func (m *Model) RunLayers(names []string, inputs ...*Tensor) ([]*Tensor, error) {
	m.mu.Lock()
	key := strings.Join(names, "\x00")
	sub, ok := m.taps[key]
	if !ok {
		var err error
		if sub, err = m.OutputsOf(names...); err != nil {
			m.mu.Unlock()
			return nil, err
		}
		if m.taps == nil || len(m.taps) > 16 {
			m.taps = map[string]*Model{}
		}
		m.taps[key] = sub
	}
	m.mu.Unlock()
	outs, err := sub.Run(inputs...)
	if err == nil {
		stats := sub.StepStats()
		m.mu.Lock()
		m.stats = stats
		m.mu.Unlock()
	}
	return outs, err
}

// StepStats returns what every layer application did in the last Run or
// training step, in compute order (nested models expanded).
func (m *Model) StepStats() []LayerStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.stats)
}

func (p *plan) collectStats() []LayerStats {
	out := make([]LayerStats, len(p.steps))
	for i, s := range p.steps {
		out[i] = s.stats
		out[i].Mode = s.mode
		out[i].WeightGrads = s.wantDW
	}
	return out
}

func (p *plan) resetStats() {
	for _, s := range p.steps {
		kept := s.stats.KeptValues
		s.stats = LayerStats{Layer: s.layer.Name(), Class: s.layer.ClassName(), KeptValues: kept}
	}
}

// forward runs every step on the batch inputs, and stops at the first step
// that reports an error.
func (p *plan) forward(inputs []*Tensor) error {
	p.resetStats()
	for i, in := range p.inputs {
		p.slots[in].val = inputs[i]
	}
	for _, s := range p.steps {
		if s.skip {
			continue
		}
		c := &s.c
		c.x = c.x[:0]
		for _, in := range s.in {
			c.x = append(c.x, p.slots[in].val)
		}
		c.y = p.slots[s.out].val
		t0 := time.Now()
		c.nonlinearFused = false
		s.layer.forward(c)
		if c.err != nil {
			err := c.err
			c.err = nil
			return fmt.Errorf("nn: layer %q (%s): %w", s.layer.Name(), s.layer.ClassName(), err)
		}
		if c.postNonlinear != 0 && !c.nonlinearFused {
			kernels.ApplyNonlinear(c.postNonlinear, c.y.Data, c.y.Data)
		}
		s.stats.ForwardSeconds += time.Since(t0).Seconds()
	}
	return nil
}

// backward runs the steps that need it in reverse order; the gradients of
// the outputs must be set.
func (p *plan) backward() {
	for i := len(p.steps) - 1; i >= 0; i-- {
		s := p.steps[i]
		if !s.backward {
			continue
		}
		c := &s.c
		c.dy = p.slots[s.out].grad
		c.dx = c.dx[:0]
		if s.scratchDX == nil {
			s.scratchDX = make([][]float32, len(s.in))
		}
		for j, in := range s.in {
			var g *Tensor
			if s.inGrad[j] {
				g = p.slots[in].grad
				if s.inAcc[j] {
					g = &Tensor{Shape: g.Shape, Data: scratch(&s.scratchDX[j], len(g.Data))}
				}
			}
			c.dx = append(c.dx, g)
		}
		ws := s.layer.core().weights
		c.dw = c.dw[:0]
		if s.scratchDW == nil {
			s.scratchDW = make([][]float32, len(ws))
		}
		for j, v := range ws {
			var g []float32
			if s.wantDW && v.trainable {
				g = v.ensureGrad()
				if s.dwAcc {
					g = scratch(&s.scratchDW[j], len(v.data))
				}
			}
			c.dw = append(c.dw, g)
		}
		t0 := time.Now()
		s.layer.backward(c)
		s.stats.BackwardSeconds += time.Since(t0).Seconds()
		for j, in := range s.in {
			if s.inGrad[j] && s.inAcc[j] {
				kernels.Add(p.slots[in].grad.Data, c.dx[j].Data, p.slots[in].grad.Data)
			}
		}
		if s.dwAcc {
			for j, v := range ws {
				if c.dw[j] != nil {
					kernels.Add(v.grad, c.dw[j], v.grad)
				}
			}
		}
	}
}
