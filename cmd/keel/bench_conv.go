package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/keelml/keel/bench"
	"github.com/keelml/keel/kernels"
)

func init() {
	registerBench(benchCommand{name: "conv", summary: "conv kernels: VGG16's 3x3 layers, MobileNet's depthwise and pointwise layers, ResNet50's distinct shapes, forward and backward", run: runBenchConv})
}

// convBenchLayer is one benchmarked layer: a convolution, or a depthwise
// convolution when depthwise is set.
type convBenchLayer struct {
	model, layer string
	depthwise    bool
	conv         kernels.ConvParams
	dw           kernels.DepthwiseParams
	act          kernels.Activation
}

func (l convBenchLayer) name() string { return l.model + "/" + l.layer }

func sameConv(n, hw, cin, k, cout, stride int) kernels.ConvParams {
	p := kernels.ConvParams{N: n, H: hw, W: hw, C: cin, KH: k, KW: k, OutC: cout, StrideH: stride, StrideW: stride}
	p.PadTop, p.PadBottom = kernels.SamePadding(hw, k, stride, 1)
	p.PadLeft, p.PadRight = kernels.SamePadding(hw, k, stride, 1)
	return p
}

// vgg16Layers are the 13 conv layers of VGG16 at 224x224 (3x3, same, ReLU).
func vgg16Layers(batch int) []convBenchLayer {
	var ls []convBenchLayer
	blocks := []struct{ hw, n, cout int }{{224, 2, 64}, {112, 2, 128}, {56, 3, 256}, {28, 3, 512}, {14, 3, 512}}
	cin := 3
	for b, blk := range blocks {
		for i := 0; i < blk.n; i++ {
			ls = append(ls, convBenchLayer{model: "vgg16", layer: fmt.Sprintf("block%d_conv%d", b+1, i+1),
				conv: sameConv(batch, blk.hw, cin, 3, blk.cout, 1), act: kernels.ActReLU})
			cin = blk.cout
		}
	}
	return ls
}

// mobilenetLayers are MobileNet v1 (alpha 1, 224x224): conv1, then the
// depthwise (conv_dw_i, 3x3, stride 1 or 2 with TF same padding, which equals
// Keras' ZeroPadding2D((0,1),(0,1)) + valid) and pointwise (conv_pw_i, 1x1)
// layer of each block. Their ReLU6 is fused as the folded BN + ReLU6 would be.
func mobilenetLayers(batch int) []convBenchLayer {
	ls := []convBenchLayer{{model: "mobilenet", layer: "conv1", conv: sameConv(batch, 224, 3, 3, 32, 2), act: kernels.ActReLU6}}
	blocks := []struct{ stride, out int }{{1, 64}, {2, 128}, {1, 128}, {2, 256}, {1, 256}, {2, 512},
		{1, 512}, {1, 512}, {1, 512}, {1, 512}, {1, 512}, {2, 1024}, {1, 1024}}
	hw, c := 112, 32
	for i, b := range blocks {
		dw := kernels.DepthwiseParams{N: batch, H: hw, W: hw, C: c, KH: 3, KW: 3, Multiplier: 1, StrideH: b.stride, StrideW: b.stride}
		dw.PadTop, dw.PadBottom = kernels.SamePadding(hw, 3, b.stride, 1)
		dw.PadLeft, dw.PadRight = kernels.SamePadding(hw, 3, b.stride, 1)
		ls = append(ls, convBenchLayer{model: "mobilenet", layer: fmt.Sprintf("conv_dw_%d", i+1), depthwise: true, dw: dw, act: kernels.ActReLU6})
		hw = dw.OutH()
		ls = append(ls, convBenchLayer{model: "mobilenet", layer: fmt.Sprintf("conv_pw_%d", i+1), conv: sameConv(batch, hw, c, 1, b.out, 1), act: kernels.ActReLU6})
		c = b.out
	}
	return ls
}

