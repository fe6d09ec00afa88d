package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
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

	Epochs    int     // default 5
	BatchSize int     // default 32
	LR        float64 // Adam's learning rate, default 1e-3
	Seed      uint64
	// NoShuffle keeps the files' order every epoch (Keras' shuffle=False).
	NoShuffle bool
	// Resume continues the run that saved this checkpoint (a file Save
	// wrote, at the end or when interrupted): its weights, its optimizer's
	// state, from the epoch and batch it stopped at, up to Epochs in all.
	// The other fields must be the saved run's (Weights is not read). With
	// the same Seed the shuffles and augmentations of the resumed epochs are
	// those of an uninterrupted run, drawn from (seed, epoch, batch), so the
	// weights end the same; Dropout in the head draws other masks.
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
	Model   *nn.Model // backbone + head, trained
	Meta    modelfile.Meta
	History *nn.History
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
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Head == "" {
		c.Head = DefaultHead(spec, known == nil)
	}
	if c.Output == nil {
		c.Output = os.Stdout
	}
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
// guide does. The model is not saved; see Save.
func Train(ctx context.Context, c Config) (*Result, error) {
	c.defaults()
	head, err := ParseHead(c.Head)
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
	classes := len(train.ClassNames)
	var resume *modelfile.TrainingState
	weights := c.Weights
	if c.Resume != "" {
		if resume, err = modelfile.LoadTrainingState(c.Resume); err != nil {
			return nil, err
		}
		if resume == nil {
			return nil, fmt.Errorf("%s: no training state to resume (a model keel train did not save)", c.Resume)
		}
		if resume.Epoch >= c.Epochs {
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
	if resume != nil {
		if _, err := modelfile.LoadWeights(full, c.Resume, false); err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
	}
	res := &Result{Model: full, TrainImages: train.Len(),
		Meta: modelfile.Meta{Preprocess: string(mode), InputSize: c.InputSize, ClassNames: train.ClassNames}}
	if val != nil {
		res.ValImages = val.Len()
	}
	preprocess := func(x []float32, h, w int) { zoo.Preprocess(mode, x) }
	loader := func(l *imagedata.Listing, shuffle bool, aug *imagedata.Augment) (*imagedata.Loader, error) {
		a := &imagedata.Augment{}
		if aug != nil {
			cp := *aug
			a = &cp
		}
		a.Preprocess = preprocess
		return imagedata.NewLoader(l, imagedata.Options{Height: c.InputSize, Width: c.InputSize, BatchSize: c.BatchSize,
			Shuffle: shuffle, Seed: uint32(c.Seed), Labels: imagedata.Categorical, Augment: a})
	}
	tracker := &progressTracker{res: res}
	fo := nn.FitOptions{Epochs: c.Epochs, Output: c.Output, Verbose: c.Verbose, Callbacks: []nn.Callback{tracker}}
	// compile sets the optimizer of the model that trains, restored from
	// the checkpoint when resuming.
	compile := func(m *nn.Model) error {
		opt := nn.NewAdam(nn.AdamConfig{OptimizerOptions: nn.OptimizerOptions{LearningRate: c.LR}})
		m.Compile(opt, nn.CategoricalCrossentropy{}, nn.NewAccuracy())
		res.Optimizer = opt
		if resume != nil {
			if err := resume.Restore(opt, m.Weights()); err != nil {
				return fmt.Errorf("resume %s: %w", c.Resume, err)
			}
			fo.InitialEpoch, fo.InitialStep = resume.Epoch, resume.Step
			res.Epoch, res.Step = resume.Epoch, resume.Step
		}
		return nil
	}

	if !c.NoCache && c.Augment == nil && backboneFrozen(base, full) {
		// The backbone computes the same features every epoch: once is enough.
		res.Cached = true
		start := time.Now()
		features := func(l *imagedata.Listing) (*nn.Tensor, *nn.Tensor, error) {
			ld, err := loader(l, false, nil)
			if err != nil {
				return nil, nil, err
			}
			return Features(ctx, base, ld)
		}
		fx, fy, err := features(train)
		if err != nil {
			return nil, err
		}
		if val != nil && val.Len() > 0 {
			vx, vy, err := features(val)
			if err != nil {
				return nil, err
			}
			if fo.ValidationData, err = nn.NewArrayDataset([]*nn.Tensor{vx}, []*nn.Tensor{vy}, c.BatchSize, false, 0); err != nil {
				return nil, err
			}
		}
		res.FeatureSeconds = time.Since(start).Seconds()
		in := nn.Input(base.Output().Shape(), nn.WithName("features"))
		headModel, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{Apply(headLayers, in)}, nn.WithName("head"))
		if err != nil {
			return nil, err
		}
		if err := compile(headModel); err != nil {
			return nil, err
		}
		data, err := nn.NewArrayDataset([]*nn.Tensor{fx}, []*nn.Tensor{fy}, c.BatchSize, !c.NoShuffle, c.Seed)
		if err != nil {
			return nil, err
		}
		start = time.Now()
		res.History, err = headModel.Fit(ctx, data, fo)
		res.FitSeconds = time.Since(start).Seconds()
		return res, err
	}

	trainLd, err := loader(train, !c.NoShuffle, c.Augment)
	if err != nil {
		return nil, err
	}
	if val != nil && val.Len() > 0 {
		valLd, err := loader(val, false, nil)
		if err != nil {
			return nil, err
		}
		fo.ValidationData = &loaderDataset{ctx: ctx, ld: valLd}
	}
	if err := compile(full); err != nil {
		return nil, err
	}
	start := time.Now()
	res.History, err = full.Fit(ctx, &loaderDataset{ctx: ctx, ld: trainLd}, fo)
	res.FitSeconds = time.Since(start).Seconds()
	return res, err
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
