// Package demo is `make demo`: transfer learning shown for real, on a fresh
// clone, with nothing downloaded. A small MobileNet learns five
// Fashion-MNIST classes and is saved as a Keras .h5 file; reloaded and
// frozen, it gets a new head that learns the other five classes from 20
// labelled images each, beside the same network trained from scratch on the
// same 100 images.
package demo

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/keelml/keel/demo/fashionmnist"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/transfer"
	"github.com/keelml/keel/zoo"
)

// Options tune the demo; the zero value is the full demo.
type Options struct {
	Dir  string // where the .h5 files go (default: a new temporary directory)
	Seed uint64
	// PretrainPerClass images per class learn the backbone (default 800);
	// ShotsPerClass labelled images per new class (default 20).
	PretrainPerClass, ShotsPerClass int
	PretrainEpochs                  int // default 8
	// Cut is the backbone layer the new head goes on (default conv_pw_5_relu:
	// lower layers learn what is common to all the classes, the top ones what
	// separates the old classes).
	Cut string
	// Pool is the head's first layer: "flatten" (default; keeps where in the
	// image a feature is) or "gap".
	Pool string
	// Alpha is the MobileNet width (default 0.25).
	Alpha float64
	// Old are the classes the backbone learns first; the others are new.
	Old     []int
	Verbose nn.Verbosity
}

// Result is what the demo measured.
type Result struct {
	Transfer, Scratch Run
	// FLOPs of the few-shot training under three regimes: every layer
	// trained, backbone frozen (recomputed every step), backbone frozen and
	// its outputs cached.
	FullFLOPs, FrozenFLOPs, CachedFLOPs float64
	PretrainedFile                      string
}

// Run is one way of learning the new classes.
type Run struct {
	Accuracy float64
	Seconds  float64
}

const size = 32 // MobileNet's smallest input: Fashion-MNIST padded from 28

