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

// FitOptions are Keras' fit arguments. The zero value trains one epoch in
// batches of 32, shuffled with seed 0, with progress on standard output.
type FitOptions struct {
	Epochs    int // default 1
	BatchSize int // default 32
	// NoShuffle keeps the sample order (Keras' shuffle=False). Otherwise the
	// training samples are shuffled every epoch, the order of epoch e drawn
	// from (Seed, e), so a run resumed at InitialEpoch sees the same orders.
	NoShuffle bool
	Seed      uint64
	// ValidationX and ValidationY are the validation data (Keras'
	// validation_data); ValidationSplit takes the last fraction of x and y
	// instead, before any shuffling, as Keras does. Validation runs after
	// every epoch and adds val_loss and val_<metric> to the logs.
	ValidationX, ValidationY []*Tensor
	ValidationSplit          float64
	// ValidationData is validation data from any Dataset (used when
	// ValidationX is empty and ValidationSplit is 0).
	ValidationData Dataset
	// ClassWeight weights each sample's loss by its class (the argmax of a
	// one-hot target, or a sparse target's index), Keras' class_weight;
	// missing classes weigh 1. The loss becomes sum(w_i * loss_i) / batch;
	// metrics and validation are not weighted, as in Keras. With several
	// outputs, the first output's targets give the classes.
	ClassWeight map[int]float64
	// InitialEpoch is the epoch to start from when resuming (epochs are
	// counted from 0 as in Keras; Epochs is the last one, exclusive).
	InitialEpoch int
	Callbacks    []Callback
	Verbose      Verbosity
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
// (the last one smaller when it does not divide the count). With shuffle,
// SetEpoch(e) orders the samples by a permutation drawn from (seed, e).
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

// Fit trains a single-input, single-output model on x and y, as Keras'
// fit. See FitMulti.
func (m *Model) Fit(ctx context.Context, x, y *Tensor, o FitOptions) (*History, error) {
	return m.FitMulti(ctx, []*Tensor{x}, []*Tensor{y}, o)
}

// FitMulti trains the model on in-memory arrays, one per input and one
// target per output, for o.Epochs epochs. It returns the history of the
// epochs that completed; when ctx is cancelled it stops before the next
// batch and returns that history with ctx's error.
func (m *Model) FitMulti(ctx context.Context, xs, ys []*Tensor, o FitOptions) (*History, error) {
	n, err := sampleCount(xs, ys)
	if err != nil {
		return nil, err
	}
	if o.BatchSize == 0 {
		o.BatchSize = 32
	}
	if o.ValidationSplit != 0 {
		if o.ValidationSplit < 0 || o.ValidationSplit >= 1 {
			return nil, fmt.Errorf("nn: validation split %g not in [0, 1)", o.ValidationSplit)
		}
		if len(o.ValidationX) > 0 || o.ValidationData != nil {
			return nil, errors.New("nn: give validation data or a validation split, not both")
		}
		// Keras: split_at = int(n * (1 - validation_split)), the last
		// samples validate.
		at := int(float64(n) * (1 - o.ValidationSplit))
		if at <= 0 || at >= n {
			return nil, fmt.Errorf("nn: validation split %g of %d samples leaves an empty part", o.ValidationSplit, n)
		}
		var vx, vy []*Tensor
		xs, ys = slices.Clone(xs), slices.Clone(ys)
		for i, t := range xs {
			vx = append(vx, t.Rows(at, n))
			xs[i] = t.Rows(0, at)
		}
		for i, t := range ys {
			vy = append(vy, t.Rows(at, n))
			ys[i] = t.Rows(0, at)
		}
		o.ValidationX, o.ValidationY = vx, vy
		o.ValidationSplit = 0
	}
	train, err := NewArrayDataset(xs, ys, o.BatchSize, !o.NoShuffle, o.Seed)
	if err != nil {
		return nil, err
	}
	if len(o.ValidationX) > 0 {
		if o.ValidationData, err = NewArrayDataset(o.ValidationX, o.ValidationY, o.BatchSize, false, 0); err != nil {
			return nil, fmt.Errorf("nn: validation data: %w", err)
		}
	}
	return m.FitDataset(ctx, train, o)
}

// FitDataset trains the model on the batches of data, as Keras' fit on a
// Sequence: validation comes from o.ValidationX and o.ValidationY or
// o.ValidationData (a validation split needs arrays), and o.BatchSize and
// the shuffling options apply to ValidationX only; data batches and
// orders its samples itself.
func (m *Model) FitDataset(ctx context.Context, data Dataset, o FitOptions) (*History, error) {
	if m.compiled == nil {
		return nil, errors.New("nn: Fit before Compile")
	}
	if o.Epochs == 0 {
		o.Epochs = 1
	}
	if o.BatchSize == 0 {
		o.BatchSize = 32
	}
	if o.InitialEpoch < 0 || o.InitialEpoch > o.Epochs {
		return nil, fmt.Errorf("nn: initial epoch %d of %d", o.InitialEpoch, o.Epochs)
	}
	if o.ValidationSplit != 0 {
		return nil, errors.New("nn: a validation split needs arrays (Fit or FitMulti); give FitDataset ValidationData")
	}
	if o.ValidationData == nil && len(o.ValidationX) > 0 {
		v, err := NewArrayDataset(o.ValidationX, o.ValidationY, o.BatchSize, false, 0)
		if err != nil {
			return nil, fmt.Errorf("nn: validation data: %w", err)
		}
		o.ValidationData = v
	}
	steps := data.Len()
	if steps == 0 {
		return nil, errors.New("nn: no training batches")
	}
	out := o.Output
	if out == nil {
		out = os.Stdout
	}

	// Class weights: the compiled loss is wrapped for the duration of the fit.
	m.mu.Lock()
	cc := m.compiled
	if len(o.ClassWeight) > 0 {
		m.compiled = &compiled{opt: cc.opt, loss: &weightedLoss{inner: cc.loss, classWeight: o.ClassWeight}, metrics: cc.metrics}
	}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.compiled = cc
		m.mu.Unlock()
	}()

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
		for step := 0; step < steps; step++ {
			if fitErr = ctx.Err(); fitErr != nil {
				break epochs
			}
			if fitErr = run(func(c Callback) error { return c.OnBatchBegin(f, step) }); fitErr != nil {
				break epochs
			}
			bx, by, err := data.Batch(step)
			if err != nil {
				fitErr = fmt.Errorf("nn: epoch %d batch %d: %w", epoch+1, step, err)
				break epochs
			}
			if cw, ok := m.compiled.loss.(*weightedLoss); ok {
				cw.setTargets(by)
			}
			loss, err := m.TrainBatch(bx, by)
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
			vl, err := m.evaluate(ctx, o.ValidationData, cc)
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

// Evaluate computes the loss and the compiled metrics of a single-input,
// single-output model on x and y in batches, as Keras' evaluate: the loss
// is the mean over samples, the metrics as accumulated over all batches.
func (m *Model) Evaluate(ctx context.Context, x, y *Tensor, batchSize int) (Logs, error) {
	return m.EvaluateMulti(ctx, []*Tensor{x}, []*Tensor{y}, batchSize)
}

// EvaluateMulti is Evaluate for any number of inputs and outputs.
func (m *Model) EvaluateMulti(ctx context.Context, xs, ys []*Tensor, batchSize int) (Logs, error) {
	if batchSize == 0 {
		batchSize = 32
	}
	d, err := NewArrayDataset(xs, ys, batchSize, false, 0)
	if err != nil {
		return nil, err
	}
	return m.EvaluateDataset(ctx, d)
}

// EvaluateDataset is Evaluate on the batches of a Dataset.
func (m *Model) EvaluateDataset(ctx context.Context, d Dataset) (Logs, error) {
	m.mu.Lock()
	cc := m.compiled
	m.mu.Unlock()
	if cc == nil {
		return nil, errors.New("nn: Evaluate before Compile")
	}
	return m.evaluate(ctx, d, cc)
}

func (m *Model) evaluate(ctx context.Context, d Dataset, cc *compiled) (Logs, error) {
	for _, mt := range cc.metrics {
		mt.Reset()
	}
	var sum float64
	var seen int
	for i := 0; i < d.Len(); i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		xs, ys, err := d.Batch(i)
		if err != nil {
			return nil, err
		}
		// EvalBatch uses the compiled loss and metrics; during a fit with
		// class weights the compiled loss is the weighted one, which Keras
		// does not apply to validation.
		loss, err := m.evalWith(xs, ys, cc)
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

// evalWith is EvalBatch with the given loss and metrics.
func (m *Model) evalWith(xs, ys []*Tensor, cc *compiled) (float64, error) {
	m.mu.Lock()
	saved := m.compiled
	m.compiled = cc
	m.mu.Unlock()
	loss, err := m.EvalBatch(xs, ys)
	m.mu.Lock()
	m.compiled = saved
	m.mu.Unlock()
	return loss, err
}

// Predict runs a single-input, single-output model on x in batches of
// batchSize (default 32) in inference mode and returns the outputs of all
// samples, as Keras' predict. The kernels use every thread kernels.SetThreads
// allows.
func (m *Model) Predict(ctx context.Context, x *Tensor, batchSize int) (*Tensor, error) {
	outs, err := m.PredictMulti(ctx, []*Tensor{x}, batchSize)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// PredictMulti is Predict for any number of inputs and outputs.
func (m *Model) PredictMulti(ctx context.Context, xs []*Tensor, batchSize int) ([]*Tensor, error) {
	if batchSize == 0 {
		batchSize = 32
	}
	n, err := sampleCount(xs, nil)
	if err != nil {
		return nil, err
	}
	outs := make([]*Tensor, len(m.outputs))
	for i, o := range m.outputs {
		outs[i] = NewTensor(append([]int{n}, o.shape...)...)
	}
	for lo := 0; lo < n; lo += batchSize {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+batchSize, n)
		var bx []*Tensor
		for _, t := range xs {
			bx = append(bx, t.Rows(lo, hi))
		}
		ys, err := m.Run(bx...)
		if err != nil {
			return nil, err
		}
		for i, y := range ys {
			copy(outs[i].Rows(lo, hi).Data, y.Data)
		}
	}
	return outs, nil
}

// weightedLoss applies per-sample weights from class weights to a loss:
// sum(w_i * loss_i) / batch, Keras' weighted loss with its default
// reduction.
type weightedLoss struct {
	inner       Loss
	classWeight map[int]float64
	weights     []float64 // this batch's, set before the step
	row         Tensor
	trow        Tensor
}

func (l *weightedLoss) Name() string { return l.inner.Name() }

// setTargets computes the batch's sample weights from its targets (one
// output: the first target decides).
func (l *weightedLoss) setTargets(ys []*Tensor) {
	y := ys[0]
	rows := y.Batch()
	cols := len(y.Data) / max(rows, 1)
	l.weights = l.weights[:0]
	for r := 0; r < rows; r++ {
		class := 0
		if cols == 1 {
			class = int(y.Data[r])
		} else {
			class = argmax(y.Data[r*cols : (r+1)*cols])
		}
		w, ok := l.classWeight[class]
		if !ok {
			w = 1
		}
		l.weights = append(l.weights, w)
	}
}

func (l *weightedLoss) Compute(pred, target *Tensor, grad []float32) (float64, error) {
	return l.apply(pred, target, grad, l.inner.Compute)
}

func (l *weightedLoss) fusesWith(a activation) bool {
	f, ok := l.inner.(fusedLoss)
	return ok && f.fusesWith(a)
}

func (l *weightedLoss) computeFused(pred, target *Tensor, grad []float32) (float64, error) {
	return l.apply(pred, target, grad, l.inner.(fusedLoss).computeFused)
}

func (l *weightedLoss) apply(pred, target *Tensor, grad []float32, fn func(p, t *Tensor, g []float32) (float64, error)) (float64, error) {
	rows := pred.Batch()
	if len(l.weights) != rows || target.Batch() != rows {
		return fn(pred, target, grad)
	}
	per := len(pred.Data) / rows
	tper := len(target.Data) / rows
	total := 0.0
	for r := 0; r < rows; r++ {
		l.row.Shape = append(l.row.Shape[:0], pred.Shape...)
		l.row.Shape[0] = 1
		l.row.Data = pred.Data[r*per : (r+1)*per]
		l.trow.Shape = append(l.trow.Shape[:0], target.Shape...)
		l.trow.Shape[0] = 1
		l.trow.Data = target.Data[r*tper : (r+1)*tper]
		g := grad[r*per : (r+1)*per]
		v, err := fn(&l.row, &l.trow, g)
		if err != nil {
			return 0, err
		}
		w := l.weights[r]
		total += w * v
		s := float32(w / float64(rows))
		for i := range g {
			g[i] *= s
		}
	}
	return total / float64(rows), nil
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
