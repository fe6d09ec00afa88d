package bench

import (
	"io"
	"slices"
	"strings"

	"github.com/keelml/keel/kernels"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
)

// ConvLayer is one convolution of a zoo model as the kernels run it at
// inference: a Conv2D, or a DepthwiseConv2D when Depthwise is set.
type ConvLayer struct {
	Model, Layer string
	Depthwise    bool
	Conv         kernels.ConvParams      // unless Depthwise
	DW           kernels.DepthwiseParams // if Depthwise
	// Act is the activation fused into the kernel: the layer's own, or the
	// ReLU that follows its BatchNormalization (folded at inference).
	Act kernels.Activation
}

// Name is "model/layer".
func (l ConvLayer) Name() string { return l.Model + "/" + l.Layer }

func (l ConvLayer) batch() int {
	if l.Depthwise {
		return l.DW.N
	}
	return l.Conv.N
}

// ConvLayers builds zoo model name (without its top) at size x size and
// returns its Conv2D and DepthwiseConv2D layers at batch n, in the model's
// order.
func ConvLayers(name string, size, n int) ([]ConvLayer, error) {
	m, err := zoo.New(name, zoo.Options{InputShape: []int{size, size, 3}, Notices: io.Discard})
	if err != nil {
		return nil, err
	}
	readers := map[*nn.Node][]*nn.Node{}
	for _, l := range m.Layers() {
		for _, out := range l.InboundNodes() {
			for _, in := range out.Inputs() {
				readers[in] = append(readers[in], out)
			}
		}
	}
	var ls []ConvLayer
	for _, l := range m.Layers() {
		class := l.ClassName()
		if class != "Conv2D" && class != "DepthwiseConv2D" {
			continue
		}
		out := l.InboundNodes()[0]
		cfg := l.Config()
		k, s, d := cfg["kernel_size"].([]int), cfg["strides"].([]int), cfg["dilation_rate"].([]int)
		in := out.Inputs()[0]
		hwc := in.Shape()
		pad := [4]int{}
		if cfg["padding"] == "same" {
			pad = samePads(hwc, k, s, d)
		} else if zp, ok := in.Layer().(*nn.ZeroPadding2D); ok {
			// Keras spells TF's same padding out as a ZeroPadding2D before a
			// valid window (MobileNet's conv_pad_N); it is that same-padded
			// layer. Other paddings (ResNet's conv1_pad) stay in the input.
			orig := in.Inputs()[0].Shape()
			zpp := zp.Config()["padding"].([][]int)
			if p := [4]int{zpp[0][0], zpp[0][1], zpp[1][0], zpp[1][1]}; p == samePads(orig, k, s, d) {
				hwc, pad = orig, p
			}
		}
		c := ConvLayer{Model: name, Layer: l.Name(), Depthwise: class == "DepthwiseConv2D", Act: fusedAct(cfg, out, readers)}
		mult, _ := cfg["depth_multiplier"].(int)
		if g, _ := cfg["groups"].(int); g > 1 {
			// Keras 3's grouped Conv2D: with one input channel per group
			// (ConvNeXt) nn runs it as a depthwise convolution; other
			// groups are several small convolutions, not measured here.
			if g != hwc[2] {
				continue
			}
			c.Depthwise, mult = true, cfg["filters"].(int)/g
		}
		if c.Depthwise {
			c.DW = kernels.DepthwiseParams{N: n, H: hwc[0], W: hwc[1], C: hwc[2], KH: k[0], KW: k[1],
				Multiplier: mult, StrideH: s[0], StrideW: s[1], DilationH: d[0], DilationW: d[1],
				PadTop: pad[0], PadBottom: pad[1], PadLeft: pad[2], PadRight: pad[3]}
		} else {
			c.Conv = kernels.ConvParams{N: n, H: hwc[0], W: hwc[1], C: hwc[2], KH: k[0], KW: k[1],
				OutC: cfg["filters"].(int), StrideH: s[0], StrideW: s[1], DilationH: d[0], DilationW: d[1],
				PadTop: pad[0], PadBottom: pad[1], PadLeft: pad[2], PadRight: pad[3]}
		}
		ls = append(ls, c)
	}
	return ls, nil
}

