package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
)

// Config is one transfer-learning run, the arguments of `keel train`.
type Config struct {
	Model     string  // zoo name: vgg16, resnet50, mobilenet, ...
	Weights   string  // a Keras weight file, "imagenet", or "" for random
	InputSize int     // default: the model's (224; 299 for Xception and the Inceptions)
	Alpha     float64 // MobileNet width (default 1)

	Data            string  // a folder with one sub-folder of images per class
	ValidationSplit float64 // the first fraction of each class's files, as flow_from_directory takes it

	Head    string // default: the model's head ("gap,dense:softmax"; "flatten,dense:softmax" for VGG)
	Freeze  Freeze
	Augment *imagedata.Augment // nil: none

	Epochs    int // default 5
	BatchSize int // default 32
	// Optimizer is compile's optimizer (default Adam) at learning rate LR
	// (0: Keras' default for it); Momentum and Nesterov are SGD's.
	Optimizer Optimizer
	LR        float64
	Momentum  float64
	Nesterov  bool
	// Loss is compile's loss by its Keras name (NewLoss; default
	// categorical_crossentropy), with Keras' label_smoothing.
	Loss           string
	LabelSmoothing float64
	// ClassWeight "balanced" weighs each class's samples by sklearn's
	// n_samples / (n_classes * count) of the training images (fit's
	// class_weight); "" weighs them all 1.
	ClassWeight string
	Seed        uint64
	// NoShuffle keeps the files' order every epoch (Keras' shuffle=False).
	NoShuffle bool

	// EarlyStopping, when positive, stops a phase after that many epochs
	// without a lower val_loss (Keras' EarlyStopping(patience=...)). As in
	// Keras the weights are those of the last epoch unless
	// RestoreBestWeights (restore_best_weights=True, default False) puts
	// back the best epoch's when it stops the phase. Each phase has its own.
	EarlyStopping      int
	RestoreBestWeights bool
	// Checkpoint, when set, saves the whole model (Keel's model file, as
	// Save without the training state) after every epoch whose val_loss is
	// the lowest so far over both phases: Keras' ModelCheckpoint with
	// save_best_only=True.
	Checkpoint string

	// FineTuneFrom starts a second phase, the Keras guide's fine-tuning:
	// after the Epochs of training the head on the frozen backbone, the
	// backbone layers from FineTuneFrom up are unfrozen (those before stay
	// frozen) and the model trains FineTuneEpochs more epochs (numbered on
	// from Epochs) with a fresh optimizer of the same kind at FineTuneLR
	// (default 1e-5, the guide's). The backbone then runs as
	// base_model(x, training=False): its BatchNormalization layers keep
	// normalising with their moving statistics, which do not change, while
	// their gamma and beta train with the rest.
	FineTuneFrom   string
	FineTuneEpochs int
	FineTuneLR     float64

	// Test is an image folder (one sub-folder per class, the training
	// classes) evaluated at the end with the validation preprocessing:
	// Result.Test.
	Test string

	// Resume continues the run that saved this checkpoint (a file Save
	// wrote, at the end or when interrupted): its weights, its optimizer's
	// state, from the epoch and batch it stopped at, up to Epochs (plus
	// FineTuneEpochs) in all. The other fields must be the saved run's
	// (Weights is not read). With the same Seed the shuffles and
	// augmentations of the resumed epochs are those of an uninterrupted run,
	// drawn from (seed, epoch, batch), so the weights end the same; Dropout
	// in the head draws other masks.
	Resume string

	// NoCache recomputes the frozen backbone every epoch even where its
	// outputs could be cached.
	NoCache bool
	// Output receives progress (default os.Stdout); Verbose is nn's.
	Output  io.Writer
	Verbose nn.Verbosity
}