// Main runs the demo and prints its progress and the comparison to w.
func Main(ctx context.Context, w io.Writer, o Options) (*Result, error) {
	o.PretrainPerClass = cmp.Or(o.PretrainPerClass, 800)
	o.ShotsPerClass = cmp.Or(o.ShotsPerClass, 20)
	o.PretrainEpochs = cmp.Or(o.PretrainEpochs, 8)
	o.Pool = cmp.Or(o.Pool, "flatten")
	o.Alpha = cmp.Or(o.Alpha, 0.25)
	o.Cut = cmp.Or(o.Cut, "conv_pw_5_relu")
	if o.Old == nil {
		o.Old = []int{0, 1, 2, 3, 4}
	}
	oldClasses := o.Old
	var newClasses []int
	for c := 0; c < 10; c++ {
		if !slices.Contains(oldClasses, c) {
			newClasses = append(newClasses, c)
		}
	}
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "keel-demo-")
		if err != nil {
			return nil, err
		}
		o.Dir = dir
	}
	images, labels, err := fashionmnist.Test()
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(o.Seed, 1))
	byClass := make([][]int, 10)
	for _, i := range r.Perm(len(labels)) {
		byClass[labels[i]] = append(byClass[labels[i]], i)
	}
	take := func(classes []int, lo, hi int) (*nn.Tensor, *nn.Tensor) {
		var idx []int
		var cls []int
		for k, c := range classes {
			for _, i := range byClass[c][lo:min(hi, len(byClass[c]))] {
				idx, cls = append(idx, i), append(cls, k)
			}
		}
		return batch(images, idx), oneHot(cls, len(classes))
	}
	res := &Result{PretrainedFile: filepath.Join(o.Dir, "mobilenet_fashion5.h5")}
	fmt.Fprintf(w, "Keel transfer-learning demo: Fashion-MNIST at %dx%d, MobileNet alpha 0.25\n\n", size, size)

	// 1. A backbone learns the first five classes, and is saved as Keras would.
	fmt.Fprintf(w, "1. Pretraining on %v (%d images each), %d epochs\n", names(oldClasses), o.PretrainPerClass, o.PretrainEpochs)
	px, py := take(oldClasses, 0, o.PretrainPerClass)
	pre, err := newModel(len(oldClasses), o.Alpha)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	// Batches of 16 give the BatchNormalization moving statistics (momentum
	// 0.99) enough steps to settle; with few steps they still remember their
	// initial values and inference-mode outputs drift from training-mode ones.
	if err := fit(ctx, pre, px, py, 16, o.Seed, nn.FitOptions{Epochs: o.PretrainEpochs, Output: w, Verbose: o.Verbose}); err != nil {
		return nil, err
	}
	tx, ty := take(oldClasses, o.PretrainPerClass, o.PretrainPerClass+200)
	acc, err := accuracy(ctx, pre, tx, ty)
	if err != nil {
		return nil, err
	}
	if err := modelfile.Save(res.PretrainedFile, pre, modelfile.Meta{Preprocess: "tf", InputSize: size, ClassNames: names(oldClasses)}); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "   %.0fs, test accuracy %.1f%% on its own classes; saved %s\n\n", time.Since(start).Seconds(), 100*acc, res.PretrainedFile)

	// 2. Reloaded, frozen, with a new head: the new classes from a few shots.
	fmt.Fprintf(w, "2. Transfer: reload the .h5, freeze the backbone up to %s, new head (%s, dense); %d images of each of %v\n", o.Cut, o.Pool, o.ShotsPerClass, names(newClasses))
	sx, sy := take(newClasses, 0, o.ShotsPerClass)
	testX, testY := take(newClasses, o.ShotsPerClass, 1000)
	start = time.Now()
	loaded, _, err := modelfile.Load(res.PretrainedFile)
	if err != nil {
		return nil, err
	}
	base, err := loaded.OutputsOf(o.Cut)
	if err != nil {
		return nil, err
	}
	base.SetTrainable(false)
	headLayers := transfer.HeadLayers([]transfer.HeadLayer{{Kind: o.Pool}, {Kind: "dense", Activation: "softmax"}}, len(newClasses))
	features, err := predict(ctx, base, sx, 64)
	if err != nil {
		return nil, err
	}
	in := nn.Input(base.Output().Shape(), nn.WithName("features"))
	head, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{transfer.Apply(headLayers, in)}, nn.WithName("head"))
	if err != nil {
		return nil, err
	}
	// The same steps for both ways of learning: enough for scratch training's
	// BatchNormalization statistics to settle (0.99^750 < 0.001).
	const fewShotEpochs, fewShotBatch = 150, 20
	head.Compile(nn.NewAdam(nn.AdamConfig{OptimizerOptions: nn.OptimizerOptions{LearningRate: 1e-2}}), nn.CategoricalCrossentropy{}, nn.NewAccuracy())
	if err := fit(ctx, head, features, sy, fewShotBatch, o.Seed, nn.FitOptions{Epochs: fewShotEpochs, Output: io.Discard}); err != nil {
		return nil, err
	}
	res.Transfer.Seconds = time.Since(start).Seconds()
	full, err := nn.NewModel(base.Inputs(), []*nn.Node{transfer.Apply(headLayers, base.Output())}, nn.WithName("fashion_new5"))
	if err != nil {
		return nil, err
	}
	if res.Transfer.Accuracy, err = accuracy(ctx, full, testX, testY); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "   %.1fs, test accuracy %.1f%% on %d images\n\n", res.Transfer.Seconds, 100*res.Transfer.Accuracy, testY.Shape[0])

	// 3. The same network from scratch on the same 100 images.
	fmt.Fprintf(w, "3. From scratch: the same MobileNet + head, every layer trained on the same %d images\n", sy.Shape[0])
	scratch, err := newModel(len(newClasses), o.Alpha)
	if err != nil {
		return nil, err
	}
	start = time.Now()
	if err := fit(ctx, scratch, sx, sy, fewShotBatch, o.Seed, nn.FitOptions{Epochs: fewShotEpochs, Output: io.Discard}); err != nil {
		return nil, err
	}
	res.Scratch.Seconds = time.Since(start).Seconds()
	if res.Scratch.Accuracy, err = accuracy(ctx, scratch, testX, testY); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "   %.1fs, test accuracy %.1f%%\n\n", res.Scratch.Seconds, 100*res.Scratch.Accuracy)

	// What freezing and caching saved, measured per training step.
	steps := float64(fewShotEpochs * ((sy.Shape[0] + fewShotBatch - 1) / fewShotBatch))
	bx, by := sx.Rows(0, fewShotBatch), sy.Rows(0, fewShotBatch)
	fullStep, err := stepFLOPs(scratch, bx, by)
	if err != nil {
		return nil, err
	}
	full.Compile(nn.NewAdam(nn.AdamConfig{}), nn.CategoricalCrossentropy{})
	frozenStep, err := stepFLOPs(full, bx, by)
	if err != nil {
		return nil, err
	}
	headStep, err := stepFLOPs(head, features.Rows(0, fewShotBatch), by)
	if err != nil {
		return nil, err
	}
	if _, err := base.Run(sx); err != nil {
		return nil, err
	}
	cachePass := forwardFLOPs(base.StepStats())
	res.FullFLOPs, res.FrozenFLOPs = steps*fullStep, steps*frozenStep
	res.CachedFLOPs = cachePass + steps*headStep

	fmt.Fprintf(w, "%-34s %10s %9s %14s\n", "new classes, 20 images each", "accuracy", "time", "training FLOPs")
	fmt.Fprintf(w, "%-34s %9.1f%% %8.1fs %14s\n", "transfer (frozen, cached features)", 100*res.Transfer.Accuracy, res.Transfer.Seconds, gflops(res.CachedFLOPs))
	fmt.Fprintf(w, "%-34s %9.1f%% %8.1fs %14s\n", "from scratch (every layer trained)", 100*res.Scratch.Accuracy, res.Scratch.Seconds, gflops(res.FullFLOPs))
	fmt.Fprintf(w, "\nFreezing the backbone: %s instead of %s (no backward pass below the head).\n", gflops(res.FrozenFLOPs), gflops(res.FullFLOPs))
	fmt.Fprintf(w, "Caching its outputs as well: %s (the backbone runs once, not %.0f times).\n", gflops(res.CachedFLOPs), steps)
	fmt.Fprintf(w, "Transfer beats scratch by %.1f accuracy points.\n", 100*(res.Transfer.Accuracy-res.Scratch.Accuracy))
	return res, nil
}

