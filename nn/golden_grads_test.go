package nn

import (
	"fmt"
	"testing"

	"github.com/keelml/keel/internal/golden"
	"github.com/keelml/keel/internal/testenv"
)

// gradsTolerance bounds max|keel - ref| / max|ref| per tensor for the
// PyTorch float64 references (torch float32 itself is within 3e-7).
const gradsTolerance = 1e-6

func intPair(v any) (int, int) {
	a := v.([]any)
	return int(a[0].(float64)), int(a[1].(float64))
}

// goldenLayer builds the layer a grads case describes.
func goldenLayer(t *testing.T, c golden.Case, dir string) kernelLayer {
	p := c.Params
	var opts []Option
	if s, ok := p["strides"]; ok {
		h, w := intPair(s)
		opts = append(opts, WithStrides(h, w))
	}
	if s, ok := p["padding"]; ok {
		opts = append(opts, WithPadding(Padding(s.(string))))
	}
	if b, ok := p["use_bias"]; ok {
		opts = append(opts, WithUseBias(b.(bool)))
	}
	switch c.Op {
	case "Conv2D":
		kh, kw := intPair(p["kernel_size"])
		if g, ok := p["groups"].(float64); ok {
			return NewGroupedConv2D(readNpyIn(t, dir, "kernel").Shape[3], int(g), kh, kw, opts...)
		}
		return NewConv2D(4, kh, kw, opts...)
	case "LayerNormalization":
		return NewLayerNormalization(WithAxis(int(p["axis"].(float64))), WithEpsilon(p["epsilon"].(float64)))
	case "LayerScale":
		g := readNpyIn(t, dir, "gamma")
		return NewLayerScale(1e-6, g.Shape[0])
	case "SeparableConv2D":
		kh, kw := intPair(p["kernel_size"])
		return NewSeparableConv2D(int(p["filters"].(float64)), kh, kw, append(opts, WithDepthMultiplier(int(p["depth_multiplier"].(float64))))...)
	case "Concatenate":
		return NewConcatenate(WithAxis(int(p["axis"].(float64))))
	case "CustomScaleLayer":
		return NewCustomScaleLayer(p["scale"].(float64))
	case "DepthwiseConv2D":
		kh, kw := intPair(p["kernel_size"])
		return NewDepthwiseConv2D(kh, kw, append(opts, WithDepthMultiplier(int(p["depth_multiplier"].(float64))))...)
	case "MaxPooling2D":
		ph, pw := intPair(p["pool_size"])
		return NewMaxPooling2D(ph, pw, opts...)
	case "AveragePooling2D":
		ph, pw := intPair(p["pool_size"])
		return NewAveragePooling2D(ph, pw, opts...)
	case "GlobalAveragePooling2D":
		return NewGlobalAveragePooling2D()
	case "Dense":
		units := readNpyIn(t, dir, "kernel").Shape[1]
		return NewDense(units, append(opts, WithActivation(ActivationName(p["activation"].(string))))...)
	case "BatchNormalization":
		opts := []Option{WithEpsilon(p["epsilon"].(float64))}
		if m, ok := p["momentum"]; ok {
			opts = append(opts, WithMomentum(m.(float64)))
		}
		return NewBatchNormalization(opts...)
	case "Activation":
		return NewActivation(ActivationName(p["activation"].(string)))
	case "Multiply":
		return NewMultiply()
	case "Normalization":
		// Statistics as weights, set from the case's mean and variance.
		return NewNormalization(nil, nil)
	case "ReLU":
		return NewReLU(WithMaxValue(p["max_value"].(float64)))
	}
	t.Fatalf("no layer for op %s", c.Op)
	return nil
}

// TestGoldenGrads checks every layer's forward and backward against the
// PyTorch float64 references of golden/grads copied into testdata.
func TestGoldenGrads(t *testing.T) { runGoldenGrads(t, testenv.Testdata(t, "golden", "grads")) }

// TestGoldenGradsShared checks the same against ../shared/golden/grads itself
// (skipped locally when absent; CI fails without it).
func TestGoldenGradsShared(t *testing.T) { runGoldenGrads(t, testenv.Shared(t, "golden", "grads")) }