// Result is what Train produced.
type Result struct {
	Model *nn.Model // backbone + head, trained
	Meta  modelfile.Meta
	// History has one entry per epoch run, both phases: Epoch numbers
	// them from 0, and History["loss"], ["accuracy"], ["val_loss"],
	// ["val_accuracy"] (the validation ones with validation data) hold
	// Keras' epoch logs. FineTuneStart is the index in History.Epoch of
	// the first fine-tuning epoch, -1 without one.
	History       *nn.History
	FineTuneStart int
	// Test is the evaluation of Config.Test's images (nil without one).
	Test *Evaluation
	// Loss is the loss the model trained with.
	Loss nn.Loss
	// ClassWeights are the class weights used (nil: none).
	ClassWeights map[int]float64
	// Cached says the head was trained on the backbone's outputs computed
	// once; FeatureSeconds is the time that took, FitSeconds the training.
	Cached                     bool
	FeatureSeconds, FitSeconds float64
	TrainImages, ValImages     int
	// Epoch and Step are where training stopped: the epochs completed and
	// the batches of the next one trained (non-zero when interrupted).
	Epoch, Step int
	// Optimizer is the optimizer that trained the model (nil when
	// training did not start); Save records its state.
	Optimizer nn.StatefulOptimizer
}

func (c *Config) defaults() {
	spec, known := zoo.Lookup(c.Model)
	if c.InputSize == 0 {
		c.InputSize = zoo.DefaultSize(c.Model)
	}
	if c.Alpha == 0 {
		c.Alpha = 1
	}
	if c.Epochs == 0 {
		c.Epochs = 5
	}
	if c.BatchSize == 0 {
		c.BatchSize = 32
	}
	if c.FineTuneLR == 0 {
		c.FineTuneLR = 1e-5
	}
	if c.Head == "" {
		c.Head = DefaultHead(spec, known == nil)
	}
	if c.Output == nil {
		c.Output = os.Stdout
	}
}

// check refuses option combinations that cannot work, before any work.
func (c *Config) check() error {
	switch {
	case c.FineTuneFrom == "" && c.FineTuneEpochs != 0:
		return errors.New("fine-tune epochs without a layer to fine-tune from")
	case c.FineTuneFrom != "" && c.FineTuneEpochs <= 0:
		return fmt.Errorf("fine-tuning from %s needs a positive number of fine-tune epochs", c.FineTuneFrom)
	case c.ClassWeight != "" && c.ClassWeight != "balanced":
		return fmt.Errorf("class weight %q: only balanced is known", c.ClassWeight)
	case (c.EarlyStopping > 0 || c.Checkpoint != "") && c.ValidationSplit <= 0:
		return errors.New("early stopping and checkpoints watch val_loss: give a validation split")
	case c.EarlyStopping < 0:
		return fmt.Errorf("early stopping patience %d is negative", c.EarlyStopping)
	}
	if _, err := NewOptimizer(c.Optimizer, c.LR, c.Momentum, c.Nesterov); err != nil {
		return err
	}
	return nil
}

// DefaultHead is the head Train uses without one: the model's first head
// layer (Flatten for VGG, global average pooling elsewhere), then a softmax
// Dense.
func DefaultHead(s zoo.Spec, known bool) string {
	if !known {
		return "gap,dense:softmax"
	}
	return s.Head.String() + ",dense:softmax"
}

