package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"

	"github.com/keelml/keel/bench"
	"github.com/keelml/keel/internal/specweights"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
)

func init() {
	registerBench(benchCommand{name: "models", summary: "forward latency of the zoo's full classifiers at their default sizes", run: runBenchModels})
	registerBench(benchCommand{name: "train", summary: "one transfer-learning training step (forward, backward, Adam) at the models' default sizes", run: runBenchTrain})
}

// benchModelNames are the classifiers the reference runtimes ran.
var benchModelNames = []string{"vgg16", "vgg19", "resnet50", "mobilenet", "mobilenet_v2"}

// modelList is the --model flag: one name, a comma-separated list, or all.
func modelList(flagValue string, all []string) ([]string, error) {
	if flagValue == "" {
		return all, nil
	}
	names := strings.Split(flagValue, ",")
	for _, n := range names {
		known := false
		for _, z := range zoo.Names() {
			known = known || z == n
		}
		if !known {
			return nil, fmt.Errorf("--model: unknown model %q (have %s)", n, strings.Join(zoo.Names(), ", "))
		}
	}
	return names, nil
}

func randomTensor(r *rand.Rand, lo, hi float32, shape ...int) *nn.Tensor {
	t := nn.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*r.Float32()
	}
	return t
}

func runBenchModels(args []string) error {
	fs := flag.NewFlagSet("bench models", flag.ContinueOnError)
	bf := addBenchFlags(fs)
	modelFlag := fs.String("model", "", "models, comma-separated (default: "+strings.Join(benchModelNames, ",")+")")
	batch := fs.Int("batch", 1, "images per forward pass")
	samples := fs.Int("samples", 5, "timed samples (the median is reported)")
	layers := fs.Bool("layers", false, "also print, on stderr, the time of every layer (its fastest run)")
	inputSize := fs.Int("input-size", 0, "input height and width (default: each model's own, 224 for most)")
	stat := fs.String("stat", "median", statUsage)
	clock := fs.String("clock", "wall", clockUsage)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkClockFlags(*stat, *clock, bf.threads); err != nil {
		return err
	}
	if *clock == "thread" {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	names, err := modelList(*modelFlag, benchModelNames)
	if err != nil {
		return err
	}
	w := bf.writer()
	r := rand.New(rand.NewPCG(1, 2))
	for _, name := range names {
		size := sizeFor(name, *inputSize)
		m, err := zoo.New(name, zoo.Options{IncludeTop: true, InputShape: []int{size, size, 3}})
		if err != nil {
			return err
		}
		if err := setSpecWeights(m); err != nil {
			return err
		}
		flops := 2 * float64(zoo.MACs(m)) * float64(*batch)
		// Preprocessed inputs are centred values of a few tens.
		x := randomTensor(r, -120, 130, *batch, size, size, 3)
		for _, t := range bf.threadCounts() {
			peak := bench.PeakGFLOPS(t)
			progress("models: %s batch %d, %d threads", name, *batch, t)
			var runErr error
			var secs float64
			var fastest []nn.LayerStats // per layer, its fastest run
			_ = withThreads(t, func() error {
				secs = timeCalls(bench.Options{Samples: *samples}, func() {
					if _, err := m.Run(x); err != nil && runErr == nil {
						runErr = err
					}
					if *layers {
						fastest = fastestSteps(fastest, m.StepStats())
					}
				}, *stat, *clock)
				return nil
			})
			if runErr != nil {
				return fmt.Errorf("%s: %w", name, runErr)
			}
			if *layers {
				printLayerProfile(fastest)
			}
			extra := map[string]any{"model": name, "input_size": size}
			if *stat == "min" {
				extra["stat"] = "min"
			}
			if *clock == "thread" {
				extra["clock"] = "thread"
			}
			rec := bench.Record{Bench: "models", Name: name, Threads: t, Batch: *batch, Seconds: secs,
				GFLOPS: flops / secs / 1e9, PeakGFLOPS: peak, Extra: extra}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

func runBenchTrain(args []string) error {
	fs := flag.NewFlagSet("bench train", flag.ContinueOnError)
	bf := addBenchFlags(fs)
	modelFlag := fs.String("model", "", "models, comma-separated (default: mobilenet,mobilenet_v2,resnet50,vgg16)")
	regime := fs.String("regime", "frozen", "frozen (backbone frozen, head trained) or full (everything trained)")
	batch := fs.Int("batch", 16, "images per step")
	samples := fs.Int("samples", 3, "timed steps (the median is reported)")
	inputSize := fs.Int("input-size", 0, "input height and width (default: each model's own, 224 for most)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *regime != "frozen" && *regime != "full" {
		return fmt.Errorf("%w: --regime must be frozen or full, not %q", errUsage, *regime)
	}
	names, err := modelList(*modelFlag, []string{"mobilenet", "mobilenet_v2", "resnet50", "vgg16"})
	if err != nil {
		return err
	}
	w := bf.writer()
	r := rand.New(rand.NewPCG(3, 4))
	for _, name := range names {
		size := sizeFor(name, *inputSize)
		m, err := transferModel(name, size, *regime == "frozen")
		if err != nil {
			return err
		}
		x := randomTensor(r, -1, 1, *batch, size, size, 3)
		y := nn.NewTensor(*batch, 2)
		for i := 0; i < *batch; i++ {
			y.Data[i*2+i%2] = 1
		}
		for _, t := range bf.threadCounts() {
			peak := bench.PeakGFLOPS(t)
			progress("train: %s %s batch %d, %d threads", name, *regime, *batch, t)
			var stepErr error
			var secs float64
			_ = withThreads(t, func() error {
				secs = bench.Median(bench.Options{Samples: *samples, MinSample: 1}, func() {
					if _, err := m.TrainStep(x, y); err != nil && stepErr == nil {
						stepErr = err
					}
				})
				return nil
			})
			if stepErr != nil {
				return fmt.Errorf("%s: %w", name, stepErr)
			}
			rec := bench.Record{Bench: "train", Name: name + "/" + *regime, Threads: t, Batch: *batch, Seconds: secs,
				PeakGFLOPS: peak, Extra: map[string]any{"model": name, "regime": *regime}}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// setSpecWeights gives every weight of m its value from the golden weight
// spec: pretrained-like scales (He-like kernels, BatchNormalization moving
// variances near 1), under which activations keep their size through the
// network. Freshly initialised Keras models shrink their activations layer
// by layer into denormal floats, which the CPU computes many times slower
// than normal ones, and which no trained model produces.
func setSpecWeights(m *nn.Model) error {
	for _, l := range m.Layers() {
		for _, v := range l.Weights() {
			vals, ok := specweights.Variable(l.Name(), v.Name(), v.Shape(), specweights.FanIn(v.Name(), v.Shape()))
			if !ok {
				return fmt.Errorf("no spec for weight %s", v.Path())
			}
			if err := v.Set(v.Shape(), vals); err != nil {
				return err
			}
		}
	}
	return nil
}

// sizeFor is the --input-size flag, or the model's default size.
func sizeFor(model string, flagValue int) int {
	if flagValue > 0 {
		return flagValue
	}
	return zoo.DefaultSize(model)
}

// transferModel is the benchmark's transfer-learning model: the backbone
// without its top, the model's head layer (GlobalAveragePooling, Flatten for
// VGG), Dense(100, relu), Dense(2, softmax), compiled with Adam and
// categorical crossentropy.
func transferModel(name string, size int, frozen bool) (*nn.Model, error) {
	spec, err := zoo.Lookup(name)
	if err != nil {
		return nil, err
	}
	base, err := zoo.New(name, zoo.Options{InputShape: []int{size, size, 3}})
	if err != nil {
		return nil, err
	}
	if err := setSpecWeights(base); err != nil {
		return nil, err
	}
	base.SetTrainable(!frozen)
	x := base.Output()
	if spec.Head == zoo.HeadFlatten {
		x = nn.NewFlatten().Apply(x)
	} else {
		x = nn.NewGlobalAveragePooling2D().Apply(x)
	}
	x = nn.NewDense(100, nn.WithActivation("relu")).Apply(x)
	x = nn.NewDense(2, nn.WithActivation("softmax")).Apply(x)
	m, err := nn.NewModel(base.Inputs(), []*nn.Node{x})
	if err != nil {
		return nil, err
	}
	m.Compile(nn.NewAdam(nn.AdamConfig{}), nn.CategoricalCrossentropy{})
	return m, nil
}

// fastestSteps keeps, step by step, the run in which each step was fastest
// (a profile that other processes' interference disturbs least).
func fastestSteps(best, run []nn.LayerStats) []nn.LayerStats {
	if len(best) != len(run) {
		return run
	}
	for i := range run {
		if run[i].ForwardSeconds < best[i].ForwardSeconds {
			best[i] = run[i]
		}
	}
	return best
}

// printLayerProfile writes, on stderr, the forward time of every step with
// its share of the total and its GFLOP/s.
func printLayerProfile(stats []nn.LayerStats) {
	total := 0.0
	for _, s := range stats {
		total += s.ForwardSeconds
	}
	fmt.Fprintf(os.Stderr, "%-28s %-22s %9s %6s %8s\n", "layer", "class", "ms", "%", "GFLOP/s")
	for _, s := range stats {
		if s.Mode == "folded" || s.Mode == "fused" {
			continue
		}
		gf := 0.0
		if s.ForwardSeconds > 0 {
			gf = s.ForwardFLOPs / s.ForwardSeconds / 1e9
		}
		fmt.Fprintf(os.Stderr, "%-28s %-22s %9.3f %6.1f %8.1f\n", s.Layer, s.Class, s.ForwardSeconds*1e3, 100*s.ForwardSeconds/total, gf)
	}
	fmt.Fprintf(os.Stderr, "%-28s %-22s %9.3f\n", "total", "", total*1e3)
}