// samePads is TF's same padding (top, bottom, left, right) of an h x w x c input.
func samePads(hwc, k, s, d []int) [4]int {
	var p [4]int
	p[0], p[1] = kernels.SamePadding(hwc[0], k[0], s[0], d[0])
	p[2], p[3] = kernels.SamePadding(hwc[1], k[1], s[1], d[1])
	return p
}

// fusedAct is the layer's activation, or else that of an activation layer
// reading its output, through BatchNormalizations, alone.
func fusedAct(cfg map[string]any, out *nn.Node, readers map[*nn.Node][]*nn.Node) kernels.Activation {
	if cfg["activation"] != "linear" {
		return activationNamed(cfg["activation"])
	}
	for {
		next := readers[out]
		if len(next) != 1 {
			return kernels.ActNone
		}
		l := next[0].Layer()
		switch l.ClassName() {
		case "BatchNormalization":
			out = next[0]
			continue
		case "Activation":
			return activationNamed(l.Config()["activation"])
		case "ReLU":
			c := l.Config()
			if c["negative_slope"] != 0.0 || c["threshold"] != 0.0 {
				return kernels.ActNone
			}
			switch c["max_value"] {
			case nil:
				return kernels.ActReLU
			case 6.0:
				return kernels.ActReLU6
			}
		}
		return kernels.ActNone
	}
}

func activationNamed(name any) kernels.Activation {
	switch name {
	case "relu":
		return kernels.ActReLU
	case "relu6":
		return kernels.ActReLU6
	}
	return kernels.ActNone
}

// distinct keeps the layers that keep says to, and the first of every
// other shape.
func distinct(ls []ConvLayer, keep func(ConvLayer) bool) []ConvLayer {
	type shape struct {
		dw   bool
		conv kernels.ConvParams
		d    kernels.DepthwiseParams
		act  kernels.Activation
	}
	seen := map[shape]bool{}
	var out []ConvLayer
	for _, l := range ls {
		s := shape{l.Depthwise, l.Conv, l.DW, l.Act}
		if keep(l) || !seen[s] {
			out = append(out, l)
		}
		seen[s] = true
	}
	return out
}

// ConvModels are the models the conv suite measures.
var ConvModels = []string{"vgg16", "mobilenet", "resnet50"}

// suiteConvLayers are the layers of model the conv suite measures, at
// 224x224: all of VGG16's and MobileNet's. ResNet50 repeats its blocks, so
// conv1, each stage's first block (its strided convs and shortcut) and the
// shapes later blocks add, in the order of their names (stage, block, conv:
// that of keras_applications' code, where the graph puts a block's shortcut
// after its 2_conv).
func suiteConvLayers(model string, batch int) ([]ConvLayer, error) {
	ls, err := ConvLayers(model, 224, batch)
	if err != nil || model != "resnet50" {
		return ls, err
	}
	ls = distinct(ls, func(l ConvLayer) bool { return strings.Contains(l.Layer, "_block1_") })
	slices.SortStableFunc(ls, func(a, b ConvLayer) int { return strings.Compare(a.Layer, b.Layer) })
	return ls, nil
}

// gemmShape is one product: C (m x n) = A (m x k) * B (k x n).
type gemmShape struct {
	name    string
	m, n, k int
}

// vgg16GemmShapes are VGG16's distinct conv layers at 224x224, batch 1,
// lowered by im2col: M = output pixels, N = Cout, K = kh*kw*Cin. Layers of one
// shape (block3_conv2 and block3_conv3, ...) are measured once, under the
// first name.
func vgg16GemmShapes() ([]gemmShape, error) {
	ls, err := ConvLayers("vgg16", 224, 1)
	if err != nil {
		return nil, err
	}
	var out []gemmShape
	for _, l := range distinct(ls, func(ConvLayer) bool { return false }) {
		p := l.Conv
		out = append(out, gemmShape{"vgg16/" + l.Layer, p.OutH() * p.OutW(), p.OutC, p.KH * p.KW * p.C})
	}
	return out, nil
}