// Train builds the backbone with its weights, freezes it as asked, puts the
// head on top and trains on the image folder, as the Keras transfer-learning
// guide does; then, with FineTuneFrom, fine-tunes the top of the backbone,
// and with Test evaluates the result. The model is not saved; see Save.
func Train(ctx context.Context, c Config) (*Result, error) {
	c.defaults()
	if err := c.check(); err != nil {
		return nil, err
	}
	head, err := ParseHead(c.Head)
	if err != nil {
		return nil, err
	}
	loss, err := NewLoss(c.Loss, c.LabelSmoothing)
	if err != nil {
		return nil, err
	}
	mode, err := zoo.PreprocessMode(c.Model)
	if err != nil {
		return nil, err
	}
	train, err := imagedata.ListDirectory(c.Data, imagedata.ListOptions{ValidationSplit: c.ValidationSplit, Subset: imagedata.Training})
	if err != nil {
		return nil, err
	}
	if train.Len() == 0 || len(train.ClassNames) < 2 {
		return nil, fmt.Errorf("%s: need images in at least two class folders, found %d images in %d classes", c.Data, train.Len(), len(train.ClassNames))
	}
	var val *imagedata.Listing
	if c.ValidationSplit > 0 {
		if val, err = imagedata.ListDirectory(c.Data, imagedata.ListOptions{ValidationSplit: c.ValidationSplit, Subset: imagedata.Validation}); err != nil {
			return nil, err
		}
	}
	var test *imagedata.Listing
	if c.Test != "" {
		if test, err = imagedata.ListDirectory(c.Test, imagedata.ListOptions{Classes: train.ClassNames}); err != nil {
			return nil, fmt.Errorf("test images: %w", err)
		}
	}
	classes := len(train.ClassNames)
	units := head[len(head)-1].Units
	if units == 0 {
		units = classes
	}
	labels, err := labelMode(loss, units, classes)
	if err != nil {
		return nil, fmt.Errorf("head %q with %s: %w", c.Head, loss.Name(), err)
	}
	totalEpochs := c.Epochs
	if c.FineTuneFrom != "" {
		totalEpochs += c.FineTuneEpochs
	}
	var resume *modelfile.TrainingState
	weights := c.Weights
	if c.Resume != "" {
		if resume, err = modelfile.LoadTrainingState(c.Resume); err != nil {
			return nil, err
		}
		if resume == nil {
			return nil, fmt.Errorf("%s: no training state to resume (a model keel train did not save)", c.Resume)
		}
		if resume.Epoch >= totalEpochs {
			return nil, fmt.Errorf("%s: %d epochs are trained already; give more than %d epochs to resume", c.Resume, resume.Epoch, resume.Epoch)
		}
		got := resume.Meta
		if !slices.Equal(got.ClassNames, train.ClassNames) || got.InputSize != c.InputSize || got.Preprocess != string(mode) {
			return nil, fmt.Errorf("resume %s: it was trained on classes %v at %d px (%s preprocessing); this run has %v at %d px (%s)", c.Resume,
				got.ClassNames, got.InputSize, got.Preprocess, train.ClassNames, c.InputSize, mode)
		}
		weights = "" // the checkpoint holds them all
	}

	base, err := zoo.NewContext(ctx, c.Model, zoo.Options{Weights: weights, InputShape: []int{c.InputSize, c.InputSize, 3}, Alpha: c.Alpha, Notices: c.Output})
	if err != nil {
		return nil, err
	}
	base.SetTrainable(c.Freeze.None)
	if err := CheckHead(head, base.Output().Shape(), classes); err != nil {
		return nil, fmt.Errorf("head %q: %w", c.Head, err)
	}
	headLayers := HeadLayers(head, classes)
	full, err := nn.NewModel(base.Inputs(), []*nn.Node{Apply(headLayers, base.Output())}, nn.WithName(c.Model+"_transfer"))
	if err != nil {
		return nil, err
	}
	if c.Freeze.Until != "" {
		if err := full.FreezeUntil(c.Freeze.Until); err != nil {
			return nil, err
		}
	}
	if c.FineTuneFrom != "" && base.Layer(c.FineTuneFrom) == nil {
		return nil, fmt.Errorf("fine-tune from %q: %s has no such layer", c.FineTuneFrom, c.Model)
	}
	if resume != nil {
		if _, err := modelfile.LoadWeights(full, c.Resume, false); err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
	}
	res := &Result{Model: full, TrainImages: train.Len(), Loss: loss, FineTuneStart: -1,
		Meta: modelfile.Meta{Preprocess: string(mode), InputSize: c.InputSize, ClassNames: train.ClassNames}}
	if val != nil {
		res.ValImages = val.Len()
	}
	if c.ClassWeight == "balanced" {
		res.ClassWeights = BalancedClassWeights(train.Labels, classes)
	}
	r := &run{c: c, ctx: ctx, res: res, base: base, head: headLayers, loss: loss, resume: resume, train: train, val: val,
		labels: labels, mode: mode}
	if c.Checkpoint != "" {
		r.checkpoint = &bestCheckpoint{path: c.Checkpoint, best: math.Inf(1), save: func(path string) error { return modelfile.Save(path, full, res.Meta) }}
	}
	if resume == nil || resume.Epoch < c.Epochs {
		if err := r.headPhase(); err != nil {
			return res, err
		}
	}
	if c.FineTuneFrom != "" {
		if err := r.fineTunePhase(); err != nil {
			return res, err
		}
	}
	if test != nil {
		if res.Test, err = Evaluate(ctx, full, test, EvalOptions{InputSize: c.InputSize, Preprocess: mode, BatchSize: c.BatchSize, Loss: loss}); err != nil {
			return res, fmt.Errorf("test images: %w", err)
		}
	}
	return res, nil
}

