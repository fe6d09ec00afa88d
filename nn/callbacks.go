package nn

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
)

// Callback is called by Fit at the points Keras' callbacks are: around
// training, each epoch and each batch. The logs of a batch hold "batch",
// "size", "loss" and the metrics; those of an epoch "loss", the metrics and
// the val_ values, and callbacks may add to them (ReduceLROnPlateau adds
// "lr"): all callbacks, then the History, see the same map. Callbacks run
// in the order given, after the progress bar. An error stops the fit and is
// returned by it. Embed CallbackBase to implement only some methods.
type Callback interface {
	OnTrainBegin(f *Fitting) error
	OnEpochBegin(f *Fitting, epoch int) error
	OnBatchBegin(f *Fitting, batch int) error
	OnBatchEnd(f *Fitting, batch int, logs Logs) error
	OnEpochEnd(f *Fitting, epoch int, logs Logs) error
	OnTrainEnd(f *Fitting, logs Logs) error
}

// CallbackBase implements every Callback method as doing nothing.
type CallbackBase struct{}

func (CallbackBase) OnTrainBegin(*Fitting) error               { return nil }
func (CallbackBase) OnEpochBegin(*Fitting, int) error          { return nil }
func (CallbackBase) OnBatchBegin(*Fitting, int) error          { return nil }
func (CallbackBase) OnBatchEnd(*Fitting, int, Logs) error      { return nil }
func (CallbackBase) OnEpochEnd(*Fitting, int, Logs) error      { return nil }
func (CallbackBase) OnTrainEnd(*Fitting, Logs) error           { return nil }
func (c CallbackFuncs) OnTrainBegin(f *Fitting) error          { return call0(c.TrainBegin, f) }
func (c CallbackFuncs) OnEpochBegin(f *Fitting, e int) error   { return call1(c.EpochBegin, f, e) }
func (c CallbackFuncs) OnBatchBegin(f *Fitting, b int) error   { return call1(c.BatchBegin, f, b) }
func (c CallbackFuncs) OnTrainEnd(f *Fitting, logs Logs) error { return callL(c.TrainEnd, f, logs) }
func (c CallbackFuncs) OnBatchEnd(f *Fitting, b int, logs Logs) error {
	return call2(c.BatchEnd, f, b, logs)
}
func (c CallbackFuncs) OnEpochEnd(f *Fitting, e int, logs Logs) error {
	return call2(c.EpochEnd, f, e, logs)
}

// CallbackFuncs is a user callback made of functions, Keras'
// LambdaCallback; nil fields are skipped.
type CallbackFuncs struct {
	TrainBegin func(f *Fitting) error
	EpochBegin func(f *Fitting, epoch int) error
	BatchBegin func(f *Fitting, batch int) error
	BatchEnd   func(f *Fitting, batch int, logs Logs) error
	EpochEnd   func(f *Fitting, epoch int, logs Logs) error
	TrainEnd   func(f *Fitting, logs Logs) error
}

func call0(fn func(*Fitting) error, f *Fitting) error {
	if fn == nil {
		return nil
	}
	return fn(f)
}

func call1(fn func(*Fitting, int) error, f *Fitting, i int) error {
	if fn == nil {
		return nil
	}
	return fn(f, i)
}

func call2(fn func(*Fitting, int, Logs) error, f *Fitting, i int, logs Logs) error {
	if fn == nil {
		return nil
	}
	return fn(f, i, logs)
}

func callL(fn func(*Fitting, Logs) error, f *Fitting, logs Logs) error {
	if fn == nil {
		return nil
	}
	return fn(f, logs)
}

// MonitorMode says whether a monitored quantity improves by decreasing or
// increasing, Keras' mode argument of callbacks.
type MonitorMode string

const (
	MonitorAuto MonitorMode = "auto" // max when the name contains "acc", as Keras 2.3.1 decides
	MonitorMin  MonitorMode = "min"
	MonitorMax  MonitorMode = "max"
)

// monitorMax says whether mode makes larger values of monitor better.
func monitorMax(monitor string, mode MonitorMode) (bool, error) {
	switch mode {
	case MonitorMin:
		return false, nil
	case MonitorMax:
		return true, nil
	case "", MonitorAuto:
		return strings.Contains(monitor, "acc"), nil
	}
	return false, fmt.Errorf("nn: mode %q is not auto, min or max", mode)
}