// resnet50Layers are the distinct conv layers of ResNet50 (current Keras
// graph, 224x224): conv1_conv (7x7 stride 2, valid on the 3-pixel zero-padded
// input), then block 1 of each stage (its stride-2 1x1 convs and shortcut)
// and block 2 (the stage's repeated shapes). BN is folded, so each conv has
// a bias; ReLU is fused where Keras applies it right after the BN.
func resnet50Layers(batch int) []convBenchLayer {
	conv1 := kernels.ConvParams{N: batch, H: 230, W: 230, C: 3, KH: 7, KW: 7, OutC: 64, StrideH: 2, StrideW: 2}
	ls := []convBenchLayer{{model: "resnet50", layer: "conv1_conv", conv: conv1, act: kernels.ActReLU}}
	stages := []struct{ hw, f, stride int }{{56, 64, 1}, {28, 128, 2}, {14, 256, 2}, {7, 512, 2}}
	in, inHW := 64, 56
	for i, st := range stages {
		name := func(b, c int) string { return fmt.Sprintf("conv%d_block%d_%d_conv", i+2, b, c) }
		ls = append(ls,
			convBenchLayer{model: "resnet50", layer: name(1, 0), conv: sameConv(batch, inHW, in, 1, 4*st.f, st.stride)},
			convBenchLayer{model: "resnet50", layer: name(1, 1), conv: sameConv(batch, inHW, in, 1, st.f, st.stride), act: kernels.ActReLU},
			convBenchLayer{model: "resnet50", layer: name(1, 2), conv: sameConv(batch, st.hw, st.f, 3, st.f, 1), act: kernels.ActReLU},
			convBenchLayer{model: "resnet50", layer: name(1, 3), conv: sameConv(batch, st.hw, st.f, 1, 4*st.f, 1)},
			convBenchLayer{model: "resnet50", layer: name(2, 1), conv: sameConv(batch, st.hw, 4*st.f, 1, st.f, 1), act: kernels.ActReLU},
		)
		in, inHW = 4*st.f, st.hw
	}
	return ls
}

var convDirections = []string{"forward", "backward_input", "backward_weights"}