// run is one Train call's state shared by its phases.
type run struct {
	c          Config
	ctx        context.Context
	res        *Result
	base       *nn.Model
	head       []nn.Layer
	loss       nn.Loss
	resume     *modelfile.TrainingState
	train, val *imagedata.Listing
	labels     imagedata.LabelMode
	mode       zoo.Preprocessing
	checkpoint *bestCheckpoint

	trainData, valData nn.Dataset // the image datasets, made once
}

// loader reads l's images at the input size with the model's
// preprocessing, augmented by aug (nil: not).
func (r *run) loader(l *imagedata.Listing, shuffle bool, aug *imagedata.Augment) (*imagedata.Loader, error) {
	a := &imagedata.Augment{}
	if aug != nil {
		cp := *aug
		a = &cp
	}
	mode := r.mode
	a.Preprocess = func(x []float32, h, w int) { zoo.Preprocess(mode, x) }
	return imagedata.NewLoader(l, imagedata.Options{Height: r.c.InputSize, Width: r.c.InputSize, BatchSize: r.c.BatchSize,
		Shuffle: shuffle, Seed: uint32(r.c.Seed), Labels: r.labels, Augment: a})
}

// imageData makes (once) the training images' dataset, augmented and
// shuffled, and the validation images' (nil without validation images).
func (r *run) imageData() (train, val nn.Dataset, err error) {
	if r.trainData != nil {
		return r.trainData, r.valData, nil
	}
	ld, err := r.loader(r.train, !r.c.NoShuffle, r.c.Augment)
	if err != nil {
		return nil, nil, err
	}
	r.trainData = &loaderDataset{ctx: r.ctx, ld: ld}
	if r.val != nil && r.val.Len() > 0 {
		vld, err := r.loader(r.val, false, nil)
		if err != nil {
			return nil, nil, err
		}
		r.valData = &loaderDataset{ctx: r.ctx, ld: vld}
	}
	return r.trainData, r.valData, nil
}

// fitOptions are a phase's fit arguments: epochs [from, to), its own
// early stopping, the run's checkpoint and progress.
func (r *run) fitOptions(from, to int) nn.FitOptions {
	cbs := []nn.Callback{&progressTracker{res: r.res}}
	if r.c.EarlyStopping > 0 {
		cbs = append(cbs, &nn.EarlyStopping{Patience: r.c.EarlyStopping, RestoreBestWeights: r.c.RestoreBestWeights, Verbose: true})
	}
	if r.checkpoint != nil {
		cbs = append(cbs, r.checkpoint)
	}
	return nn.FitOptions{InitialEpoch: from, Epochs: to, Output: r.c.Output, Verbose: r.c.Verbose, Callbacks: cbs, ClassWeight: r.res.ClassWeights}
}

// compile gives m a fresh optimizer at lr, restored from the checkpoint
// being resumed when it stopped inside the phase's epochs [from, to) (a
// checkpoint saved at the very start of a phase holds the previous phase's
// optimizer, which this phase does not continue); it returns the epoch and
// batch to start from.
func (r *run) compile(m *nn.Model, lr float64, from, to int) (epoch, step int, err error) {
	opt, err := NewOptimizer(r.c.Optimizer, lr, r.c.Momentum, r.c.Nesterov)
	if err != nil {
		return 0, 0, err
	}
	m.Compile(opt, r.loss, nn.NewAccuracy())
	r.res.Optimizer = opt
	epoch, step = from, 0
	if rs := r.resume; rs != nil && (rs.Epoch > from || rs.Epoch == from && rs.Step > 0) && rs.Epoch < to {
		if err := rs.Restore(opt, m.Weights()); err != nil {
			return 0, 0, fmt.Errorf("resume %s: %w", r.c.Resume, err)
		}
		epoch, step = rs.Epoch, rs.Step
	}
	r.res.Epoch, r.res.Step = epoch, step
	return epoch, step, nil
}

