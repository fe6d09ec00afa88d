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
	return m.TrainBatch([]*Tensor{x}, []*Tensor{y}, nil)
}

// TrainBatch is TrainStep for any number of inputs and outputs (one target
// per output; the loss is the sum over outputs) with per-sample weights
// (nil: all 1): a loss becomes sum(w_i * loss_i) / batch, as Keras reduces
// with sample_weight or class_weight.
func (m *Model) TrainBatch(xs, ys []*Tensor, sampleWeights []float32) (float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.compiled == nil {
		return 0, errors.New("nn: TrainStep before Compile")
	}
	batch, err := m.checkBatch(xs, ys, sampleWeights)
	if err != nil {
		return 0, err
	}
	p, err := m.planFor(planKey{training: true, batch: batch})
	if err != nil {
		return 0, err
	}
	return p.trainStep(xs, ys, sampleWeights, m.compiled, func() { m.stats = p.collectStats() })
}

// trainStep is one step of a training plan.
func (p *plan) trainStep(xs, ys []*Tensor, weights []float32, cc *compiled, done func()) (float64, error) {
	if err := p.forward(xs); err != nil {
		return 0, err
	}
	if p.afterForward != nil {
		p.afterForward(p)
	}
	total := 0.0
	for i, o := range p.outputs {
		sl := p.slots[o]
		loss, err := p.outputLoss(sl, ys[i], weights, cc.loss)
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
func (p *plan) outputLoss(sl *slot, target *Tensor, weights []float32, loss Loss) (float64, error) {
	var grad []float32
	if sl.grad != nil {
		grad = sl.grad.Data
	} else {
		// Nothing trains below this output: the loss is still reported.
		grad = scratch(&p.lossScratch, len(sl.val.Data))
	}
	compute := loss.Compute
	if sl.producer >= 0 {
		st := p.steps[sl.producer]
		st.c.lossFused = false
		fl, ok := loss.(fusedLoss)
		if a, ok2 := st.layer.(interface{ activation() activation }); ok && ok2 && len(sl.consumers) == 0 && fl.fusesWith(a.activation()) {
			st.c.lossFused = true
			compute = fl.computeFused
		}
	}
	if weights == nil {
		return compute(sl.val, target, grad)
	}
	return sampleWeightedLoss(compute, sl.val, target, weights, grad)
}

// sampleWeightedLoss applies per-sample weights to a loss that averages over the
// batch: each sample alone gives loss_i and its gradient row; the result is
// sum(w_i * loss_i)/N and the rows scaled by w_i/N. Keras' losses are all
// per-sample, so this is exact.
func sampleWeightedLoss(compute func(pred, target *Tensor, grad []float32) (float64, error), pred, target *Tensor, weights, grad []float32) (float64, error) {
	n := pred.Batch()
	per := len(grad) / n
	total := 0.0
	for i := 0; i < n; i++ {
		g := grad[i*per : (i+1)*per]
		l, err := compute(pred.Rows(i, i+1), target.Rows(i, i+1), g)
		if err != nil {
			return 0, err
		}
		w := weights[i]
		total += float64(w) * l
		for j := range g {
			g[j] *= w / float32(n)
		}
	}
	return total / float64(n), nil
}

// EvalBatch computes the loss (and updates the compiled metrics) on a
// batch in inference mode, as Keras' test_on_batch: nothing else is
// updated. Inputs, targets and sample weights are as in TrainBatch.
func (m *Model) EvalBatch(xs, ys []*Tensor, sampleWeights []float32) (float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.compiled == nil {
		return 0, errors.New("nn: EvalBatch before Compile")
	}
	batch, err := m.checkBatch(xs, ys, sampleWeights)
	if err != nil {
		return 0, err
	}
	p, err := m.planFor(planKey{batch: batch})
	if err != nil {
		return 0, err
	}
	err = p.forward(xs)
	m.stats = p.collectStats()
	if err != nil {
		return 0, err
	}
	total := 0.0
	for i, o := range p.outputs {
		pred := p.slots[o].val
		p.lossScratch = scratch(&p.lossScratch, len(pred.Data))
		var loss float64
		var err error
		if sampleWeights == nil {
			loss, err = m.compiled.loss.Compute(pred, ys[i], p.lossScratch)
		} else {
			loss, err = sampleWeightedLoss(m.compiled.loss.Compute, pred, ys[i], sampleWeights, p.lossScratch)
		}
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

// checkBatch checks a batch's inputs, targets and sample weights against the
// model and returns the batch size.
func (m *Model) checkBatch(xs, ys []*Tensor, sampleWeights []float32) (int, error) {
	batch, err := m.checkInputs(xs)
	if err != nil {
		return 0, err
	}
	if len(ys) != len(m.outputs) {
		return 0, fmt.Errorf("nn: model %q has %d outputs, got %d targets", m.name, len(m.outputs), len(ys))
	}
	if sampleWeights != nil && len(sampleWeights) != batch {
		return 0, fmt.Errorf("nn: %d sample weights for a batch of %d", len(sampleWeights), batch)
	}
	return batch, nil
}
