package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/keelml/keel/kernels"
)

// ConvDirections are the passes the conv suite measures.
var ConvDirections = []string{"forward", "backward_input", "backward_weights"}

// ConvOptions configure the conv suite.
type ConvOptions struct {
	Common
	Models     []string // of ConvModels
	Directions []string // of ConvDirections
	Layers     []string // only layers whose name contains one of these (none: all)
	Batch      int
	Timing     Options
}

// Conv measures the conv kernels on the zoo models' layers, in each
// direction, and prints (table only) the machine's copy bandwidth, which
// bounds the depthwise layers.
func Conv(o ConvOptions, out Sink) error {
	var ls []ConvLayer
	for _, m := range o.Models {
		switch m = strings.TrimSpace(m); {
		case m == "":
		case slices.Contains(ConvModels, m):
			mls, err := suiteConvLayers(m, o.Batch)
			if err != nil {
				return err
			}
			ls = append(ls, mls...)
		default:
			return fmt.Errorf("--models: unknown model %q (have %s)", m, strings.Join(ConvModels, ", "))
		}
	}
	if len(o.Layers) > 0 {
		ls = slices.DeleteFunc(ls, func(l ConvLayer) bool {
			return !slices.ContainsFunc(o.Layers, func(k string) bool { return k != "" && strings.Contains(l.Name(), k) })
		})
	}
	var ds []string
	for _, d := range o.Directions {
		if d = strings.TrimSpace(d); !slices.Contains(ConvDirections, d) {
			return fmt.Errorf("--directions: unknown direction %q (have %s)", d, strings.Join(ConvDirections, ", "))
		}
		ds = append(ds, d)
	}
	o.Timing = o.Timing.withDefaults()
	copyBW := copyBandwidth()
	o.logf("copy bandwidth (read + write, 64 MiB): %.1f GB/s", copyBW)
	// Under JSON the copy bandwidth goes in each depthwise record
	// (copy_gbytes_per_s), so that every record is a layer.
	if err := out.Write(Record{Bench: "conv", Name: "memcopy_64MiB", Threads: 1, Seconds: 64 << 20 * 2 / copyBW / 1e9,
		GBytesPerS: copyBW, TableOnly: true}); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, t := range o.threads() {
		peak := PeakGFLOPS(o.Timing.Clock, t)
		o.logf("threads %d: FMA peak %.1f GFLOP/s (%s clock), kernels %s", t, peak, o.Timing.Clock, kernels.ActivePath())
		for _, l := range ls {
			for _, d := range ds {
				rec := convLayer(r, l, d, t, o.Timing)
				rec.PeakGFLOPS = peak
				if l.Depthwise {
					rec.Extra["copy_gbytes_per_s"] = copyBW
				}
				if err := out.Write(rec); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// convLayer times one layer in one direction at t threads.
func convLayer(r *rand.Rand, l ConvLayer, dir string, t int, o Options) Record {
	var fn func()
	var flops, bytes float64
	extra := map[string]any{"direction": dir, "model": l.Model, "layer": l.Layer, "kernels": string(kernels.ActivePath())}
	if l.Depthwise {
		p := l.DW
		oc := p.OutC()
		x := uniform(r, p.N*p.H*p.W*p.C, -1, 1)
		wt := uniform(r, p.KH*p.KW*oc, -1, 1)
		bias := uniform(r, oc, -1, 1)
		y := make([]float32, p.N*p.OutH()*p.OutW()*oc)
		flops = p.FLOPs()
		// Compulsory traffic: the input and output tensors (and the small weights).
		bytes = 4 * float64(len(x)+len(y)+len(wt))
		switch dir {
		case "forward":
			fn = func() { kernels.DepthwiseConv2D(p, x, wt, bias, l.Act, y) }
		case "backward_input":
			dx := make([]float32, len(x))
			fn = func() { kernels.DepthwiseConv2DBackwardInput(p, y, wt, dx) }
		case "backward_weights":
			dw, db := make([]float32, len(wt)), make([]float32, oc)
			fn = func() { kernels.DepthwiseConv2DBackwardWeights(p, x, y, dw, db) }
		}
		extra["h"], extra["w"], extra["c"], extra["k"], extra["stride"] = p.H, p.W, p.C, p.KH, p.StrideH
		extra["kind"] = "depthwise"
	} else {
		p := l.Conv
		x := uniform(r, p.N*p.H*p.W*p.C, -1, 1)
		wt := uniform(r, p.KH*p.KW*p.C*p.OutC, -1, 1)
		bias := uniform(r, p.OutC, -1, 1)
		y := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC)
		flops = p.FLOPs()
		switch dir {
		case "forward":
			pw := kernels.PackConvWeights(p, wt)
			fn = func() { kernels.Conv2DPacked(p, x, pw, bias, l.Act, y) }
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
	o.tag(extra)
	var secs float64
	WithThreads(t, func() { secs = Time(o, fn) })
	rec := Record{Bench: "conv", Name: l.Name(), Threads: t, Batch: l.batch(), Seconds: secs,
		GFLOPS: flops / secs / 1e9, Extra: extra}
	if l.Depthwise {
		rec.GBytesPerS = bytes / secs / 1e9
	}
	// The table has no direction column: its name says it, and the
	// algorithm when not the direct one.
	rec.Label = rec.Name + map[string]string{"forward": " fwd", "backward_input": " bwd-in", "backward_weights": " bwd-w"}[dir]
	if a, ok := extra["algorithm"].(string); ok && a != "direct" {
		rec.Label += " " + a
	}
	return rec
}
