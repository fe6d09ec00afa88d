package nn

import (
	"fmt"
	"slices"
)

// OptimizerState is what an optimizer carries from one step to the next
// besides the variables, Keras' optimizer.weights: the step count (Keras'
// iterations, which Adam's bias correction uses) and, per variable, the
// optimizer's arrays (Adam's m and v, SGD's momentum, RMSprop's rms, in
// the order SlotNames gives). Saved with a model and restored into a fresh
// optimizer of the same kind and configuration, training continues exactly
// as if it had not stopped.
type OptimizerState struct {
	Iterations   int
	LearningRate float64
	// Slots holds, by Variable.Path, the arrays of the variables the
	// optimizer has updated (a variable never updated has none).
	Slots map[string][][]float32
}

// StatefulOptimizer is an optimizer whose state can be saved and restored.
// SGD, Adam and RMSprop are.
type StatefulOptimizer interface {
	Optimizer
	// SlotNames names the per-variable arrays, in order: Keras' names
	// ("m", "v"; "momentum"; "rms").
	SlotNames() []string
	// State returns a copy of the state for vars (the model's weights).
	State(vars []*Variable) OptimizerState
	// SetState restores a state State returned, for the same variables.
	SetState(vars []*Variable, s OptimizerState) error
}

// SlotNames is Adam's m and v.
func (o *Adam) SlotNames() []string { return []string{"m", "v"} }

// SlotNames is SGD's momentum (present only with a momentum).
func (o *SGD) SlotNames() []string { return []string{"momentum"} }

// SlotNames is RMSprop's moving average of squared gradients.
func (o *RMSprop) SlotNames() []string { return []string{"rms"} }

// State returns the step count, the learning rate and the slots of vars.
func (o *optimizerBase) State(vars []*Variable) OptimizerState {
	s := OptimizerState{Iterations: o.iterations, LearningRate: o.opts.LearningRate, Slots: map[string][][]float32{}}
	for _, v := range vars {
		if sl, ok := o.slots[v]; ok {
			cp := make([][]float32, len(sl))
			for i, a := range sl {
				cp[i] = slices.Clone(a)
			}
			s.Slots[v.Path()] = cp
		}
	}
	return s
}

// SetState restores s: the step count, the learning rate and the slots of
// the variables s names, each checked against the variable's size. Slots s
// does not name start from zero, as they would have.
func (o *optimizerBase) SetState(vars []*Variable, s OptimizerState) error {
	if s.Iterations < 0 {
		return fmt.Errorf("nn: optimizer state with %d iterations", s.Iterations)
	}
	byPath := map[string]*Variable{}
	for _, v := range vars {
		byPath[v.Path()] = v
	}
	slots := map[*Variable][][]float32{}
	for path, sl := range s.Slots {
		v, ok := byPath[path]
		if !ok {
			return fmt.Errorf("nn: optimizer state for %s, which the model does not have", path)
		}
		cp := make([][]float32, len(sl))
		for i, a := range sl {
			if len(a) != len(v.data) {
				return fmt.Errorf("nn: optimizer state for %s: %d values, the variable has %d", path, len(a), len(v.data))
			}
			cp[i] = slices.Clone(a)
		}
		slots[v] = cp
	}
	o.iterations, o.slots = s.Iterations, slots
	if s.LearningRate > 0 {
		o.opts.LearningRate = s.LearningRate
	}
	return nil
}
