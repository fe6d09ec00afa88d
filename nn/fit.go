package nn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/keelml/keel/internal/splitmix"
)

// Verbosity is Fit's progress output, Keras' verbose argument.
type Verbosity int

const (
	// VerboseAuto draws the progress bar on a terminal and prints one line
	// per epoch otherwise (Keras' "auto").
	VerboseAuto Verbosity = iota
	// VerboseSilent prints nothing (Keras' verbose=0).
	VerboseSilent
	// VerboseBar draws the progress bar (Keras' verbose=1).
	VerboseBar
	// VerboseLines prints one line per epoch (Keras' verbose=2).
	VerboseLines
)

// FitOptions are Keras' fit arguments that do not belong to the data
// (NewArrayDataset batches and shuffles arrays). The zero value trains one
// epoch with progress on standard output.
type FitOptions struct {
	Epochs int // default 1
	// ValidationSplit validates on the last fraction of an ArrayDataset's
	// samples, split off before any shuffling as Keras' validation_split.
	// ValidationData is validation data from any Dataset instead.
	// Validation runs after every epoch and adds val_loss and val_<metric>
	// to the logs.
	ValidationSplit float64
	ValidationData  Dataset
	// ClassWeight weights each sample's loss by its class (the argmax of a
	// one-hot target, or a sparse target's index), Keras' class_weight;
	// missing classes weigh 1. The loss becomes sum(w_i * loss_i) / batch;
	// metrics and validation are not weighted, as in Keras. With several
	// outputs, the first output's targets give the classes.
	ClassWeight map[int]float64
	// InitialEpoch is the epoch to start from when resuming (epochs are
	// counted from 0 as in Keras; Epochs is the last one, exclusive).
	InitialEpoch int
	// InitialStep is the batch of InitialEpoch to start from, when resuming
	// a fit interrupted mid-epoch (the batches before it were trained). The
	// epoch's logged loss and metrics then cover only the batches it runs.
	InitialStep int
	Callbacks   []Callback
	Verbose     Verbosity
	// Output receives the progress (default os.Stdout).
	Output io.Writer
}

// History is what Fit returns, Keras' History: the epochs run and, per
// key ("loss", "accuracy", "val_loss", "lr", ...), one value per epoch.
type History struct {
	Epoch   []int
	History map[string][]float64
	// Keys lists History's keys in the order they first appeared.
	Keys []string
}

func (h *History) add(epoch int, logs Logs) {
	if h.History == nil {
		h.History = map[string][]float64{}
	}
	h.Epoch = append(h.Epoch, epoch)
	for _, k := range logs.Keys() {
		if _, ok := h.History[k]; !ok {
			h.Keys = append(h.Keys, k)
		}
		h.History[k] = append(h.History[k], logs[k])
	}
}

// Dataset yields the batches of an epoch, as Keras' Sequence does: Len
// batches, Batch(i) for i in [0, Len). A Dataset that also has
// SetEpoch(int) is told each epoch before its first batch (to shuffle or
// augment differently per epoch). Batch may reuse the tensors it returned
// before.
type Dataset interface {
	Len() int
	Batch(i int) (xs, ys []*Tensor, err error)
}

// ArrayDataset serves in-memory arrays (one tensor per model input and
// output, samples along the first dimension) in batches.
type ArrayDataset struct {
	xs, ys    []*Tensor
	batchSize int
	order     []int // sample order; nil: as stored
	seed      uint64
	shuffle   bool
	bx, by    []*Tensor // reused batch buffers
}

// NewArrayDataset returns the samples of xs and ys in batches of batchSize
// (the last one smaller when it does not divide the count), Keras' fit on
// arrays with batch_size and shuffle. With shuffle, SetEpoch(e) orders the
// samples by a permutation drawn from (seed, e), so a fit resumed at an
// initial epoch sees the same orders. ys may be nil (Predict).
func NewArrayDataset(xs, ys []*Tensor, batchSize int, shuffle bool, seed uint64) (*ArrayDataset, error) {
	n, err := sampleCount(xs, ys)
	if err != nil {
		return nil, err
	}
	if batchSize <= 0 {
		return nil, fmt.Errorf("nn: batch size %d", batchSize)
	}
	d := &ArrayDataset{xs: xs, ys: ys, batchSize: batchSize, shuffle: shuffle, seed: seed}
	if shuffle {
		d.order = make([]int, n)
		d.SetEpoch(0)
	}
	return d, nil
}