// EarlyStopping is Keras 2.3.1's EarlyStopping: it stops the fit when the
// monitored value has not improved by more than MinDelta for Patience
// epochs. With RestoreBestWeights, the weights (all of them, moving
// statistics included) of the best epoch are put back when it stops the
// fit (as in Keras 2.3.1, not when the fit ends by itself).
type EarlyStopping struct {
	CallbackBase
	Monitor  string  // default "val_loss"
	MinDelta float64 // an improvement must be larger than this
	Patience int
	Mode     MonitorMode // default MonitorAuto
	Baseline *float64    // stop unless the value beats it within Patience epochs
	// RestoreBestWeights restores the best epoch's weights when stopping.
	RestoreBestWeights bool
	Verbose            bool

	// StoppedEpoch is the epoch (from 0) the fit stopped at, 0 if it did not.
	StoppedEpoch int
	// Best is the best value seen, BestEpoch its epoch (-1 before).
	Best      float64
	BestEpoch int

	wait        int
	max         bool
	bestWeights [][]float32
}

func (c *EarlyStopping) OnTrainBegin(f *Fitting) error {
	if c.Monitor == "" {
		c.Monitor = "val_loss"
	}
	var err error
	if c.max, err = monitorMax(c.Monitor, c.Mode); err != nil {
		return err
	}
	c.wait, c.StoppedEpoch, c.BestEpoch, c.bestWeights = 0, 0, -1, nil
	switch {
	case c.Baseline != nil:
		c.Best = *c.Baseline
	case c.max:
		c.Best = math.Inf(-1)
	default:
		c.Best = math.Inf(1)
	}
	return nil
}