// headPhase trains with the backbone as Config.Freeze leaves it (frozen,
// by default) for Config.Epochs, on cached backbone outputs when they
// cannot change.
func (r *run) headPhase() error {
	c, res := r.c, r.res
	fo := r.fitOptions(0, c.Epochs)
	if !c.NoCache && c.Augment == nil && backboneFrozen(r.base, res.Model) {
		// The backbone computes the same features every epoch: once is enough.
		res.Cached = true
		start := time.Now()
		features := func(l *imagedata.Listing) (*nn.Tensor, *nn.Tensor, error) {
			ld, err := r.loader(l, false, nil)
			if err != nil {
				return nil, nil, err
			}
			return Features(r.ctx, r.base, ld)
		}
		fx, fy, err := features(r.train)
		if err != nil {
			return err
		}
		if r.val != nil && r.val.Len() > 0 {
			vx, vy, err := features(r.val)
			if err != nil {
				return err
			}
			if fo.ValidationData, err = nn.NewArrayDataset([]*nn.Tensor{vx}, []*nn.Tensor{vy}, c.BatchSize, false, 0); err != nil {
				return err
			}
		}
		res.FeatureSeconds = time.Since(start).Seconds()
		headModel, err := newHeadModel(r.head, r.base.Output().Shape())
		if err != nil {
			return err
		}
		return r.fitHead(headModel, fo, fx, fy)
	}
	data, valData, err := r.imageData()
	if err != nil {
		return err
	}
	fo.ValidationData = valData
	if fo.InitialEpoch, fo.InitialStep, err = r.compile(res.Model, c.LR, 0, c.Epochs); err != nil {
		return err
	}
	return r.fit(res.Model, data, fo)
}

// newHeadModel is the head alone on an input of the backbone's output
// shape: what trains on features computed once.
func newHeadModel(head []nn.Layer, features []int) (*nn.Model, error) {
	in := nn.Input(features, nn.WithName("features"))
	return nn.NewModel([]*nn.Node{in}, []*nn.Node{Apply(head, in)}, nn.WithName("head"))
}

// fitHead trains the head model m on features fx with labels fy for the
// head phase's epochs (fo, its validation data included): the one trainer
// of cached backbone outputs, computed in this run or by keel-beam.
func (r *run) fitHead(m *nn.Model, fo nn.FitOptions, fx, fy *nn.Tensor) error {
	c := r.c
	var err error
	if fo.InitialEpoch, fo.InitialStep, err = r.compile(m, c.LR, 0, c.Epochs); err != nil {
		return err
	}
	data, err := nn.NewArrayDataset([]*nn.Tensor{fx}, []*nn.Tensor{fy}, c.BatchSize, !c.NoShuffle, c.Seed)
	if err != nil {
		return err
	}
	return r.fit(m, data, fo)
}

// fit runs one phase and appends its epochs to the Result's history.
func (r *run) fit(m *nn.Model, data nn.Dataset, fo nn.FitOptions) error {
	start := time.Now()
	h, err := m.Fit(r.ctx, data, fo)
	r.res.FitSeconds += time.Since(start).Seconds()
	r.res.History = appendHistory(r.res.History, h)
	return err
}

// appendHistory appends the epochs of h to dst (nil: a new history).
func appendHistory(dst, h *nn.History) *nn.History {
	if dst == nil {
		dst = &nn.History{History: map[string][]float64{}}
	}
	if h == nil {
		return dst
	}
	dst.Epoch = append(dst.Epoch, h.Epoch...)
	for _, k := range h.Keys {
		if _, ok := dst.History[k]; !ok {
			dst.Keys = append(dst.Keys, k)
		}
		dst.History[k] = append(dst.History[k], h.History[k]...)
	}
	return dst
}

// Save writes the trained model as a Keras full-model file with Keel's
// metadata (preprocessing, input size, class names) and, as Keras' save
// includes the optimizer, the training state Config.Resume continues from.
// The file is replaced atomically (modelfile.Save).
func (r *Result) Save(path string) error {
	if r.Optimizer == nil {
		return modelfile.Save(path, r.Model, r.Meta)
	}
	return modelfile.SaveCheckpoint(path, r.Model, r.Meta, r.Epoch, r.Step, r.Optimizer)
}

