package nn

import (
	"errors"
	"fmt"
)

// compiled is what Compile sets: how the model trains.
type compiled struct {
	opt     Optimizer
	loss    Loss
	metrics []Metric
}

// Compile sets the optimizer, the loss (applied to every output) and the
// metrics of TrainStep, as Keras' compile does.
func (m *Model) Compile(opt Optimizer, loss Loss, metrics ...Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.compiled = &compiled{opt: opt, loss: loss, metrics: metrics}
}

// Optimizer returns the compiled optimizer (nil before Compile).
func (m *Model) Optimizer() Optimizer {
	if m.compiled == nil {
		return nil
	}
	return m.compiled.opt
}

// Metrics returns the compiled metrics; TrainStep updates them.
func (m *Model) Metrics() []Metric {
	if m.compiled == nil {
		return nil
	}
	return m.compiled.metrics
}

// TrainStep runs one training step on a batch of a single-input,
// single-output model: forward, loss, backward, optimizer update. It returns
// the loss computed before the update, as Keras logs it.
func (m *Model) TrainStep(x, y *Tensor) (float64, error) {
	return m.TrainBatch([]*Tensor{x}, []*Tensor{y})
}

// TrainBatch is TrainStep for any number of inputs and outputs (one target
// per output; the loss is the sum over outputs).
func (m *Model) TrainBatch(xs, ys []*Tensor) (float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.compiled == nil {
		return 0, errors.New("nn: TrainStep before Compile")
	}
	batch, err := m.checkInputs(xs)
	if err != nil {
		return 0, err
	}
	if len(ys) != len(m.outputs) {
		return 0, fmt.Errorf("nn: model %q has %d outputs, got %d targets", m.name, len(m.outputs), len(ys))
	}
	p, err := m.planFor(planKey{training: true, batch: batch})
	if err != nil {
		return 0, err
	}
	return p.trainStep(xs, ys, m.compiled, func() { m.stats = p.collectStats() })
}

// trainStep is one step of a training plan.
func (p *plan) trainStep(xs, ys []*Tensor, cc *compiled, done func()) (float64, error) {
	p.forward(xs)
	total := 0.0
	for i, o := range p.outputs {
		sl := p.slots[o]
		loss, err := p.outputLoss(sl, ys[i], cc.loss)
		if err != nil {
			return 0, fmt.Errorf("nn: output %d: %w", i, err)
		}
		total += loss
		for _, mt := range cc.metrics {
			if err := mt.Update(sl.val, ys[i]); err != nil {
				return 0, err
			}
		}
	}
	p.backward()
	cc.opt.Update(p.trainVars)
	done()
	return total, nil
}

// outputLoss computes the loss of one output and, when the output needs a
// gradient, sets it, fused with the output activation where possible.
func (p *plan) outputLoss(sl *slot, target *Tensor, loss Loss) (float64, error) {
	grad := sl.grad
	if grad == nil {
		// Nothing trains below this output: the loss is still reported.
		grad = &Tensor{Data: scratch(&p.lossScratch, len(sl.val.Data))}
	}
	if sl.producer >= 0 {
		st := p.steps[sl.producer]
		st.c.lossFused = false
		fl, ok := loss.(fusedLoss)
		if a, ok2 := st.layer.(interface{ activation() activation }); ok && ok2 && len(sl.consumers) == 0 && fl.fusesWith(a.activation()) {
			st.c.lossFused = true
			return fl.computeFused(sl.val, target, grad.Data)
		}
	}
	return loss.Compute(sl.val, target, grad.Data)
}

// EvalStep computes the loss (and updates the compiled metrics) of a
// single-input, single-output model on a batch in inference mode, as
// Keras' test_on_batch: nothing is updated.
func (m *Model) EvalStep(x, y *Tensor) (float64, error) {
	return m.EvalBatch([]*Tensor{x}, []*Tensor{y})
}

// EvalBatch is EvalStep for any number of inputs and outputs.
func (m *Model) EvalBatch(xs, ys []*Tensor) (float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.compiled == nil {
		return 0, errors.New("nn: EvalStep before Compile")
	}
	batch, err := m.checkInputs(xs)
	if err != nil {
		return 0, err
	}
	if len(ys) != len(m.outputs) {
		return 0, fmt.Errorf("nn: model %q has %d outputs, got %d targets", m.name, len(m.outputs), len(ys))
	}
	p, err := m.planFor(planKey{batch: batch})
	if err != nil {
		return 0, err
	}
	p.forward(xs)
	m.stats = p.collectStats()
	total := 0.0
	for i, o := range p.outputs {
		pred := p.slots[o].val
		p.lossScratch = scratch(&p.lossScratch, len(pred.Data))
		loss, err := m.compiled.loss.Compute(pred, ys[i], p.lossScratch)
		if err != nil {
			return 0, fmt.Errorf("nn: output %d: %w", i, err)
		}
		total += loss
		for _, mt := range m.compiled.metrics {
			if err := mt.Update(pred, ys[i]); err != nil {
				return 0, err
			}
		}
	}
	return total, nil
}