func (c *EarlyStopping) OnEpochEnd(f *Fitting, epoch int, logs Logs) error {
	current, ok := logs[c.Monitor]
	if !ok {
		fmt.Fprintf(os.Stderr, "warning: early stopping conditioned on metric %q which is not available; available metrics are: %s\n", c.Monitor, strings.Join(logs.Keys(), ","))
		return nil
	}
	var better bool
	if c.max {
		better = current-math.Abs(c.MinDelta) > c.Best
	} else {
		better = current+math.Abs(c.MinDelta) < c.Best
	}
	if better {
		c.Best, c.BestEpoch, c.wait = current, epoch, 0
		if c.RestoreBestWeights {
			c.bestWeights = snapshot(f.Model, c.bestWeights)
		}
		return nil
	}
	c.wait++
	if c.wait >= c.Patience {
		c.StoppedEpoch = epoch
		f.StopTraining = true
		if c.RestoreBestWeights && c.bestWeights != nil {
			if c.Verbose {
				fmt.Fprintln(f.Output, "Restoring model weights from the end of the best epoch")
			}
			if err := restore(f.Model, c.bestWeights); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *EarlyStopping) OnTrainEnd(f *Fitting, logs Logs) error {
	if c.StoppedEpoch > 0 && c.Verbose {
		fmt.Fprintf(f.Output, "Epoch %05d: early stopping\n", c.StoppedEpoch+1)
	}
	return nil
}

// snapshot copies every weight of m into dst (reused when it fits).
func snapshot(m *Model, dst [][]float32) [][]float32 {
	ws := m.Weights()
	if len(dst) != len(ws) {
		dst = make([][]float32, len(ws))
	}
	for i, v := range ws {
		dst[i] = append(dst[i][:0], v.Value()...)
	}
	return dst
}

func restore(m *Model, vals [][]float32) error {
	ws := m.Weights()
	if len(ws) != len(vals) {
		return errors.New("nn: the model's weights changed since the snapshot")
	}
	for i, v := range ws {
		if err := v.Set(v.Shape(), vals[i]); err != nil {
			return err
		}
	}
	return nil
}

// ModelCheckpoint is Keras 2.3.1's ModelCheckpoint: after every Period-th
// epoch it saves the model (or, with SaveBestOnly, only when the monitored
// value improved) to Filepath, which may name the epoch and log values in
// Python's format syntax ("weights.{epoch:02d}-{val_loss:.2f}.h5").
//
// Save writes the file; nn knows no file format. Keras' save_weights_only
// is the choice of Save: modelfile.SaveWeights writes save_weights' layout,
// a closure over modelfile.Save a whole model. modelfile writes a temporary
// file in the target's directory, syncs it, renames it over the target and
// syncs the directory, so a crash mid-save never destroys the previous
// checkpoint: the file is the old one or the new one, whole (a killed save
// may leave its temporary file, ".NAME.tmp*", beside it).
//
// SaveEpoch, given instead of Save, is also told the epochs completed, for
// a file that records where training is so that it can be resumed:
// modelfile.CheckpointSaver saves the optimizer's state with the model.
type ModelCheckpoint struct {
	CallbackBase
	Filepath     string
	Save         func(path string, m *Model) error
	SaveEpoch    func(path string, m *Model, epochs int) error
	Monitor      string // default "val_loss"
	SaveBestOnly bool
	Mode         MonitorMode // default MonitorAuto
	Period       int         // default 1
	Verbose      bool

	// Best is the best monitored value so far; Saved lists the files
	// written, in order.
	Best  float64
	Saved []string

	max   bool
	since int
}

func (c *ModelCheckpoint) OnTrainBegin(f *Fitting) error {
	if c.Monitor == "" {
		c.Monitor = "val_loss"
	}
	if c.Period == 0 {
		c.Period = 1
	}
	if c.Filepath == "" {
		return errors.New("nn: ModelCheckpoint needs a Filepath")
	}
	if c.Save == nil && c.SaveEpoch == nil {
		return errors.New("nn: ModelCheckpoint needs a Save function (such as modelfile.SaveWeights)")
	}
	var err error
	if c.max, err = monitorMax(c.Monitor, c.Mode); err != nil {
		return err
	}
	if c.max {
		c.Best = math.Inf(-1)
	} else {
		c.Best = math.Inf(1)
	}
	c.since = 0
	return nil
}

func (c *ModelCheckpoint) OnEpochEnd(f *Fitting, epoch int, logs Logs) error {
	c.since++
	if c.since < c.Period {
		return nil
	}
	c.since = 0
	vars := map[string]any{"epoch": epoch + 1}
	for k, v := range logs {
		vars[k] = v
	}
	path, err := PyFormat(c.Filepath, vars)
	if err != nil {
		return fmt.Errorf("nn: ModelCheckpoint filepath: %w", err)
	}
	if c.SaveBestOnly {
		current, ok := logs[c.Monitor]
		if !ok {
			fmt.Fprintf(os.Stderr, "warning: can save best model only with %s available, skipping\n", c.Monitor)
			return nil
		}
		if (c.max && current > c.Best) || (!c.max && current < c.Best) {
			if c.Verbose {
				fmt.Fprintf(f.Output, "\nEpoch %05d: %s improved from %0.5f to %0.5f, saving model to %s\n", epoch+1, c.Monitor, c.Best, current, path)
			}
			c.Best = current
			return c.save(f.Model, path, epoch+1)
		}
		if c.Verbose {
			fmt.Fprintf(f.Output, "\nEpoch %05d: %s did not improve from %0.5f\n", epoch+1, c.Monitor, c.Best)
		}
		return nil
	}
	if c.Verbose {
		fmt.Fprintf(f.Output, "\nEpoch %05d: saving model to %s\n", epoch+1, path)
	}
	return c.save(f.Model, path, epoch+1)
}

func (c *ModelCheckpoint) save(m *Model, path string, epochs int) error {
	var err error
	if c.SaveEpoch != nil {
		err = c.SaveEpoch(path, m, epochs)
	} else {
		err = c.Save(path, m)
	}
	if err != nil {
		return err
	}
	c.Saved = append(c.Saved, path)
	return nil
}

// ReduceLROnPlateau is Keras 2.3.1's ReduceLROnPlateau: when the monitored
// value has not improved by MinDelta for Patience epochs, the optimizer's
// learning rate is multiplied by Factor (not below MinLR), then Cooldown
// epochs pass before counting again. It adds "lr" (the rate the epoch ran
// with) to the epoch's logs.
type ReduceLROnPlateau struct {
	CallbackBase
	Monitor  string      // default "val_loss"
	Factor   float64     // default 0.1; must be < 1
	Patience int         // default 10
	Mode     MonitorMode // default MonitorAuto
	MinDelta float64     // default 1e-4; negative means 0
	Cooldown int
	MinLR    float64
	Verbose  bool

	best             float64
	wait, cooldownAt int
	max              bool
}

func (c *ReduceLROnPlateau) OnTrainBegin(f *Fitting) error {
	if c.Monitor == "" {
		c.Monitor = "val_loss"
	}
	if c.Factor == 0 {
		c.Factor = 0.1
	}
	if c.Factor >= 1 {
		return errors.New("nn: ReduceLROnPlateau does not support a factor >= 1")
	}
	if c.Patience == 0 {
		c.Patience = 10
	}
	if c.MinDelta == 0 {
		c.MinDelta = 1e-4
	} else if c.MinDelta < 0 {
		c.MinDelta = 0
	}
	if f.Model.Optimizer() == nil {
		return errors.New("nn: ReduceLROnPlateau needs a compiled optimizer")
	}
	var err error
	if c.max, err = monitorMax(c.Monitor, c.Mode); err != nil {
		return err
	}
	if c.max {
		c.best = math.Inf(-1)
	} else {
		c.best = math.Inf(1)
	}
	c.wait, c.cooldownAt = 0, 0
	return nil
}

func (c *ReduceLROnPlateau) OnEpochEnd(f *Fitting, epoch int, logs Logs) error {
	opt := f.Model.Optimizer()
	logs["lr"] = float64(float32(opt.LearningRate()))
	current, ok := logs[c.Monitor]
	if !ok {
		fmt.Fprintf(os.Stderr, "warning: reduce LR on plateau conditioned on metric %q which is not available; available metrics are: %s\n", c.Monitor, strings.Join(logs.Keys(), ","))
		return nil
	}
	if c.cooldownAt > 0 {
		c.cooldownAt--
		c.wait = 0
	}
	better := current < c.best-c.MinDelta
	if c.max {
		better = current > c.best+c.MinDelta
	}
	if better {
		c.best, c.wait = current, 0
		return nil
	}
	if c.cooldownAt > 0 {
		return nil
	}
	c.wait++
	if c.wait >= c.Patience {
		old := float64(float32(opt.LearningRate()))
		if old > c.MinLR {
			lr := max(old*c.Factor, c.MinLR)
			opt.SetLearningRate(lr)
			if c.Verbose {
				fmt.Fprintf(f.Output, "\nEpoch %05d: ReduceLROnPlateau reducing learning rate to %s.\n", epoch+1, PyRepr(float64(float32(lr))))
			}
			c.cooldownAt = c.Cooldown
			c.wait = 0
		}
	}
	return nil
}

// CSVLogger is Keras' CSVLogger: one row per epoch (epoch, then the log
// keys sorted), comma-separated by default, with a header unless appending
// to a file that already has content. Values print as Python's str does.
type CSVLogger struct {
	CallbackBase
	Filename  string
	Separator string // default ","
	Append    bool

	file   *os.File
	w      *bufio.Writer
	keys   []string
	header bool
}

func (c *CSVLogger) OnTrainBegin(f *Fitting) error {
	if c.Separator == "" {
		c.Separator = ","
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	c.header = true
	if c.Append {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		if st, err := os.Stat(c.Filename); err == nil && st.Size() > 0 {
			c.header = false
		}
	}
	file, err := os.OpenFile(c.Filename, flags, 0o644)
	if err != nil {
		return err
	}
	c.file, c.w, c.keys = file, bufio.NewWriter(file), nil
	return nil
}

func (c *CSVLogger) OnEpochEnd(f *Fitting, epoch int, logs Logs) error {
	if c.keys == nil {
		c.keys = logs.Keys()
		sortStrings(c.keys)
		if c.header {
			c.w.WriteString(strings.Join(append([]string{"epoch"}, c.keys...), c.Separator) + "\r\n")
		}
	}
	row := []string{fmt.Sprint(epoch)}
	for _, k := range c.keys {
		v, ok := logs[k]
		if !ok {
			row = append(row, "NA")
			continue
		}
		row = append(row, PyRepr(v))
	}
	c.w.WriteString(strings.Join(row, c.Separator) + "\r\n")
	return c.w.Flush()
}

func (c *CSVLogger) OnTrainEnd(f *Fitting, logs Logs) error {
	if c.file == nil {
		return nil
	}
	err := c.w.Flush()
	if cerr := c.file.Close(); err == nil {
		err = cerr
	}
	c.file = nil
	return err
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