func sampleCount(xs, ys []*Tensor) (int, error) {
	if len(xs) == 0 {
		return 0, errors.New("nn: no input data")
	}
	n := -1
	for _, t := range append(slices.Clone(xs), ys...) {
		if t == nil || len(t.Shape) == 0 {
			return 0, errors.New("nn: data tensors need a sample dimension")
		}
		if n >= 0 && t.Shape[0] != n {
			return 0, fmt.Errorf("nn: data tensors hold %d and %d samples", n, t.Shape[0])
		}
		n = t.Shape[0]
	}
	return n, nil
}

// Samples is the number of samples.
func (d *ArrayDataset) Samples() int { return d.xs[0].Shape[0] }

// Len is the number of batches.
func (d *ArrayDataset) Len() int { return (d.Samples() + d.batchSize - 1) / d.batchSize }

// SetEpoch draws the sample order of epoch e (when shuffling).
func (d *ArrayDataset) SetEpoch(e int) {
	if !d.shuffle {
		return
	}
	for i := range d.order {
		d.order[i] = i
	}
	r := splitmix.New(d.seed*0x9e3779b97f4a7c15 ^ uint64(e)*0xbf58476d1ce4e5b9 ^ 0x6b65656c)
	for i := len(d.order) - 1; i > 0; i-- {
		j := int(r.Next() % uint64(i+1))
		d.order[i], d.order[j] = d.order[j], d.order[i]
	}
}

// Batch returns batch i. Without shuffling the tensors are views of the
// arrays; otherwise they are gathered into buffers reused by the next call.
func (d *ArrayDataset) Batch(i int) (xs, ys []*Tensor, err error) {
	n := d.Samples()
	lo, hi := i*d.batchSize, min((i+1)*d.batchSize, n)
	if i < 0 || lo >= n {
		return nil, nil, fmt.Errorf("nn: batch %d of %d", i, d.Len())
	}
	if d.order == nil {
		for _, t := range d.xs {
			xs = append(xs, t.Rows(lo, hi))
		}
		for _, t := range d.ys {
			ys = append(ys, t.Rows(lo, hi))
		}
		return xs, ys, nil
	}
	idx := d.order[lo:hi]
	gather := func(bufs *[]*Tensor, src []*Tensor) []*Tensor {
		if len(*bufs) != len(src) {
			*bufs = make([]*Tensor, len(src))
		}
		for k, t := range src {
			per := len(t.Data) / max(t.Shape[0], 1)
			b := (*bufs)[k]
			if b == nil {
				b = &Tensor{}
				(*bufs)[k] = b
			}
			b.Shape = append(b.Shape[:0], t.Shape...)
			b.Shape[0] = len(idx)
			b.Data = scratch(&b.Data, len(idx)*per)
			for r, s := range idx {
				copy(b.Data[r*per:(r+1)*per], t.Data[s*per:(s+1)*per])
			}
		}
		return *bufs
	}
	return gather(&d.bx, d.xs), gather(&d.by, d.ys), nil
}

// split returns the samples before the last fraction frac and those of
// it, as Keras' validation_split: the split comes before any shuffling, and
// the validation part keeps its order.
func (d *ArrayDataset) split(frac float64) (train, val *ArrayDataset, err error) {
	n := d.Samples()
	if frac <= 0 || frac >= 1 {
		return nil, nil, fmt.Errorf("nn: validation split %g not in [0, 1)", frac)
	}
	// Keras: split_at = int(n * (1 - validation_split)).
	at := int(float64(n) * (1 - frac))
	if at <= 0 || at >= n {
		return nil, nil, fmt.Errorf("nn: validation split %g of %d samples leaves an empty part", frac, n)
	}
	rows := func(ts []*Tensor, lo, hi int) []*Tensor {
		var out []*Tensor
		for _, t := range ts {
			out = append(out, t.Rows(lo, hi))
		}
		return out
	}
	if train, err = NewArrayDataset(rows(d.xs, 0, at), rows(d.ys, 0, at), d.batchSize, d.shuffle, d.seed); err != nil {
		return nil, nil, err
	}
	val, err = NewArrayDataset(rows(d.xs, at, n), rows(d.ys, at, n), d.batchSize, false, 0)
	return train, val, err
}

