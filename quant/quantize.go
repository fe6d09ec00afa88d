package quant

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"text/tabwriter"

	"github.com/keelml/keel/kernels"
	"github.com/keelml/keel/nn"
)

// Options configure Quantize.
type Options struct {
	// Method is MinMax or Percentile (the default).
	Method string
	// Percentile is the percentile of |x| Percentile clips at (default 99.99).
	Percentile float64
	// ErrorImages is how many calibration images the error table compares
	// on (default: all of them, at most 16).
	ErrorImages int
	// Progress, if set, gets one line per calibration step.
	Progress io.Writer
	// NoBiasCorrection turns off the correction of each convolution's bias
	// for the mean error its int8 weights make on its calibrated input
	// (bias -= (W_q - W) . E[x], per output channel).
	NoBiasCorrection bool
	// ReduceRange quantizes the Conv2D weights to 7 bits (-63..63, ONNX
	// Runtime's reduce_range) instead of 8: half the weight resolution, but
	// on CPUs without dot-product instructions (AVX2 without AVX-VNNI) the
	// int8 GEMM then multiplies with VPMADDUBSW, exactly (kernels.QWeights),
	// instead of widening to int16. ReduceRangeHelps says whether this CPU
	// gains from it.
	ReduceRange bool
}

// ReduceRangeHelps says whether the active kernels run 7-bit weights
// (Options.ReduceRange) on a faster int8 GEMM than 8-bit ones.
func ReduceRangeHelps() bool { return kernels.Int8PairsKernel() != "" }

func (o *Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "quantize: "+format+"\n", args...)
	}
}

// Report is what Quantize measured: per layer of the quantized model, the
// error of its output against the float model's on the calibration images.
type Report struct {
	Method     string       `json:"method"`
	Percentile float64      `json:"percentile,omitempty"`
	Images     int          `json:"calibration_images"`
	ErrImages  int          `json:"error_images"`
	Layers     []LayerError `json:"layers"`
}

// LayerError is one layer's row of the error table.
type LayerError struct {
	Name  string   `json:"name"`
	Class string   `json:"class"`
	From  []string `json:"from"`
	// Precision is int8, float32, or quantize/dequantize for the steps
	// between the two.
	Precision string `json:"precision"`
	// RelRMSE is sqrt(sum (q - f)^2 / sum f^2) over the error images, q the
	// layer's output dequantized, f the float model's value there: the
	// error accumulated from the input up to this layer.
	RelRMSE float64 `json:"rel_rms_error"`
	// LocalRelRMSE is the same error of the layer alone: its inputs are the
	// float model's values, quantized.
	LocalRelRMSE float64 `json:"local_rel_rms_error"`
}

// Quantize quantizes a float model with post-training static quantization,
// calibrated on images (a batch of preprocessed inputs, as the model takes
// them): weights int8, symmetric per output channel; activations uint8 per
// tensor; BatchNormalization folded into the convolution before it; bias,
// ReLU/ReLU6 and a residual Add fused into the convolution's requantizing
// epilogue. Conv2D, DepthwiseConv2D (depth multiplier 1), Add, ReLU,
// ZeroPadding2D, pooling, global pooling, Flatten and Reshape run in int8;
// any other layer (the Dense head, softmax, what the quantizer does not
// support) runs in float32 between a dequantize and a quantize step. The
// model must have one input and one output; nested models are inlined.
func Quantize(m *nn.Model, images *nn.Tensor, o Options) (*Model, *Report, error) {
	if o.Method == "" {
		o.Method = Percentile
	}
	if o.Method != MinMax && o.Method != Percentile {
		return nil, nil, fmt.Errorf("quant: method %q: want %s or %s", o.Method, MinMax, Percentile)
	}
	if o.Percentile == 0 {
		o.Percentile = 99.99
	}
	if !(o.Percentile > 0 && o.Percentile <= 100) {
		return nil, nil, fmt.Errorf("quant: percentile %v is not in (0, 100]", o.Percentile)
	}
	if images == nil || images.Batch() < 1 {
		return nil, nil, fmt.Errorf("quant: no calibration images")
	}
	g, err := flatten(m)
	if err != nil {
		return nil, nil, err
	}
	want := append([]int{images.Batch()}, g.values[g.input].shape...)
	if !equalInts(images.Shape, want) {
		return nil, nil, fmt.Errorf("quant: calibration images have shape %v, the model takes %v", images.Shape, want)
	}
	fm, names, err := g.floatModel()
	if err != nil {
		return nil, nil, err
	}
	ranges, means, err := calibrate(g, fm, names, images, o)
	if err != nil {
		return nil, nil, err
	}
	if o.NoBiasCorrection {
		means = nil
	}
	wmax := 127
	if o.ReduceRange {
		wmax = 63
	}
	qm, err := plan(g, ranges, means, m.Name(), wmax)
	if err != nil {
		return nil, nil, err
	}
	if err := qm.prepare(); err != nil {
		return nil, nil, fmt.Errorf("quant: %w", err)
	}
	rep := &Report{Method: o.Method, Images: images.Batch()}
	if o.Method == Percentile {
		rep.Percentile = o.Percentile
	}
	if err := qm.measure(g, fm, names, images, o, rep); err != nil {
		return nil, nil, err
	}
	return qm, rep, nil
}

