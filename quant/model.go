package quant

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/keelml/keel/nn"
)

// The Keel class names of the quantized layers, as the saved model_config
// names them. Layers of any other class are Keras layers that run in
// float32 (the classifier head, and what the quantizer does not support).
const (
	classQuantize   = "KeelQuantize"   // float32 -> uint8 at a value's scale and zero point
	classDequantize = "KeelDequantize" // uint8 -> float32
	classConv       = "KeelQuantConv2D"
	classDepthwise  = "KeelQuantDepthwiseConv2D"
	classAdd        = "KeelQuantAdd"
	classReLU       = "KeelQuantReLU"
	classMaxPool    = "KeelQuantMaxPooling2D"
	classAvgPool    = "KeelQuantAveragePooling2D"
	classGAP        = "KeelQuantGlobalAveragePooling2D"
	classGMP        = "KeelQuantGlobalMaxPooling2D"
	classPad        = "KeelQuantZeroPadding2D"
	classReshape    = "KeelQuantReshape"
	// classBF16Conv is a Conv2D in bfloat16 (float32 activations, weights
	// rounded to bfloat16, float32 sums): BF16 models only, never saved.
	classBF16Conv = "KeelBF16Conv2D"
)

// qparams is a tensor's 8-bit quantization: real = scale * (q - zero).
type qparams struct {
	scale float32
	zero  int32
}

// value is a tensor of the quantized graph: uint8 with qparams, or float32.
type value struct {
	shape []int // per sample
	float bool
	q     qparams
	// src is the value of the float graph this one stands for (for the
	// error table); -1 if none is known (a loaded model).
	src int
}

func (v *value) size() int {
	n := 1
	for _, d := range v.shape {
		n *= d
	}
	return n
}

// op is one layer of the quantized graph.
type op struct {
	class string
	name  string
	in    []int
	out   int
	// what it computes, by source layer names ("conv1 + bn1 + relu1")
	from []string

	// Conv2D / DepthwiseConv2D: window, strides, dilation, explicit pads
	// (top, bottom, left, right), the fused activation and residual.
	kh, kw, sh, sw, dh, dw int
	pads                   [4]int
	act                    string // linear, relu or relu6
	residual               bool   // in[1] is added before the activation
	weights                []int8 // HWIO (Conv2D) or (KH, KW, C) (depthwise)
	wscale                 []float32
	bias                   []float32 // float32, BatchNormalization folded in
	fkernel                []float32 // a bf16 convolution's float32 HWIO kernel

	// pooling
	ph, pw   int
	same     bool
	keepDims bool

	// float32 layer: the Keras layer it runs (built when prepared, alone
	// in a one-layer model) and its weights.
	layer    nn.Layer
	fweights []fweight
	fm       *nn.Model

	rt any // prepared runtime state (packed weights, epilogue constants)
}

// fweight is one weight of a float32 layer.
type fweight struct {
	name  string
	shape []int
	data  []float32
}

// Model is a quantized model: a graph of int8 layers with uint8
// activations between them, and float32 layers where the quantizer keeps
// float (the head, unsupported layers), with quantize/dequantize layers
// between the two. Its NN method gives it as an nn.Model; Save writes it.
type Model struct {
	name   string
	values []value
	ops    []op
	input  int
	output int
	bf16   bool // a bfloat16 model (BF16): convolutions in bf16, the rest float32

	mu     sync.Mutex
	spaces map[int][]*workspace // idle workspaces per batch size
}

// InputShape is the per-sample shape the model takes.
func (m *Model) InputShape() []int { return slices.Clone(m.values[m.input].shape) }

// OutputShape is the per-sample shape of the model's output.
func (m *Model) OutputShape() []int { return slices.Clone(m.values[m.output].shape) }

// LayerInfo describes one layer of a quantized model.
type LayerInfo struct {
	Name  string   // the layer's name in the saved file
	Class string   // KeelQuantConv2D, ... or the Keras class of a float32 layer
	From  []string // the source layers it computes (BatchNormalization, activation and Add folded in)
	Int8  bool     // computed in int8 (false: float32, or a quantize/dequantize step)
}

// Layers lists the layers in execution order.
func (m *Model) Layers() []LayerInfo {
	var out []LayerInfo
	for _, o := range m.ops {
		out = append(out, LayerInfo{Name: o.name, Class: o.class, From: slices.Clone(o.from), Int8: isInt8(o.class)})
	}
	return out
}

func isInt8(class string) bool {
	return strings.HasPrefix(class, "KeelQuant") && class != classQuantize
}

// quantParams turns a calibrated range into uint8 parameters: the range
// widened to hold 0 exactly (zero padding and ReLU's floor are then exact).
func quantParams(lo, hi float64) qparams {
	lo, hi = min(lo, 0), max(hi, 0)
	if !(hi-lo > 1e-8) || math.IsInf(hi-lo, 0) {
		hi = lo + 1e-8
	}
	s := (hi - lo) / 255
	z := math.Round(-lo / s)
	z = min(max(z, 0), 255)
	return qparams{scale: float32(s), zero: int32(z)}
}

func (m *Model) String() string {
	return fmt.Sprintf("quant.Model %q (%d layers)", m.name, len(m.ops))
}