func runBenchConv(args []string) error {
	fs := flag.NewFlagSet("bench conv", flag.ContinueOnError)
	bf := addBenchFlags(fs)
	models := fs.String("models", "vgg16,mobilenet", "models, comma-separated: vgg16, mobilenet, resnet50")
	dirs := fs.String("directions", strings.Join(convDirections, ","), "directions, comma-separated: "+strings.Join(convDirections, ", "))
	layers := fs.String("layers", "", "only layers whose name contains one of these, comma-separated (e.g. block3_conv2,conv_dw_6)")
	batch := fs.Int("batch", 1, "batch size")
	samples := fs.Int("samples", 3, "timed samples per figure (the median is reported)")
	minSample := fs.Duration("min-sample", 30*time.Millisecond, "each sample repeats the call at least this long")
	stat := fs.String("stat", "median", statUsage)
	clock := fs.String("clock", "wall", clockUsage)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	var ls []convBenchLayer
	for _, m := range strings.Split(*models, ",") {
		switch strings.TrimSpace(m) {
		case "vgg16":
			ls = append(ls, vgg16Layers(*batch)...)
		case "mobilenet":
			ls = append(ls, mobilenetLayers(*batch)...)
		case "resnet50":
			ls = append(ls, resnet50Layers(*batch)...)
		case "":
		default:
			return fmt.Errorf("--models: unknown model %q (have vgg16, mobilenet, resnet50)", m)
		}
	}
	if *layers != "" {
		keep := strings.Split(*layers, ",")
		ls = slices.DeleteFunc(ls, func(l convBenchLayer) bool {
			return !slices.ContainsFunc(keep, func(k string) bool { return k != "" && strings.Contains(l.name(), k) })
		})
	}
	var ds []string
	for _, d := range strings.Split(*dirs, ",") {
		d = strings.TrimSpace(d)
		if !slices.Contains(convDirections, d) {
			return fmt.Errorf("--directions: unknown direction %q (have %s)", d, strings.Join(convDirections, ", "))
		}
		ds = append(ds, d)
	}
	opts := bench.Options{Samples: *samples, MinSample: *minSample}
	if err := checkClockFlags(*stat, *clock, bf.threads); err != nil {
		return err
	}
	w := bf.writer()
	copyBW := copyBandwidth()
	progress("copy bandwidth (read + write, 64 MiB): %.1f GB/s", copyBW)
	if !bf.json {
		// Under --json the copy bandwidth goes in each depthwise record
		// (copy_gbytes_per_s), so that every record is a layer.
		if err := w.Write(bench.Record{Bench: "conv", Name: "memcopy_64MiB", Threads: 1, Seconds: 64 << 20 * 2 / copyBW / 1e9,
			GBytesPerS: copyBW}); err != nil {
			return err
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, t := range bf.threadCounts() {
		var peak float64
		if *clock == "thread" {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			peak = threadPeakGFLOPS()
		} else {
			peak = bench.PeakGFLOPS(t)
		}
		progress("threads %d: FMA peak %.1f GFLOP/s (%s clock), kernels %s", t, peak, *clock, kernels.ActivePath())
		for _, l := range ls {
			for _, d := range ds {
				rec, err := benchConvLayer(r, l, d, t, opts, *clock == "thread", *stat == "min")
				if err != nil {
					return err
				}
				rec.PeakGFLOPS = peak
				if !bf.json {
					// The table has no direction column: say it in the name.
					rec.Name += map[string]string{"forward": " fwd", "backward_input": " bwd-in", "backward_weights": " bwd-w"}[d]
					if a, ok := rec.Extra["algorithm"].(string); ok && a != "direct" {
						rec.Name += " " + a
					}
				}
				if l.depthwise {
					rec.Extra["copy_gbytes_per_s"] = copyBW
				}
				if err := w.Write(rec); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// benchConvLayer times one layer in one direction at t threads.
func benchConvLayer(r *rand.Rand, l convBenchLayer, dir string, t int, opts bench.Options, threadClock, fastest bool) (bench.Record, error) {
	var fn func()
	var flops, bytes float64
	extra := map[string]any{"direction": dir, "model": l.model, "layer": l.layer, "kernels": string(kernels.ActivePath())}
	if l.depthwise {
		p := l.dw
		oc := p.OutC()
		x := randFloats(r, p.N*p.H*p.W*p.C)
		wt := randFloats(r, p.KH*p.KW*oc)
		bias := randFloats(r, oc)
		y := make([]float32, p.N*p.OutH()*p.OutW()*oc)
		dx := make([]float32, len(x))
		dw, db := make([]float32, len(wt)), make([]float32, oc)
		flops = p.FLOPs()
		// Compulsory traffic: the input and output tensors (and the small weights).
		bytes = 4 * float64(len(x)+len(y)+len(wt))
		switch dir {
		case "forward":
			fn = func() { kernels.DepthwiseConv2D(p, x, wt, bias, l.act, y) }
		case "backward_input":
			fn = func() { kernels.DepthwiseConv2DBackwardInput(p, y, wt, dx) }
		case "backward_weights":
			fn = func() { kernels.DepthwiseConv2DBackwardWeights(p, x, y, dw, db) }
		}
		extra["h"], extra["w"], extra["c"], extra["k"], extra["stride"] = p.H, p.W, p.C, p.KH, p.StrideH
		extra["kind"] = "depthwise"
	} else {
		p := l.conv
		x := randFloats(r, p.N*p.H*p.W*p.C)
		wt := randFloats(r, p.KH*p.KW*p.C*p.OutC)
		bias := randFloats(r, p.OutC)
		y := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC)
		flops = p.FLOPs()
		switch dir {
		case "forward":
			pw := kernels.PackConvWeights(p, wt)
			fn = func() { kernels.Conv2DPacked(p, x, pw, bias, l.act, y) }
		case "backward_input":
			dx := make([]float32, len(x))
			fn = func() { kernels.Conv2DBackwardInput(p, y, wt, dx) }
		case "backward_weights":
			dw, db := make([]float32, len(wt)), make([]float32, p.OutC)
			fn = func() { kernels.Conv2DBackwardWeights(p, x, y, dw, db) }
		}
		extra["h"], extra["w"], extra["cin"], extra["cout"], extra["k"], extra["stride"] = p.H, p.W, p.C, p.OutC, p.KH, p.StrideH
		extra["kind"] = "conv"
		if dir == "forward" {
			// GFLOP/s count the direct algorithm's FLOPs; say which ran.
			extra["algorithm"] = kernels.ConvAlgorithm(p)
		}
	}
	var secs float64
	_ = withThreads(t, func() error {
		stat, clock := "median", "wall"
		if fastest {
			stat = "min"
		}
		if threadClock {
			clock = "thread"
			extra["clock"] = "thread"
		}
		secs = timeCalls(opts, fn, stat, clock)
		if fastest {
			extra["stat"] = "min"
		}
		return nil
	})
	rec := bench.Record{Bench: "conv", Name: l.name(), Threads: t, Batch: batchOf(l), Seconds: secs,
		GFLOPS: flops / secs / 1e9, Extra: extra}
	if l.depthwise {
		rec.GBytesPerS = bytes / secs / 1e9
	}
	return rec, nil
}

// The --stat and --clock flags of the suites that time on a shared machine.
const (
	statUsage  = "median: the median sample (the suites' rule); min: the fastest sample, which filters out other processes' interference on a shared machine"
	clockUsage = "wall: elapsed time; thread: the thread's CPU time (1 thread only, Linux), which leaves out the time other processes take the core on a shared machine"
)

// checkClockFlags validates --stat and --clock (the thread clock needs one
// thread and a thread CPU clock).
func checkClockFlags(stat, clock string, threads int) error {
	if stat != "median" && stat != "min" {
		return fmt.Errorf("--stat: %q is neither median nor min", stat)
	}
	switch clock {
	case "wall":
	case "thread":
		if _, ok := threadCPUTime(); !ok {
			return fmt.Errorf("--clock thread: no thread CPU clock on this system")
		}
		if threads != 1 {
			return fmt.Errorf("--clock thread measures one thread: add --threads 1")
		}
	default:
		return fmt.Errorf("--clock: %q is neither wall nor thread", clock)
	}
	return nil
}

// timeCalls times fn by the --stat and --clock rules, in seconds per call;
// with the thread clock the caller has locked its OS thread.
func timeCalls(opts bench.Options, fn func(), stat, clock string) float64 {
	fastest := stat == "min"
	switch {
	case clock == "thread":
		return sampleTimes(opts, fn, fastest, func() time.Duration { d, _ := threadCPUTime(); return d })
	case fastest:
		start := time.Now()
		return sampleTimes(opts, fn, true, func() time.Duration { return time.Since(start) })
	}
	return bench.Median(opts, fn)
}

func batchOf(l convBenchLayer) int {
	if l.depthwise {
		return l.dw.N
	}
	return l.conv.N
}

// sampleTimes times fn as bench.Median does, on the clock now (the thread's
// CPU time, or elapsed time), and returns the median sample, or the fastest
// when fastest is set, in seconds per call. With the thread clock the caller
// has locked its OS thread and runs the kernels on one thread, so that all
// their work is on this thread.
func sampleTimes(o bench.Options, fn func(), fastest bool, now func() time.Duration) float64 {
	samples := max(o.Samples, 1)
	minSample := o.MinSample
	if minSample <= 0 {
		minSample = 50 * time.Millisecond
	}
	fn()
	per := make([]float64, samples)
	for s := range per {
		calls := 0
		start := now()
		for {
			fn()
			calls++
			if el := now() - start; el >= minSample {
				per[s] = el.Seconds() / float64(calls)
				break
			}
		}
	}
	slices.Sort(per)
	if fastest {
		return per[0]
	}
	return per[len(per)/2]
}

// threadPeakGFLOPS is the single-thread FMA peak on the thread CPU clock
// (best of 7).
func threadPeakGFLOPS() float64 {
	best := 0.0
	for i := 0; i < 7; i++ {
		t0, _ := threadCPUTime()
		flops := kernels.PeakFlopsLoop(2_000_000)
		t1, _ := threadCPUTime()
		if d := (t1 - t0).Seconds(); d > 0 {
			best = max(best, flops/d/1e9)
		}
	}
	return best
}

// copyBandwidth measures a single-threaded copy of 64 MiB: bytes read plus
// bytes written per second, in GB/s (best of 5).
func copyBandwidth() float64 {
	const n = 16 << 20
	src, dst := make([]float32, n), make([]float32, n)
	for i := range src {
		src[i] = float32(i)
	}
	copy(dst, src)
	best := 0.0
	for i := 0; i < 5; i++ {
		start := time.Now()
		copy(dst, src)
		best = max(best, 2*4*n/time.Since(start).Seconds()/1e9)
	}
	return best
}