func equalInts(a, b []int) bool { return slicesEqual(a, b) }

// BF16 converts a float model for bfloat16 inference: every Conv2D (groups
// 1), with the BatchNormalization, residual Add and ReLU after it folded in
// as for int8, multiplies float32 activations by weights rounded to
// bfloat16 with float32 sums (kernels.BF16Gemm: AVX512_BF16 where the CPU
// has it, kernels.BF16Available; else a Go twin giving the same results,
// slowly); every other layer runs in float32. No calibration is needed.
// A BF16 model runs (Run, NN) but is not saved.
func BF16(m *nn.Model) (*Model, error) {
	g, err := flatten(m)
	if err != nil {
		return nil, err
	}
	qm, err := newPlanner(g, nil, nil, m.Name(), true).run()
	if err != nil {
		return nil, err
	}
	if err := qm.prepare(); err != nil {
		return nil, fmt.Errorf("quant: %w", err)
	}
	return qm, nil
}

// measure fills the error table: every layer's output against the float
// model's value it stands for.
func (m *Model) measure(g *fgraph, fm *nn.Model, names []string, images *nn.Tensor, o Options, rep *Report) error {
	n := o.ErrorImages
	if n <= 0 {
		n = 16
	}
	n = min(n, images.Batch())
	rep.ErrImages = n
	num, den := make([]float64, len(m.ops)), make([]float64, len(m.ops))
	lnum := make([]float64, len(m.ops))
	ws := m.getWorkspace(1)
	defer m.putWorkspace(ws)
	deq := []float32{}
	for i := 0; i < n; i++ {
		x := images.Rows(i, i+1)
		refs, err := fm.RunLayers(names, x)
		if err != nil {
			return fmt.Errorf("quant: image %d: %w", i, err)
		}
		refOf := func(v *value) []float32 {
			if op := g.values[v.src].op; op >= 0 {
				return refs[op].Data
			}
			return x.Data
		}
		compare := func(k int, ws *workspace, num, den []float64) {
			o := &m.ops[k]
			v := &m.values[o.out]
			if v.src < 0 {
				return
			}
			ref := refOf(v)
			got := ws.f[o.out]
			if !v.float {
				deq = deq[:0]
				for _, q := range ws.q[o.out] {
					deq = append(deq, v.q.scale*float32(int32(q)-v.q.zero))
				}
				got = deq
			}
			for j := range ref {
				d := float64(got[j]) - float64(ref[j])
				num[k] += d * d
				if den != nil {
					den[k] += float64(ref[j]) * float64(ref[j])
				}
			}
		}
		if err := m.run(ws, x.Data, func(k int, ws *workspace) { compare(k, ws, num, den) }); err != nil {
			return err
		}
		// Each layer alone: its inputs set from the float values.
		for k := range m.ops {
			o := &m.ops[k]
			for _, iv := range o.in {
				v := &m.values[iv]
				if v.src < 0 {
					continue
				}
				if v.float {
					copy(ws.f[iv], refOf(v))
				} else {
					kernels.QuantizeU8(refOf(v), v.q.scale, v.q.zero, ws.q[iv])
				}
			}
			if err := m.runOp(o, ws, 1); err != nil {
				return err
			}
			compare(k, ws, lnum, nil)
		}
	}
	ratio := func(num, den float64) float64 {
		switch {
		case den > 0:
			return math.Sqrt(num / den)
		case num > 0:
			return math.Inf(1)
		}
		return 0
	}
	for k, op := range m.ops {
		rep.Layers = append(rep.Layers, LayerError{Name: op.name, Class: op.class, From: op.from, Precision: precision(op.class),
			RelRMSE: ratio(num[k], den[k]), LocalRelRMSE: ratio(lnum[k], den[k])})
	}
	return nil
}

func precision(class string) string {
	switch {
	case class == classBF16Conv:
		return "bf16"
	case class == classQuantize:
		return "quantize"
	case class == classDequantize:
		return "dequantize"
	case isInt8(class):
		return "int8"
	}
	return "float32"
}