// newModel is MobileNet at 32x32 with a GAP + softmax head, compiled with
// Adam.
func newModel(classes int, alpha float64) (*nn.Model, error) {
	base, err := zoo.New("mobilenet", zoo.Options{Alpha: alpha, InputShape: []int{size, size, 3}, Notices: io.Discard})
	if err != nil {
		return nil, err
	}
	x := nn.NewGlobalAveragePooling2D(nn.WithName("fashion_gap")).Apply(base.Output())
	x = nn.NewDense(classes, nn.WithActivation("softmax"), nn.WithName("fashion_predictions")).Apply(x)
	m, err := nn.NewModel(base.Inputs(), []*nn.Node{x}, nn.WithName("fashion"))
	if err != nil {
		return nil, err
	}
	m.Compile(nn.NewAdam(nn.AdamConfig{OptimizerOptions: nn.OptimizerOptions{LearningRate: 2e-3}}), nn.CategoricalCrossentropy{}, nn.NewAccuracy())
	return m, nil
}

// batch turns Fashion-MNIST images into a 32x32 RGB batch preprocessed as
// MobileNet's preprocess_input ("tf": x/127.5 - 1), padded with background.
func batch(images [][]byte, idx []int) *nn.Tensor {
	t := nn.NewTensor(len(idx), size, size, 3)
	const pad = (size - fashionmnist.Size) / 2
	for n, i := range idx {
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				v := byte(0)
				if yy, xx := y-pad, x-pad; yy >= 0 && yy < fashionmnist.Size && xx >= 0 && xx < fashionmnist.Size {
					v = images[i][yy*fashionmnist.Size+xx]
				}
				f := float32(v)/127.5 - 1
				o := ((n*size+y)*size + x) * 3
				t.Data[o], t.Data[o+1], t.Data[o+2] = f, f, f
			}
		}
	}
	return t
}

func oneHot(cls []int, k int) *nn.Tensor {
	t := nn.NewTensor(len(cls), k)
	for i, c := range cls {
		t.Data[i*k+c] = 1
	}
	return t
}

func names(classes []int) []string {
	var out []string
	for _, c := range classes {
		out = append(out, fashionmnist.Classes[c])
	}
	return out
}

// fit trains m on x and y in batches shuffled from seed.
func fit(ctx context.Context, m *nn.Model, x, y *nn.Tensor, batch int, seed uint64, o nn.FitOptions) error {
	d, err := nn.NewArrayDataset([]*nn.Tensor{x}, []*nn.Tensor{y}, batch, true, seed)
	if err == nil {
		_, err = m.Fit(ctx, d, o)
	}
	return err
}

// predict returns m's output on x, computed in batches.
func predict(ctx context.Context, m *nn.Model, x *nn.Tensor, batch int) (*nn.Tensor, error) {
	d, err := nn.NewArrayDataset([]*nn.Tensor{x}, nil, batch, false, 0)
	if err != nil {
		return nil, err
	}
	outs, err := m.Predict(ctx, d)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// accuracy is the share of samples whose highest score is their class.
func accuracy(ctx context.Context, m *nn.Model, x, y *nn.Tensor) (float64, error) {
	p, err := predict(ctx, m, x, 128)
	if err != nil {
		return 0, err
	}
	k := y.Shape[1]
	right := 0
	for i := 0; i < y.Shape[0]; i++ {
		best := 0
		for j := 1; j < k; j++ {
			if p.Data[i*k+j] > p.Data[i*k+best] {
				best = j
			}
		}
		if y.Data[i*k+best] == 1 {
			right++
		}
	}
	return float64(right) / float64(y.Shape[0]), nil
}

// stepFLOPs runs one training step and returns the FLOPs its kernels did.
func stepFLOPs(m *nn.Model, x, y *nn.Tensor) (float64, error) {
	if _, err := m.TrainStep(x, y); err != nil {
		return 0, err
	}
	total := 0.0
	for _, s := range m.StepStats() {
		total += s.ForwardFLOPs + s.BackwardFLOPs
	}
	return total, nil
}

func forwardFLOPs(stats []nn.LayerStats) float64 {
	total := 0.0
	for _, s := range stats {
		total += s.ForwardFLOPs
	}
	return total
}

func gflops(f float64) string { return fmt.Sprintf("%.2f GFLOP", f/1e9) }
