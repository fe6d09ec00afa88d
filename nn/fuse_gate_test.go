package nn

import (
	"fmt"
	"testing"
)

// TestFuseGate checks that inference folds a squeeze-and-excitation
// Multiply into the 1x1 convolution after it, on both of its paths (the
// gate in the weights, for many pixels; the input scaled into a buffer, for
// few), with a BatchNormalization and a residual Add fused too, and gives
// the outputs of running every layer; and that it leaves a Multiply whose
// output is read elsewhere alone.
func TestFuseGate(t *testing.T) {
	for _, size := range [][2]int{{9, 11}, {3, 3}} {
		sc := NewNameScope()
		in := Input([]int{size[0], size[1], 24}, WithScope(sc))
		x := NewDepthwiseConv2D(3, 3, WithPadding(PaddingSame), WithName("dw")).Apply(in)
		x = NewActivation("swish", WithName("dw_act")).Apply(x)
		s := NewGlobalAveragePooling2D(WithName("squeeze")).Apply(x)
		s = NewReshape([]int{1, 1, 24}, WithName("reshape")).Apply(s)
		s = NewConv2D(8, 1, 1, WithActivation("swish"), WithName("reduce")).Apply(s)
		s = NewConv2D(24, 1, 1, WithActivation("sigmoid"), WithName("expand")).Apply(s)
		x = NewMultiply(WithName("excite")).Apply(x, s)
		y := NewConv2D(24, 1, 1, WithUseBias(false), WithName("project")).Apply(x)
		y = NewBatchNormalization(WithName("project_bn")).Apply(y)
		y = NewAdd(WithName("add")).Apply(y, in)
		// A second gate whose product is read twice stays a Multiply.
		z := NewMultiply(WithName("excite2")).Apply(y, s)
		z2 := NewConv2D(16, 1, 1, WithName("project2")).Apply(z)
		z = NewConcatenate(WithName("cat")).Apply(z, z2)
		m, err := NewModel([]*Node{in}, []*Node{z})
		if err != nil {
			t.Fatal(err)
		}
		checkFused(t, fmt.Sprint(size), m, foldInput(2, size[0], size[1], 24), map[string]StepMode{"excite": ModeFused, "excite2": "inference"})
	}
}