// Print writes the error table, one layer a line.
func (r *Report) Print(w io.Writer) error {
	how := r.Method
	if r.Method == Percentile {
		how = fmt.Sprintf("%s %g", r.Method, r.Percentile)
	}
	fmt.Fprintf(w, "calibrated on %d images (%s); errors on %d images, relative RMS error of each layer's output against float32\n", r.Images, how, r.ErrImages)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "layer\tclass\tprecision\trel. RMS error\talone\tcomputes")
	for _, l := range r.Layers {
		note := strings.Join(l.From, " + ")
		if l.Precision == "float32" {
			note += " (not quantized: runs in float32)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4f\t%.4f\t%s\n", l.Name, l.Class, l.Precision, l.RelRMSE, l.LocalRelRMSE, note)
	}
	return tw.Flush()
}

// JSON is the report as JSON.
func (r *Report) JSON() ([]byte, error) {
	type alias Report
	a := alias(*r)
	for i, l := range a.Layers {
		if math.IsInf(l.RelRMSE, 0) || math.IsNaN(l.RelRMSE) {
			a.Layers[i].RelRMSE = -1
		}
		if math.IsInf(l.LocalRelRMSE, 0) || math.IsNaN(l.LocalRelRMSE) {
			a.Layers[i].LocalRelRMSE = -1
		}
	}
	return json.Marshal(a)
}

var lambdaSeq atomic.Uint64

// lambdaPrefix starts the Go function name of the Lambda NN builds.
const lambdaPrefix = "keel "

// PrecisionOf says what a model computes in: "int8" or "bf16" for one
// NN made (modelfile.Load of a quantized file), else "float32".
func PrecisionOf(m *nn.Model) string {
	for _, l := range m.Layers() {
		if l.ClassName() != "Lambda" {
			continue
		}
		fn, _ := l.Config()["function"].(string)
		for _, kind := range []string{"int8", "bf16"} {
			if strings.HasPrefix(fn, lambdaPrefix+kind+" graph ") {
				return kind
			}
		}
	}
	return "float32"
}

// NN returns the model as an nn.Model, runnable by Model.Run like any
// other: an input layer and one Lambda layer ("<name>_int8", or _bf16)
// that runs the quantized graph (PrecisionOf recognises it). It is for inference only: it has no trainable weights,
// gradients cannot pass through it (training a layer before it is an
// error), and it is saved with quant.Save, not modelfile.Save.
func (m *Model) NN() (*nn.Model, error) {
	kind := "int8"
	if m.bf16 {
		kind = "bf16"
	}
	key := fmt.Sprintf("%s%s graph %d (inference only)", lambdaPrefix, kind, lambdaSeq.Add(1))
	outShape := m.OutputShape()
	nn.RegisterLambda(key, nn.LambdaFunc{
		OutputShape: func(in [][]int) ([]int, error) {
			if len(in) != 1 || !slicesEqual(in[0], m.values[m.input].shape) {
				return nil, fmt.Errorf("the int8 graph takes one input of shape %v, got %v", m.values[m.input].shape, in)
			}
			return outShape, nil
		},
		Forward: m.forward,
	})
	defer nn.RegisterLambda(key, nn.LambdaFunc{})
	l, err := nn.LayerFromConfig("Lambda", nn.Config{"name": m.name + "_" + kind, "function_type": "function", "function": key})
	if err != nil {
		return nil, err
	}
	x := nn.Input(m.InputShape(), nn.WithName("input_1"))
	return nn.NewModel([]*nn.Node{x}, []*nn.Node{l.Apply(x)}, nn.WithName(m.name))
}

// forward is the Lambda's function: x the input batch, y the output.
func (m *Model) forward(x []*nn.Tensor, y *nn.Tensor) {
	n := x[0].Shape[0]
	ws := m.getWorkspace(n)
	defer m.putWorkspace(ws)
	if err := m.run(ws, x[0].Data, nil); err != nil {
		// prepare checked the graph; a float32 layer failing is all that
		// can happen here, and the Lambda has no error to return.
		for i := range y.Data {
			y.Data[i] = float32(math.NaN())
		}
		return
	}
	out := &m.values[m.output]
	if out.float {
		copy(y.Data, ws.f[m.output])
		return
	}
	for i, q := range ws.q[m.output] {
		y.Data[i] = out.q.scale * float32(int32(q)-out.q.zero)
	}
}

// Run computes a batch (n x the input shape) and returns the output batch.
func (m *Model) Run(x *nn.Tensor) (*nn.Tensor, error) {
	want := append([]int{x.Batch()}, m.values[m.input].shape...)
	if !equalInts(x.Shape, want) {
		return nil, fmt.Errorf("quant: input of shape %v, the model takes %v", x.Shape, want)
	}
	y := nn.NewTensor(append([]int{x.Batch()}, m.OutputShape()...)...)
	m.forward([]*nn.Tensor{x}, y)
	return y, nil
}