// Fit trains the model on the batches of data for o.Epochs epochs, as
// Keras' fit; in-memory arrays come through NewArrayDataset, which batches
// and shuffles them. It returns the history of the epochs that completed;
// when ctx is cancelled it stops before the next batch and returns that
// history with ctx's error.
func (m *Model) Fit(ctx context.Context, data Dataset, o FitOptions) (*History, error) {
	m.mu.Lock()
	cc := m.compiled
	m.mu.Unlock()
	if cc == nil {
		return nil, errors.New("nn: Fit before Compile")
	}
	if o.Epochs == 0 {
		o.Epochs = 1
	}
	if o.InitialEpoch < 0 || o.InitialEpoch > o.Epochs {
		return nil, fmt.Errorf("nn: initial epoch %d of %d", o.InitialEpoch, o.Epochs)
	}
	if o.ValidationSplit != 0 {
		arrays, ok := data.(*ArrayDataset)
		if !ok {
			return nil, errors.New("nn: a validation split needs an ArrayDataset; give ValidationData")
		}
		if o.ValidationData != nil {
			return nil, errors.New("nn: give validation data or a validation split, not both")
		}
		var err error
		if data, o.ValidationData, err = arrays.split(o.ValidationSplit); err != nil {
			return nil, err
		}
	}
	steps := data.Len()
	if steps == 0 {
		return nil, errors.New("nn: no training batches")
	}
	if o.InitialStep < 0 || o.InitialStep >= steps || (o.InitialStep > 0 && o.InitialEpoch == o.Epochs) {
		return nil, fmt.Errorf("nn: initial step %d of %d in epoch %d of %d", o.InitialStep, steps, o.InitialEpoch, o.Epochs)
	}
	out := o.Output
	if out == nil {
		out = os.Stdout
	}

	hist := &History{History: map[string][]float64{}}
	f := &Fitting{Model: m, Epochs: o.Epochs, Steps: steps, History: hist, Output: out}
	cbs := []Callback{}
	if bar := newProgress(o.Verbose, out); bar != nil {
		cbs = append(cbs, bar)
	}
	cbs = append(cbs, o.Callbacks...)
	run := func(fn func(c Callback) error) error {
		for _, c := range cbs {
			if err := fn(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := run(func(c Callback) error { return c.OnTrainBegin(f) }); err != nil {
		for _, c := range cbs {
			c.OnTrainEnd(f, nil) // close what the others opened
		}
		return hist, err
	}
	var lastLogs Logs
	var fitErr error
	var weights []float32
epochs:
	for epoch := o.InitialEpoch; epoch < o.Epochs; epoch++ {
		f.Epoch = epoch
		if s, ok := data.(interface{ SetEpoch(int) }); ok {
			s.SetEpoch(epoch)
		}
		for _, mt := range cc.metrics {
			mt.Reset()
		}
		if fitErr = run(func(c Callback) error { return c.OnEpochBegin(f, epoch) }); fitErr != nil {
			break
		}
		var lossSum float64
		var seen int
		first := 0
		if epoch == o.InitialEpoch {
			first = o.InitialStep
		}
		for step := first; step < steps; step++ {
			if fitErr = ctx.Err(); fitErr != nil {
				break epochs
			}
			if fitErr = run(func(c Callback) error { return c.OnBatchBegin(f, step) }); fitErr != nil {
				break epochs
			}
			bx, by, err := data.Batch(step)
			if err == nil && len(o.ClassWeight) > 0 {
				weights, err = classWeights(weights[:0], o.ClassWeight, by)
			}
			var loss float64
			if err == nil {
				loss, err = m.TrainBatch(bx, by, weights)
			}
			if err != nil {
				fitErr = fmt.Errorf("nn: epoch %d batch %d: %w", epoch+1, step, err)
				break epochs
			}
			size := bx[0].Batch()
			lossSum += loss * float64(size)
			seen += size
			logs := Logs{"batch": float64(step), "size": float64(size), "loss": loss}
			for _, mt := range cc.metrics {
				logs[mt.Name()] = mt.Result()
			}
			if fitErr = run(func(c Callback) error { return c.OnBatchEnd(f, step, logs) }); fitErr != nil {
				break epochs
			}
		}
		logs := Logs{"loss": lossSum / float64(max(seen, 1))}
		for _, mt := range cc.metrics {
			logs[mt.Name()] = mt.Result()
		}
		if o.ValidationData != nil {
			vl, err := m.Evaluate(ctx, o.ValidationData)
			if err != nil {
				fitErr = err
				break
			}
			for _, k := range vl.Keys() {
				logs["val_"+k] = vl[k]
			}
		}
		if fitErr = run(func(c Callback) error { return c.OnEpochEnd(f, epoch, logs) }); fitErr != nil {
			break
		}
		hist.add(epoch, logs)
		lastLogs = logs
		if f.StopTraining {
			break
		}
	}
	if err := run(func(c Callback) error { return c.OnTrainEnd(f, lastLogs) }); err != nil && fitErr == nil {
		fitErr = err
	}
	return hist, fitErr
}

// classWeights appends to w the sample weights that class weights give a
// batch: a sample's class is the argmax of its one-hot target, or its sparse
// target, in the first output's targets; missing classes weigh 1.
func classWeights(w []float32, classWeight map[int]float64, ys []*Tensor) ([]float32, error) {
	if len(ys) == 0 {
		return nil, errors.New("nn: class weights need targets")
	}
	y := ys[0]
	rows := y.Batch()
	cols := len(y.Data) / max(rows, 1)
	for r := 0; r < rows; r++ {
		class := int(y.Data[r])
		if cols > 1 {
			class = argmax(y.Data[r*cols : (r+1)*cols])
		}
		cw, ok := classWeight[class]
		if !ok {
			cw = 1
		}
		w = append(w, float32(cw))
	}
	return w, nil
}

// Fitting is the state of a running Fit that callbacks see (Keras'
// callback.model and params).
type Fitting struct {
	Model  *Model
	Epochs int // the epoch count Fit runs to (exclusive)
	Steps  int // batches per epoch
	Epoch  int // the current epoch, from 0
	// StopTraining, set by a callback, ends the fit after this epoch.
	StopTraining bool
	History      *History
	// Output is where Fit writes progress; callbacks print there too.
	Output io.Writer
}

// Evaluate computes the loss and the compiled metrics on the batches of
// data in inference mode, as Keras' evaluate: the loss is the mean over
// samples, the metrics as accumulated over all batches.
func (m *Model) Evaluate(ctx context.Context, data Dataset) (Logs, error) {
	m.mu.Lock()
	cc := m.compiled
	m.mu.Unlock()
	if cc == nil {
		return nil, errors.New("nn: Evaluate before Compile")
	}
	for _, mt := range cc.metrics {
		mt.Reset()
	}
	var sum float64
	var seen int
	for i := 0; i < data.Len(); i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		xs, ys, err := data.Batch(i)
		if err != nil {
			return nil, err
		}
		loss, err := m.EvalBatch(xs, ys, nil)
		if err != nil {
			return nil, err
		}
		sum += loss * float64(xs[0].Batch())
		seen += xs[0].Batch()
	}
	logs := Logs{"loss": sum / float64(max(seen, 1))}
	for _, mt := range cc.metrics {
		logs[mt.Name()] = mt.Result()
	}
	return logs, nil
}

// Predict runs the model on the inputs of every batch of data (targets
// are ignored) in inference mode and returns, per output, the outputs of
// all samples, as Keras' predict. The kernels use every thread
// kernels.SetThreads allows.
//
// Predict may be called from many goroutines at once on one model, each
// with its own Dataset (a Dataset need not be safe for concurrent use): its
// batches go through Run, which serialises them on the model's lock, so
// every result is what a serial call returns.
func (m *Model) Predict(ctx context.Context, data Dataset) ([]*Tensor, error) {
	outs := make([]*Tensor, len(m.outputs))
	for i, o := range m.outputs {
		outs[i] = &Tensor{Shape: append([]int{0}, o.shape...)}
	}
	for b := 0; b < data.Len(); b++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		xs, _, err := data.Batch(b)
		if err != nil {
			return nil, err
		}
		ys, err := m.Run(xs...)
		if err != nil {
			return nil, err
		}
		for i, y := range ys {
			outs[i].Shape[0] += y.Batch()
			outs[i].Data = append(outs[i].Data, y.Data...)
		}
	}
	return outs, nil
}

// Logs are the values of a batch or an epoch that callbacks receive, by
// Keras' names ("loss", "accuracy", "val_loss", "lr").
type Logs map[string]float64

// Keys returns the keys in Keras' order: loss, the metrics, then the
// val_ keys in the same order, then anything else alphabetically
// ("batch" and "size" first for a batch).
func (l Logs) Keys() []string {
	rank := func(k string) (int, string) {
		switch k {
		case "batch":
			return 0, ""
		case "size":
			return 1, ""
		case "loss":
			return 2, ""
		case "val_loss":
			return 5, ""
		case "lr":
			return 7, ""
		}
		if len(k) > 4 && k[:4] == "val_" {
			return 6, k
		}
		return 3, k
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ra, sa := rank(a)
		rb, sb := rank(b)
		if ra != rb {
			return ra - rb
		}
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return 0
	})
	return keys
}
