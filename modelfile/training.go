package modelfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
	"github.com/keelml/keel/weightsio/hdf5"
)

// TrainingState is where a training run stopped, saved with the model by
// SaveCheckpoint so that it can be resumed exactly: the epochs completed,
// the batches of the next epoch already trained (non-zero only when the run
// was interrupted mid-epoch), and the optimizer's state.
type TrainingState struct {
	Epoch int // epochs completed: Keras' initial_epoch to resume with
	Step  int // batches of epoch Epoch already trained
	// Optimizer is the optimizer's class name (Adam, SGD, RMSprop); its
	// State holds the step count, learning rate and slots.
	Optimizer string
	State     nn.OptimizerState
	// Meta is what the checkpoint recorded of the model (class names,
	// input size, preprocessing), to check a resumed run against.
	Meta Meta
}

// attrTrainingState is the root attribute (JSON) of a checkpoint's state
// besides the slots, which are datasets under /optimizer_weights.
const attrTrainingState = "keel_training_state"

type trainingStateJSON struct {
	Epoch        int      `json:"epoch"`
	Step         int      `json:"step"`
	Optimizer    string   `json:"optimizer"`
	Iterations   int      `json:"iterations"`
	LearningRate float64  `json:"learning_rate"`
	SlotNames    []string `json:"slot_names"`
}

// OptimizerName is the class name of an optimizer: "Adam" for *nn.Adam.
func OptimizerName(opt nn.Optimizer) string {
	t := reflect.TypeOf(opt)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return ""
	}
	return t.Name()
}

// SaveCheckpoint writes m as Save does, with the training state: the
// optimizer's slots as Keras' save_model writes optimizer_weights (one
// dataset per variable and slot, "Adam/dense_1/kernel/m:0"), and the epoch,
// step, iteration count and learning rate as a root attribute. Keras reads
// the file as a model (it loads optimizer_weights only with a
// training_config, which Keel does not write). opt is the optimizer that
// trained m's variables: m's own, or that of a model sharing its layers.
func SaveCheckpoint(path string, m *nn.Model, meta Meta, epoch, step int, opt nn.StatefulOptimizer) error {
	if opt == nil {
		return errors.New("modelfile: SaveCheckpoint needs the optimizer")
	}
	var o weightsio.SaveOptions
	err := m.Exclusive(func() error {
		vars := m.Weights()
		st := opt.State(vars)
		name := OptimizerName(opt)
		slotNames := opt.SlotNames()
		js, err := json.Marshal(trainingStateJSON{Epoch: epoch, Step: step, Optimizer: name,
			Iterations: st.Iterations, LearningRate: st.LearningRate, SlotNames: slotNames})
		if err != nil {
			return err
		}
		o.Attrs = map[string]string{attrTrainingState: string(js)}
		for _, v := range vars { // the model's order, as Keras lists them
			slots, ok := st.Slots[v.Path()]
			if !ok {
				continue
			}
			if len(slots) > len(slotNames) {
				return fmt.Errorf("%s: %s has %d optimizer slots, %s names %d", path, v.Path(), len(slots), name, len(slotNames))
			}
			for k, s := range slots {
				o.OptimizerWeights = append(o.OptimizerWeights, weightsio.SavedWeight{
					Name: name + "/" + v.Path() + "/" + slotNames[k] + ":0", Shape: v.Shape(), Data: s})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return SaveWithOptions(path, m, meta, o)
}

// LoadTrainingState reads the training state SaveCheckpoint wrote; nil
// (and no error) when the file has none, as a model Keel saved without a
// checkpoint, or one Keras saved.
func LoadTrainingState(path string) (*TrainingState, error) {
	f, err := weightsio.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := f.HDF5()
	if h == nil {
		return nil, nil
	}
	root, err := h.Root()
	if err != nil {
		return nil, err
	}
	a, err := root.Attr(attrTrainingState)
	if errors.Is(err, hdf5.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	raw, err := a.String()
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, attrTrainingState, err)
	}
	var js trainingStateJSON
	if err := json.Unmarshal([]byte(raw), &js); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, attrTrainingState, err)
	}
	if js.Epoch < 0 || js.Step < 0 || js.Iterations < 0 || js.Optimizer == "" {
		return nil, fmt.Errorf("%s: %s: epoch %d, step %d, iterations %d, optimizer %q", path, attrTrainingState, js.Epoch, js.Step, js.Iterations, js.Optimizer)
	}
	ts := &TrainingState{Epoch: js.Epoch, Step: js.Step, Optimizer: js.Optimizer,
		State: nn.OptimizerState{Iterations: js.Iterations, LearningRate: js.LearningRate, Slots: map[string][][]float32{}}}
	if ts.Meta, err = readMeta(f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ws, err := f.OptimizerWeights()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	slotIndex := map[string]int{}
	for i, n := range js.SlotNames {
		slotIndex[n] = i
	}
	for i := range ws {
		w := &ws[i]
		rest, ok := strings.CutPrefix(w.Name, js.Optimizer+"/")
		rest, ok2 := strings.CutSuffix(rest, ":0")
		cut := strings.LastIndexByte(rest, '/')
		if !ok || !ok2 || cut < 0 {
			return nil, fmt.Errorf("%s: optimizer weight %q is not %s/LAYER/VARIABLE/SLOT:0", path, w.Name, js.Optimizer)
		}
		varPath, slot := rest[:cut], rest[cut+1:]
		k, ok := slotIndex[slot]
		if !ok {
			return nil, fmt.Errorf("%s: optimizer weight %q: %s has no slot %q", path, w.Name, js.Optimizer, slot)
		}
		data, err := w.Float32()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, w.Name, err)
		}
		s := ts.State.Slots[varPath]
		for len(s) <= k {
			s = append(s, nil)
		}
		s[k] = data
		ts.State.Slots[varPath] = s
	}
	for p, s := range ts.State.Slots {
		for k, a := range s {
			if a == nil {
				return nil, fmt.Errorf("%s: optimizer slot %s of %s is missing", path, js.SlotNames[k], p)
			}
		}
	}
	return ts, nil
}

// Restore sets opt's state to the saved one after checking that opt is of
// the kind that saved it; vars are the model's weights.
func (ts *TrainingState) Restore(opt nn.StatefulOptimizer, vars []*nn.Variable) error {
	if got := OptimizerName(opt); got != ts.Optimizer {
		return fmt.Errorf("modelfile: the checkpoint holds %s's state, the model trains with %s", ts.Optimizer, got)
	}
	return opt.SetState(vars, ts.State)
}

// CheckpointSaver is a ModelCheckpoint SaveEpoch that writes SaveCheckpoint
// files: the model with meta, the epochs completed, and the state of the
// model's compiled optimizer (which must be a StatefulOptimizer), so that
// FitOptions.InitialEpoch = TrainingState.Epoch resumes from the file.
func CheckpointSaver(meta Meta) func(path string, m *nn.Model, epochs int) error {
	return func(path string, m *nn.Model, epochs int) error {
		opt, ok := m.Optimizer().(nn.StatefulOptimizer)
		if !ok {
			return fmt.Errorf("modelfile: %s: the optimizer %T has no state to save", path, m.Optimizer())
		}
		return SaveCheckpoint(path, m, meta, epochs, 0, opt)
	}
}