// nnLacks names the golden gradient cases whose layer nn does not have (yet),
// with the reason. Exactly these are skipped; any other case that cannot be
// built fails, so this list only shrinks.
var nnLacks = map[string]string{}

func runGoldenGrads(t *testing.T, dir string) {
	cases := golden.Cases(t, dir)
	for _, name := range golden.Names(cases) {
		c := cases[name]
		t.Run(name, func(t *testing.T) {
			if reason, pending := nnLacks[name]; pending {
				t.Skipf("%s: %s", name, reason)
			}
			cdir := c.Dir
			if c.Op == "softmax + categorical_crossentropy" {
				checkSoftmaxCrossentropy(t, cdir)
				return
			}
			l := goldenLayer(t, c, cdir)
			weights := map[string]*Tensor{}
			for _, w := range []string{"kernel", "depthwise_kernel", "pointwise_kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance", "mean", "variance"} {
				if c.Has(w) {
					weights[w] = readNpyIn(t, cdir, w)
				}
			}
			var xs []*Tensor
			if c.Has("x") {
				xs = []*Tensor{readNpyIn(t, cdir, "x")}
			}
			for i := 0; ; i++ {
				in := fmt.Sprintf("x%d", i)
				if !c.Has(in) {
					break
				}
				xs = append(xs, readNpyIn(t, cdir, in))
			}
			dy := readNpyIn(t, cdir, "dy")
			training := c.Op == "BatchNormalization" && c.Params["mode"] == "training (batch statistics)"
			r := runLayer(t, l, xs, weights, dy, training, false)
			check := func(what string, got []float32) {
				t.Helper()
				want := readNpyIn(t, cdir, what)
				e := relErr(got, want.Data)
				t.Logf("%s: max|err|/max|ref| = %.2g", what, e)
				if e > gradsTolerance {
					t.Errorf("%s: relative error %.3g > %g", what, e, gradsTolerance)
				}
			}
			check("y", r.y.Data)
			if len(xs) == 1 {
				check("dx", r.dx[0].Data)
			} else {
				for i := range xs {
					check(fmt.Sprintf("dx%d", i), r.dx[i].Data)
				}
			}
			for w := range weights {
				if g, ok := r.dw[w]; ok {
					check("d"+w, g)
				}
			}
			if nl, ok := l.(*Normalization); ok {
				// Keras never trains mean and variance (non-trainable
				// weights); their gradients are checked directly.
				dmean, dvar := nl.statGrads(xs[0].Data, dy.Data)
				check("dmean", dmean)
				check("dvariance", dvar)
			}
			if bn, ok := l.(*BatchNormalization); ok && training {
				check("new_moving_mean", bn.mean.data)
				check("new_moving_variance_unbiased", bn.vari.data)
			}
		})
	}
}

func checkSoftmaxCrossentropy(t *testing.T, dir string) {
	logits, labels := readNpyIn(t, dir, "logits"), readNpyIn(t, dir, "labels")
	wantLoss := float64(readNpyIn(t, dir, "y").Data[0])
	wantGrad := readNpyIn(t, dir, "dlogits")
	softmax := readNpyIn(t, dir, "softmax")

	grad := make([]float32, len(logits.Data))
	for _, way := range []struct {
		name    string
		compute func() (float64, error)
	}{
		{"from logits", func() (float64, error) {
			return CategoricalCrossentropy{FromLogits: true}.Compute(logits, labels, grad)
		}},
		// The fused path: softmax outputs in, gradient of the logits out.
		{"fused", func() (float64, error) { return CategoricalCrossentropy{}.computeFused(softmax, labels, grad) }},
	} {
		loss, err := way.compute()
		if err != nil {
			t.Fatal(err)
		}
		if d := loss - wantLoss; d > 1e-6 || d < -1e-6 {
			t.Errorf("%s: loss %v, want %v", way.name, loss, wantLoss)
		}
		if e := relErr(grad, wantGrad.Data); e > gradsTolerance {
			t.Errorf("%s: dlogits relative error %.3g", way.name, e)
		}
	}
}
