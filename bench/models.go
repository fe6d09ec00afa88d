package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/debug"

	"github.com/keelml/keel/internal/specweights"
	"github.com/keelml/keel/kernels"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/quant"
	"github.com/keelml/keel/zoo"
)

// DefaultModels are the classifiers the models suite times by default: those
// the reference runtimes ran.
var DefaultModels = []string{"vgg16", "vgg19", "resnet50", "mobilenet", "mobilenet_v2"}

// DefaultTrainModels are the models the train suite times by default.
var DefaultTrainModels = []string{"mobilenet", "mobilenet_v2", "resnet50", "vgg16"}

// ModelsOptions configure the models suite.
type ModelsOptions struct {
	Common
	Models    []string // zoo names
	Batch     int      // images per forward pass
	InputSize int      // input height and width (0: each model's default)
	Timing    Options
	Layers    bool // also print on Progress the time of every layer (its fastest run)
	// Precision is float32 (the default), int8 (the model quantized with
	// package quant, calibrated on a few synthetic inputs of the timed
	// distribution, then timed) or bf16 (quant.BF16: convolutions with
	// bfloat16 weights and float32 sums, the rest float32).
	Precision string
	// Cold, if set, also times cold starts (see coldStarts) with the
	// children it makes; float32 only.
	Cold ColdCommand
}

// calibrationInputs is how many synthetic inputs an int8 model is
// calibrated on before it is timed.
const calibrationInputs = 4

// withPrecision returns m at the precision asked for.
func withPrecision(m *nn.Model, precision string, r *rand.Rand, size int, notices io.Writer) (*nn.Model, error) {
	switch precision {
	case "", "float32":
		return m, nil
	case "int8":
		calib := RandomTensor(r, -120, 130, calibrationInputs, size, size, 3)
		// 7-bit weights where the CPU's int8 GEMM runs them faster (as
		// ONNX Runtime's reduce_range on CPUs without VNNI).
		reduce := quant.ReduceRangeHelps()
		if reduce && notices != nil {
			fmt.Fprintf(notices, "quantize: 7-bit Conv2D weights (reduce range: %s)\n", kernels.Int8PairsKernel())
		}
		qm, _, err := quant.Quantize(m, calib, quant.Options{ErrorImages: 1, Progress: notices, ReduceRange: reduce})
		if err != nil {
			return nil, err
		}
		return qm.NN()
	case "bf16":
		bm, err := quant.BF16(m)
		if err != nil {
			return nil, err
		}
		if !kernels.BF16Available() {
			fmt.Fprintln(notices, "models: this CPU has no AVX512_BF16: bf16 runs the Go twin of the kernel (same results, slow)")
		}
		return bm.NN()
	}
	return nil, fmt.Errorf("precision %q: want float32, int8 or bf16", precision)
}

// Classifier is zoo model name with its top at size x size, with the spec's
// weights (pretrained-like scales: see specweights.Apply).
func Classifier(name string, size int, notices io.Writer) (*nn.Model, error) {
	m, err := zoo.New(name, zoo.Options{IncludeTop: true, InputShape: []int{size, size, 3}, Notices: notices})
	if err != nil {
		return nil, err
	}
	return m, specweights.Apply(m)
}

