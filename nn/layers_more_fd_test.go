package nn

import "testing"

// Backprop through the 1-D, 3-D, resampling, merge and activation layers
// inside a plan, against finite differences. Dropout rates are 0 here: a
// mask drawn anew on every forward has no derivative to check.
func TestFiniteDifferencesMoreLayers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(sc *NameScope) (in, out []*Node)
	}{
		{"sequences", func(sc *NameScope) ([]*Node, []*Node) {
			in := Input([]int{7, 3}, WithScope(sc))
			x := NewConv1D(4, 3, WithPadding("same"), WithActivation("tanh"), WithScope(sc)).Apply(in)
			a := NewConv1D(3, 2, WithPadding(PaddingCausal), WithDilationRate(2), WithActivation("elu"), WithScope(sc)).Apply(x)
			b := NewGroupedConv1D(3, 3, 3, WithStrides(2), WithActivation("selu"), WithScope(sc)).Apply(NewConv1D(6, 1, WithScope(sc)).Apply(x))
			b = NewUpSampling1D(2, WithScope(sc)).Apply(NewZeroPadding1D(1, 0, WithScope(sc)).Apply(b)) // 3 -> 4 -> 8
			b = NewCropping1D(0, 1, WithScope(sc)).Apply(b)
			m := NewMaximum(WithScope(sc)).Apply(a, b)
			s := NewSubtract(WithScope(sc)).Apply(a, b)
			v := NewAverage(WithScope(sc)).Apply(NewMinimum(WithScope(sc)).Apply(a, b), s, m)
			v = NewSpatialDropout1D(0, WithScope(sc)).Apply(v)
			p := NewMaxPooling1D(2, WithPadding("same"), WithScope(sc)).Apply(v)
			q := NewAveragePooling1D(3, WithStrides(2), WithPadding("same"), WithScope(sc)).Apply(v)
			g := NewGlobalAveragePooling1D(WithScope(sc)).Apply(NewConcatenate(WithAxis(1), WithScope(sc)).Apply(p, q))
			h := NewGlobalMaxPooling1D(WithScope(sc)).Apply(p)
			r := NewRepeatVector(2, WithScope(sc)).Apply(NewDense(2, WithActivation("softplus"), WithScope(sc)).Apply(g))
			r = NewPermute([]int{2, 1}, WithScope(sc)).Apply(r)
			out := NewDense(3, WithActivation("softsign"), WithScope(sc)).Apply(NewFlatten(WithScope(sc)).Apply(r))
			out2 := NewDense(2, WithActivation("exponential"), WithScope(sc)).Apply(h)
			return []*Node{in}, []*Node{out, out2}
		}},
		{"images and activations", func(sc *NameScope) ([]*Node, []*Node) {
			in := Input([]int{3, 4, 2}, WithScope(sc))
			x := NewConv2D(3, 2, 2, WithPadding("same"), WithScope(sc)).Apply(in)
			x = NewPReLU([]int{1}, WithScope(sc)).Apply(x)
			a := NewUpSampling2D(2, 3, "bilinear", WithScope(sc)).Apply(x)
			b := NewUpSampling2D(2, 3, "nearest", WithScope(sc)).Apply(NewLeakyReLU(0.2, WithScope(sc)).Apply(x))
			y := NewAdd(WithScope(sc)).Apply(NewELU(1, WithScope(sc)).Apply(a), NewThresholdedReLU(0.1, WithScope(sc)).Apply(b))
			y = NewSpatialDropout2D(0, WithScope(sc)).Apply(y)
			y = NewSoftmax(2, WithScope(sc)).Apply(y)
			y = NewPermute([]int{3, 1, 2}, WithScope(sc)).Apply(y)
			out := NewDense(2, WithScope(sc)).Apply(NewFlatten(WithScope(sc)).Apply(y))
			return []*Node{in}, []*Node{out}
		}},
		{"activation kinks on the input", func(sc *NameScope) ([]*Node, []*Node) {
			// An ELU of alpha 0.7 has a kink at 0; after resampling many
			// values would sit near it.
			in := Input([]int{3, 4}, WithScope(sc))
			x := NewELU(0.7, WithScope(sc)).Apply(in)
			return []*Node{in}, []*Node{NewDense(2, WithScope(sc)).Apply(x)}
		}},
		{"locally connected", func(sc *NameScope) ([]*Node, []*Node) {
			in := Input([]int{3, 5, 4}, WithScope(sc))
			a := NewLocallyConnected2D(2, 2, 3, 1, 2, "channels_last", WithActivation("tanh"), WithScope(sc)).Apply(in)
			b := NewLocallyConnected2D(3, 2, 2, 1, 1, "channels_first", WithScope(sc)).Apply(in)
			s := Input([]int{6, 2}, WithScope(sc))
			c := NewLocallyConnected1D(2, 3, 2, "channels_last", WithActivation("sigmoid"), WithScope(sc)).Apply(s)
			out := NewConcatenate(WithScope(sc)).Apply(NewFlatten(WithScope(sc)).Apply(a), NewFlatten(WithScope(sc)).Apply(b), NewFlatten(WithScope(sc)).Apply(c))
			return []*Node{in, s}, []*Node{NewDense(2, WithScope(sc)).Apply(out)}
		}},
		{"transposed convolutions", func(sc *NameScope) ([]*Node, []*Node) {
			in := Input([]int{3, 4, 2}, WithScope(sc))
			a := NewConv2DTranspose(2, 3, 2, nil, WithStrides(2, 1), WithPadding("same"), WithActivation("tanh"), WithScope(sc)).Apply(in)
			b := NewConv2DTranspose(3, 3, 3, []int{1, 1}, WithStrides(2), WithScope(sc)).Apply(in)
			c := NewConv2DTranspose(1, 2, 2, nil, WithUseBias(false), WithScope(sc)).Apply(in)
			out := NewConcatenate(WithScope(sc)).Apply(NewFlatten(WithScope(sc)).Apply(a), NewFlatten(WithScope(sc)).Apply(b), NewFlatten(WithScope(sc)).Apply(c))
			return []*Node{in}, []*Node{NewDense(2, WithScope(sc)).Apply(out)}
		}},
		{"volumes", func(sc *NameScope) ([]*Node, []*Node) {
			in := Input([]int{4, 3, 4, 2}, WithScope(sc))
			x := NewConv3D(3, [3]int{2, 2, 3}, [3]int{1, 1, 1}, [3]int{1, 1, 1}, PaddingSame, WithActivation("tanh"), WithScope(sc)).Apply(in)
			x = NewConv3D(2, [3]int{2, 2, 2}, [3]int{2, 1, 2}, [3]int{1, 1, 1}, PaddingSame, WithScope(sc)).Apply(x)
			d := NewConv3D(2, [3]int{2, 2, 2}, [3]int{1, 1, 1}, [3]int{2, 1, 1}, PaddingValid, WithUseBias(false), WithScope(sc)).Apply(in)
			x = NewZeroPadding3D([3][2]int{{1, 0}, {0, 1}, {1, 1}}, WithScope(sc)).Apply(x)
			x = NewCropping3D([3][2]int{{0, 1}, {1, 0}, {0, 1}}, WithScope(sc)).Apply(x)
			x = NewSpatialDropout3D(0, WithScope(sc)).Apply(NewUpSampling3D([3]int{1, 2, 1}, WithScope(sc)).Apply(x))
			m := NewMaxPooling3D([3]int{2, 2, 2}, [3]int{1, 2, 2}, PaddingValid, WithScope(sc)).Apply(x)
			a := NewAveragePooling3D([3]int{2, 3, 2}, [3]int{2, 2, 2}, PaddingSame, WithScope(sc)).Apply(x)
			g := NewConcatenate(WithScope(sc)).Apply(NewGlobalAveragePooling3D(WithScope(sc)).Apply(m), NewGlobalMaxPooling3D(WithScope(sc)).Apply(a),
				NewGlobalAveragePooling3D(WithScope(sc)).Apply(d))
			return []*Node{in}, []*Node{NewDense(2, WithScope(sc)).Apply(g)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, out := tc.build(NewNameScope())
			m, err := NewModel(in, out)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range m.flatLayers() {
				for _, v := range l.Weights() {
					switch v.name {
					case "bias":
						v.Set(v.shape, specFill(l.Name(), v.name, v.shape, 1))
					case "alpha": // PReLU: slopes away from 0
						v.Set(v.shape, []float32{0.2, -0.3, 0.5, 0.25, 0.1, 0.4, 0.3, -0.2, 0.15, 0.6, 0.05, 0.35}[:len(v.data)])
					}
				}
			}
			checkFiniteDifferences(t, m, 2)
		})
	}
}