// progressTracker records in the Result where training is: after each
// batch the epoch and the batches of it done, after each epoch the next.
type progressTracker struct {
	nn.CallbackBase
	res *Result
}

func (p *progressTracker) OnBatchEnd(f *nn.Fitting, batch int, _ nn.Logs) error {
	p.res.Epoch, p.res.Step = f.Epoch, batch+1
	if p.res.Step == f.Steps { // all its batches trained; only validation is left
		p.res.Epoch, p.res.Step = f.Epoch+1, 0
	}
	return nil
}

func (p *progressTracker) OnEpochEnd(f *nn.Fitting, epoch int, _ nn.Logs) error {
	p.res.Epoch, p.res.Step = epoch+1, 0
	return nil
}

// backboneFrozen says whether no layer of the backbone trains.
func backboneFrozen(base, full *nn.Model) bool {
	for _, l := range base.Layers() {
		if len(l.Weights()) > 0 && full.Layer(l.Name()).Trainable() {
			return false
		}
	}
	return true
}

// Features runs the backbone over every batch of ld once, in order, and
// returns its outputs and the labels as two tensors.
func Features(ctx context.Context, base *nn.Model, ld *imagedata.Loader) (x, y *nn.Tensor, err error) {
	ep := ld.Epoch(ctx, 0)
	defer ep.Close()
	var xs, ys []float32
	n := 0
	var yCols int
	for {
		b, err := ep.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		in, err := nn.TensorOf(b.X, b.N, b.H, b.W, b.C)
		if err != nil {
			return nil, nil, err
		}
		out, err := base.Run(in)
		if err != nil {
			return nil, nil, err
		}
		xs = append(xs, out[0].Data...)
		ys = append(ys, b.Y...)
		n += b.N
		yCols = len(b.Y) / b.N
	}
	if n == 0 {
		return nil, nil, errors.New("no images to compute features of")
	}
	if x, err = nn.TensorOf(xs, append([]int{n}, base.Output().Shape()...)...); err != nil {
		return nil, nil, err
	}
	y, err = nn.TensorOf(ys, n, yCols)
	return x, y, err
}

// NewImageDataset serves a Loader's batches (images and categorical labels)
// to nn's Fit and Evaluate.
func NewImageDataset(ctx context.Context, ld *imagedata.Loader) nn.Dataset {
	return &loaderDataset{ctx: ctx, ld: ld}
}

// loaderDataset serves an imagedata Loader's batches to nn's Fit, in
// order: each epoch (SetEpoch, or Batch(0) for validation data) starts the
// loader's next pass.
type loaderDataset struct {
	ctx   context.Context
	ld    *imagedata.Loader
	ep    *imagedata.Epoch
	epoch int
	next  int
}

func (d *loaderDataset) Len() int { return d.ld.BatchesPerEpoch() }

func (d *loaderDataset) SetEpoch(e int) {
	d.epoch = e
	d.restart()
}

func (d *loaderDataset) restart() {
	if d.ep != nil {
		d.ep.Close()
	}
	d.ep, d.next = d.ld.Epoch(d.ctx, d.epoch), 0
}

func (d *loaderDataset) Batch(i int) (xs, ys []*nn.Tensor, err error) {
	if i == 0 && (d.ep == nil || d.next != 0) {
		d.restart()
	}
	if d.ep == nil {
		d.restart()
	}
	for d.next < i { // a fit resumed mid-epoch: the batches before are decoded and dropped
		if _, err := d.ep.Next(); err != nil {
			return nil, nil, err
		}
		d.next++
	}
	if i != d.next {
		return nil, nil, fmt.Errorf("image batches are read in order: asked for %d, next is %d", i, d.next)
	}
	b, err := d.ep.Next()
	if err != nil {
		return nil, nil, err
	}
	d.next++
	x, err := nn.TensorOf(b.X, b.N, b.H, b.W, b.C)
	if err != nil {
		return nil, nil, err
	}
	y, err := nn.TensorOf(b.Y, b.N, len(b.Y)/b.N)
	if err != nil {
		return nil, nil, err
	}
	return []*nn.Tensor{x}, []*nn.Tensor{y}, nil
}