// Models times the forward pass of the zoo's full classifiers.
//
// Each record has, on Linux, peak_rss_bytes: the process's peak resident set
// size (VmHWM) from just before the model was built to the end of its timed
// runs at the record's thread count. The mark is reset before each model
// (clear_refs, after returning the heap's garbage to the system), so that
// with several models each record has its own; where the kernel refuses the
// reset the figure is the process's peak so far. Elsewhere it is omitted.
func Models(o ModelsOptions, out Sink) error {
	o.Timing = o.Timing.withDefaults()
	precision := o.Precision
	if precision == "" {
		precision = "float32"
	}
	if o.Cold != nil && precision != "float32" {
		return fmt.Errorf("cold starts load a saved float32 model: precision %s has no model file", precision)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, name := range o.Models {
		resetPeakRSS() // a refusal leaves the process's peak
		size := sizeFor(name, o.InputSize)
		fm, err := Classifier(name, size, o.progress())
		if err != nil {
			return err
		}
		flops := 2 * float64(zoo.MACs(fm)) * float64(o.Batch)
		m, err := withPrecision(fm, precision, rand.New(rand.NewPCG(3, 4)), size, o.progress())
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		// Preprocessed inputs are centred values of a few tens.
		x := RandomTensor(r, -120, 130, o.Batch, size, size, 3)
		var recs []Record // written once the cold starts, if any, are timed
		for _, t := range o.threads() {
			peak := PeakGFLOPS(o.Timing.Clock, t)
			o.logf("models: %s batch %d, %d threads", name, o.Batch, t)
			var runErr error
			var secs float64
			var fastest []nn.LayerStats // per layer, its fastest run
			WithThreads(t, func() {
				secs = Time(o.Timing, func() {
					if _, err := m.Run(x); err != nil && runErr == nil {
						runErr = err
					}
					if o.Layers {
						fastest = fastestSteps(fastest, m.StepStats())
					}
				})
			})
			if runErr != nil {
				return fmt.Errorf("%s: %w", name, runErr)
			}
			if o.Layers {
				printLayerProfile(o.progress(), fastest)
			}
			extra := map[string]any{"model": name, "input_size": size, "precision": precision}
			o.Timing.tag(extra)
			rec := Record{Bench: "models", Name: name, Threads: t, Batch: o.Batch, Seconds: secs,
				GFLOPS: flops / secs / 1e9, PeakGFLOPS: peak, PeakRSSBytes: peakRSS(), Extra: extra}
			recs = append(recs, rec)
		}
		if o.Cold != nil {
			if err := o.coldStarts(name, fm, size, recs); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		for _, rec := range recs {
			if err := out.Write(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// coldStarts saves fm, the model recs measured, to a model file and adds
// to each record the cold-start figures at its thread count: load_seconds
// (from starting a fresh process to its first prediction's end, the median
// of the samples), read_seconds (the median time to read the file's bytes,
// with the same warm page cache), load_ratio (the first over the second)
// and, where known, load_peak_rss_bytes (the children's peak RSS).
func (o ModelsOptions) coldStarts(name string, fm *nn.Model, size int, recs []Record) error {
	dir, err := os.MkdirTemp("", "keel-cold-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path, err := saveCold(dir, name, fm, size)
	if err != nil {
		return err
	}
	debug.FreeOSMemory() // the children run beside a parent without the model (dead from here)
	for i, rec := range recs {
		o.logf("models: %s cold start, %d threads", name, rec.Threads)
		f, err := timeCold(o.Cold, path, rec.Threads, o.Timing.Samples)
		if err != nil {
			return err
		}
		recs[i].Extra["load_seconds"] = f.load
		recs[i].Extra["read_seconds"] = f.read
		recs[i].Extra["load_ratio"] = f.load / f.read
		recs[i].Note = fmt.Sprintf("  cold start %.3f s: %.2fx the %.3f s read of its file", f.load, f.load/f.read, f.read)
		if f.peakRSS > 0 {
			recs[i].Extra["load_peak_rss_bytes"] = f.peakRSS
			recs[i].Note += fmt.Sprintf(", peak RSS %.0f MB", float64(f.peakRSS)/1e6)
		}
	}
	return nil
}

// TrainOptions configure the train suite.
type TrainOptions struct {
	Common
	Models    []string // zoo names
	Frozen    bool     // backbone frozen, head trained; else everything trained
	Batch     int      // images per step
	Samples   int      // timed steps (the median is reported)
	InputSize int      // input height and width (0: each model's default)
}

// Train times one transfer-learning training step: forward, backward, Adam.
func Train(o TrainOptions, out Sink) error {
	regime := "full"
	if o.Frozen {
		regime = "frozen"
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, name := range o.Models {
		size := sizeFor(name, o.InputSize)
		m, err := transferModel(name, size, o.Frozen, o.progress())
		if err != nil {
			return err
		}
		x := RandomTensor(r, -1, 1, o.Batch, size, size, 3)
		y := nn.NewTensor(o.Batch, 2)
		for i := 0; i < o.Batch; i++ {
			y.Data[i*2+i%2] = 1
		}
		for _, t := range o.threads() {
			peak := PeakGFLOPS(Wall, t)
			o.logf("train: %s %s batch %d, %d threads", name, regime, o.Batch, t)
			var stepErr error
			var secs float64
			WithThreads(t, func() {
				secs = Time(Options{Samples: o.Samples, MinSample: 1}, func() {
					if _, err := m.TrainStep(x, y); err != nil && stepErr == nil {
						stepErr = err
					}
				})
			})
			if stepErr != nil {
				return fmt.Errorf("%s: %w", name, stepErr)
			}
			rec := Record{Bench: "train", Name: name + "/" + regime, Threads: t, Batch: o.Batch, Seconds: secs,
				PeakGFLOPS: peak, Extra: map[string]any{"model": name, "regime": regime}}
			if err := out.Write(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// sizeFor is size, or the model's default size.
func sizeFor(model string, size int) int {
	if size > 0 {
		return size
	}
	return zoo.DefaultSize(model)
}

// transferModel is the benchmark's transfer-learning model: the backbone
// without its top, the model's head layer (GlobalAveragePooling, Flatten for
// VGG), Dense(100, relu), Dense(2, softmax), compiled with Adam and
// categorical crossentropy.
func transferModel(name string, size int, frozen bool, notices io.Writer) (*nn.Model, error) {
	spec, err := zoo.Lookup(name)
	if err != nil {
		return nil, err
	}
	base, err := zoo.New(name, zoo.Options{InputShape: []int{size, size, 3}, Notices: notices})
	if err != nil {
		return nil, err
	}
	if err := specweights.Apply(base); err != nil {
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

// printLayerProfile writes the forward time of every step with its share of
// the total and its GFLOP/s.
func printLayerProfile(w io.Writer, stats []nn.LayerStats) {
	total := 0.0
	for _, s := range stats {
		total += s.ForwardSeconds
	}
	fmt.Fprintf(w, "%-28s %-22s %9s %6s %8s\n", "layer", "class", "ms", "%", "GFLOP/s")
	for _, s := range stats {
		if s.Mode == "folded" || s.Mode == "fused" {
			continue
		}
		gf := 0.0
		if s.ForwardSeconds > 0 {
			gf = s.ForwardFLOPs / s.ForwardSeconds / 1e9
		}
		fmt.Fprintf(w, "%-28s %-22s %9.3f %6.1f %8.1f\n", s.Layer, s.Class, s.ForwardSeconds*1e3, 100*s.ForwardSeconds/total, gf)
	}
	fmt.Fprintf(w, "%-28s %-22s %9.3f\n", "total", "", total*1e3)
}
