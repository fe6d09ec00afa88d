package nn

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func tensorOf(t *testing.T, data []float32, shape ...int) *Tensor {
	t.Helper()
	x, err := TensorOf(slices.Clone(data), shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// The new layers' forward passes against values worked out by hand from
// Keras' documented math.
func TestMoreLayersForward(t *testing.T) {
	e := float32(math.E)
	for _, tc := range []struct {
		name    string
		layer   kernelLayer
		in      []*Tensor
		weights map[string]*Tensor
		shape   []int
		want    []float32
	}{
		// x = 1, 2, 3 (one channel), kernel (1, 10): y[t] = x[t-1] + 10 x[t].
		{"Conv1D causal", NewConv1D(1, 2, WithPadding(PaddingCausal)), []*Tensor{tensorOf(t, []float32{1, 2, 3}, 1, 3, 1)},
			map[string]*Tensor{"kernel": tensorOf(t, []float32{1, 10}, 2, 1, 1), "bias": tensorOf(t, []float32{0.5}, 1)},
			[]int{1, 3, 1}, []float32{10.5, 21.5, 32.5}},
		// dilation 2: y[t] = x[t-2] + 10 x[t].
		{"Conv1D causal dilated", NewConv1D(1, 2, WithPadding(PaddingCausal), WithDilationRate(2), WithUseBias(false)),
			[]*Tensor{tensorOf(t, []float32{1, 2, 3}, 1, 3, 1)}, map[string]*Tensor{"kernel": tensorOf(t, []float32{1, 10}, 2, 1, 1)},
			[]int{1, 3, 1}, []float32{10, 20, 31}},
		// same with an even window pads one zero after: y[t] = x[t] + 10 x[t+1].
		{"Conv1D same", NewConv1D(1, 2, WithPadding("same"), WithUseBias(false)), []*Tensor{tensorOf(t, []float32{1, 2, 3}, 1, 3, 1)},
			map[string]*Tensor{"kernel": tensorOf(t, []float32{1, 10}, 2, 1, 1)}, []int{1, 3, 1}, []float32{21, 32, 3}},
		// two channels in, two filters, stride 2, relu: kernel[k][c][f].
		{"Conv1D strided", NewConv1D(2, 1, WithStrides(2), WithActivation("relu"), WithUseBias(false)),
			[]*Tensor{tensorOf(t, []float32{1, 2, 3, 4, 5, 6}, 1, 3, 2)}, map[string]*Tensor{"kernel": tensorOf(t, []float32{1, -1, 1, 0}, 1, 2, 2)},
			[]int{1, 2, 2}, []float32{3, 0, 11, 0}},
		// groups 2, window 1: filter 0 reads channel 0 (x2), filter 1 channel 1 (x10).
		{"Conv1D grouped", NewGroupedConv1D(2, 2, 1, WithUseBias(false)), []*Tensor{tensorOf(t, []float32{1, 2, 3, 4}, 1, 2, 2)},
			map[string]*Tensor{"kernel": tensorOf(t, []float32{2, 10}, 1, 1, 2)}, []int{1, 2, 2}, []float32{2, 20, 6, 40}},
		{"MaxPooling1D same", NewMaxPooling1D(2, WithPadding("same")), []*Tensor{tensorOf(t, []float32{1, 5, 2, 0, 7}, 1, 5, 1)},
			nil, []int{1, 3, 1}, []float32{5, 2, 7}},
		{"AveragePooling1D same", NewAveragePooling1D(2, WithPadding("same")), []*Tensor{tensorOf(t, []float32{1, 5, 2, 0, 7}, 1, 5, 1)},
			nil, []int{1, 3, 1}, []float32{3, 1, 7}},
		{"GlobalAveragePooling1D", NewGlobalAveragePooling1D(), []*Tensor{tensorOf(t, []float32{1, 2, 3, 6}, 1, 2, 2)},
			nil, []int{1, 2}, []float32{2, 4}},
		{"GlobalMaxPooling1D keepdims", NewGlobalMaxPooling1D(WithKeepDims(true)), []*Tensor{tensorOf(t, []float32{1, 7, 3, 6}, 1, 2, 2)},
			nil, []int{1, 1, 2}, []float32{3, 7}},
		{"ZeroPadding1D", NewZeroPadding1D(1, 2), []*Tensor{tensorOf(t, []float32{1, 2}, 1, 1, 2)},
			nil, []int{1, 4, 2}, []float32{0, 0, 1, 2, 0, 0, 0, 0}},
		{"Cropping1D", NewCropping1D(1, 1), []*Tensor{tensorOf(t, []float32{1, 2, 3, 4}, 1, 4, 1)}, nil, []int{1, 2, 1}, []float32{2, 3}},
		{"UpSampling1D", NewUpSampling1D(3), []*Tensor{tensorOf(t, []float32{1, 2, 3, 4}, 1, 2, 2)},
			nil, []int{1, 6, 2}, []float32{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}},
		{"UpSampling2D nearest", NewUpSampling2D(1, 2, "nearest"), []*Tensor{tensorOf(t, []float32{1, 2, 3, 4}, 1, 2, 2, 1)},
			nil, []int{1, 2, 4, 1}, []float32{1, 1, 2, 2, 3, 3, 4, 4}},
		// tf.image.resize([[0, 1], [2, 3]], (4, 4)), half-pixel centres:
		// coordinates -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
		{"UpSampling2D bilinear", NewUpSampling2D(2, 2, "bilinear"), []*Tensor{tensorOf(t, []float32{0, 1, 2, 3}, 1, 2, 2, 1)},
			nil, []int{1, 4, 4, 1}, []float32{0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3}},
		{"UpSampling3D", NewUpSampling3D([3]int{2, 1, 1}), []*Tensor{tensorOf(t, []float32{1, 2}, 1, 1, 1, 2, 1)},
			nil, []int{1, 2, 1, 2, 1}, []float32{1, 2, 1, 2}},
		{"Permute", NewPermute([]int{2, 1}), []*Tensor{tensorOf(t, []float32{1, 2, 3, 4, 5, 6}, 1, 2, 3)},
			nil, []int{1, 3, 2}, []float32{1, 4, 2, 5, 3, 6}},
		{"RepeatVector", NewRepeatVector(2), []*Tensor{tensorOf(t, []float32{1, 2, 3}, 1, 3)},
			nil, []int{1, 2, 3}, []float32{1, 2, 3, 1, 2, 3}},
		{"Subtract", NewSubtract(), []*Tensor{tensorOf(t, []float32{5, 1}, 1, 2), tensorOf(t, []float32{2, 3}, 1, 2)},
			nil, []int{1, 2}, []float32{3, -2}},
		{"Average", NewAverage(), []*Tensor{tensorOf(t, []float32{1, 2}, 1, 2), tensorOf(t, []float32{2, 4}, 1, 2), tensorOf(t, []float32{6, 0}, 1, 2)},
			nil, []int{1, 2}, []float32{3, 2}},
		{"Maximum", NewMaximum(), []*Tensor{tensorOf(t, []float32{1, 5, -1}, 1, 3), tensorOf(t, []float32{2, 3, -4}, 1, 3)},
			nil, []int{1, 3}, []float32{2, 5, -1}},
		{"Minimum", NewMinimum(), []*Tensor{tensorOf(t, []float32{1, 5, -1}, 1, 3), tensorOf(t, []float32{2, 3, -4}, 1, 3)},
			nil, []int{1, 3}, []float32{1, 3, -4}},
		{"LeakyReLU", NewLeakyReLU(0.3), []*Tensor{tensorOf(t, []float32{-2, 0, 3}, 1, 3)}, nil, []int{1, 3}, []float32{-0.6, 0, 3}},
		{"ELU", NewELU(2), []*Tensor{tensorOf(t, []float32{-1, 0, 3}, 1, 3)}, nil, []int{1, 3}, []float32{2 * (1/e - 1), 0, 3}},
		{"ThresholdedReLU", NewThresholdedReLU(1), []*Tensor{tensorOf(t, []float32{0.5, 1, 1.5}, 1, 3)}, nil, []int{1, 3}, []float32{0, 0, 1.5}},
		// alpha (1, 2) shared over axis 1: per channel slopes 0.5 and 0.1.
		{"PReLU shared", NewPReLU([]int{1}), []*Tensor{tensorOf(t, []float32{-2, -3, 4, -10}, 1, 2, 2)},
			map[string]*Tensor{"alpha": tensorOf(t, []float32{0.5, 0.1}, 1, 2)}, []int{1, 2, 2}, []float32{-1, -0.3, 4, -1}},
		// softmax over axis 1 of (2, 2): columns (0, ln 3) -> (1/4, 3/4).
		{"Softmax axis 1", NewSoftmax(1), []*Tensor{tensorOf(t, []float32{0, 1, float32(math.Log(3)), 1}, 1, 2, 2)},
			nil, []int{1, 2, 2}, []float32{0.25, 0.5, 0.75, 0.5}},
		// a 2x2x2 volume of 1..8, a window of ones: the sum, plus bias.
		{"Conv3D valid", NewConv3D(1, [3]int{2, 2, 2}, [3]int{1, 1, 1}, [3]int{1, 1, 1}, PaddingValid),
			[]*Tensor{tensorOf(t, []float32{1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 2, 2, 1)},
			map[string]*Tensor{"kernel": tensorOf(t, []float32{1, 1, 1, 1, 1, 1, 1, 1}, 2, 2, 2, 1, 1), "bias": tensorOf(t, []float32{1}, 1)},
			[]int{1, 1, 1, 1, 1}, []float32{37}},
		// same padding with a 2-wide window along W pads one after: x + 10 x[w+1].
		{"Conv3D same", NewConv3D(1, [3]int{1, 1, 2}, [3]int{1, 1, 1}, [3]int{1, 1, 1}, PaddingSame, WithUseBias(false)),
			[]*Tensor{tensorOf(t, []float32{1, 2, 3}, 1, 1, 1, 3, 1)}, map[string]*Tensor{"kernel": tensorOf(t, []float32{1, 10}, 1, 1, 2, 1, 1)},
			[]int{1, 1, 1, 3, 1}, []float32{21, 32, 3}},
		{"MaxPooling3D", NewMaxPooling3D([3]int{2, 2, 2}, [3]int{2, 2, 2}, PaddingValid),
			[]*Tensor{tensorOf(t, []float32{1, 8, 3, 4, 5, 6, 7, 2}, 1, 2, 2, 2, 1)}, nil, []int{1, 1, 1, 1, 1}, []float32{8}},
		// same padding along W: windows {1, 2} and {3}.
		{"AveragePooling3D same", NewAveragePooling3D([3]int{1, 1, 2}, [3]int{1, 1, 2}, PaddingSame),
			[]*Tensor{tensorOf(t, []float32{1, 2, 3}, 1, 1, 1, 3, 1)}, nil, []int{1, 1, 1, 2, 1}, []float32{1.5, 3}},
		{"GlobalAveragePooling3D", NewGlobalAveragePooling3D(), []*Tensor{tensorOf(t, []float32{1, 2, 3, 4}, 1, 2, 1, 1, 2)},
			nil, []int{1, 2}, []float32{2, 3}},
		{"Cropping3D", NewCropping3D([3][2]int{{1, 0}, {0, 0}, {0, 1}}), []*Tensor{tensorOf(t, []float32{1, 2, 3, 4}, 1, 2, 1, 2, 1)},
			nil, []int{1, 1, 1, 1, 1}, []float32{3}},
		// kernel (positions, window, filters): y0 = x0 + 10 x1, y1 = 100 x1 + 1000 x2.
		{"LocallyConnected1D", NewLocallyConnected1D(1, 2, 1, "channels_last"), []*Tensor{tensorOf(t, []float32{1, 2, 3}, 1, 3, 1)},
			map[string]*Tensor{"kernel": tensorOf(t, []float32{1, 10, 100, 1000}, 2, 2, 1), "bias": tensorOf(t, []float32{0.5, 0.25}, 2, 1)},
			[]int{1, 2, 1}, []float32{21.5, 3200.25}},
		// channels_first (2, 1, 2) input, 1x1 windows: position o, channel
		// c, filter f; the (1, 2, 2) bias is added reshaped to (2, 1, 2).
		{"LocallyConnected2D channels_first", NewLocallyConnected2D(2, 1, 1, 1, 1, "channels_first"),
			[]*Tensor{tensorOf(t, []float32{1, 2, 3, 4}, 1, 2, 1, 2)},
			map[string]*Tensor{"kernel": tensorOf(t, []float32{1, 0, 0, 1, 1, 1, 1, -1}, 2, 2, 2), "bias": tensorOf(t, []float32{10, 20, 30, 40}, 1, 2, 2)},
			[]int{1, 2, 1, 2}, []float32{11, 26, 33, 38}},
		// a transposed convolution spreads each input over its window.
		{"Conv2DTranspose strided", NewConv2DTranspose(1, 2, 2, nil, WithStrides(2), WithUseBias(false)),
			[]*Tensor{tensorOf(t, []float32{2}, 1, 1, 1, 1)}, map[string]*Tensor{"kernel": tensorOf(t, []float32{1, 2, 3, 4}, 2, 2, 1, 1)},
			[]int{1, 2, 2, 1}, []float32{2, 4, 6, 8}},
		{"Conv2DTranspose overlapping", NewConv2DTranspose(1, 1, 2, nil), []*Tensor{tensorOf(t, []float32{1, 10}, 1, 1, 2, 1)},
			map[string]*Tensor{"kernel": tensorOf(t, []float32{1, 2}, 1, 2, 1, 1), "bias": tensorOf(t, []float32{0.5}, 1)},
			[]int{1, 1, 3, 1}, []float32{1.5, 12.5, 20.5}},
		// same, stride 2, window 3: TensorFlow pads the forward convolution
		// by 0 before and 1 after, so the last tap of x1 falls off.
		{"Conv2DTranspose same", NewConv2DTranspose(1, 1, 3, nil, WithStrides(1, 2), WithPadding("same"), WithUseBias(false)),
			[]*Tensor{tensorOf(t, []float32{1, 10}, 1, 1, 2, 1)}, map[string]*Tensor{"kernel": tensorOf(t, []float32{1, 2, 3}, 1, 3, 1, 1)},
			[]int{1, 1, 4, 1}, []float32{1, 2, 13, 20}},
		{"Conv2DTranspose output_padding", NewConv2DTranspose(1, 1, 3, []int{0, 1}, WithStrides(1, 2), WithUseBias(false)),
			[]*Tensor{tensorOf(t, []float32{2}, 1, 1, 1, 1)}, map[string]*Tensor{"kernel": tensorOf(t, []float32{1, 2, 3}, 1, 3, 1, 1)},
			[]int{1, 1, 4, 1}, []float32{2, 4, 6, 0}},
		{"ZeroPadding3D", NewZeroPadding3D([3][2]int{{0, 0}, {1, 0}, {0, 1}}), []*Tensor{tensorOf(t, []float32{5}, 1, 1, 1, 1, 1)},
			nil, []int{1, 1, 2, 2, 1}, []float32{0, 0, 5, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runLayer(t, tc.layer, tc.in, tc.weights, nil, false, false)
			if !slices.Equal(r.y.Shape, tc.shape) {
				t.Fatalf("shape %v, want %v", r.y.Shape, tc.shape)
			}
			for i, v := range r.y.Data {
				if math.Abs(float64(v-tc.want[i])) > 1e-5 {
					t.Fatalf("output %v, want %v", r.y.Data, tc.want)
				}
			}
		})
	}
}

// elu, selu, softplus, softsign and exponential, against their formulas.
func TestMoreActivations(t *testing.T) {
	x := []float32{-1, 0, 1}
	for _, tc := range []struct {
		act  activation
		want []float64
	}{
		{actELU, []float64{math.Exp(-1) - 1, 0, 1}},
		{actSELU, []float64{1.0507009873554805 * 1.6732632423543772 * (math.Exp(-1) - 1), 0, 1.0507009873554805}},
		{actSoftplus, []float64{math.Log(1 + math.Exp(-1)), math.Ln2, math.Log(1 + math.E)}},
		{actSoftsign, []float64{-0.5, 0, 0.5}},
		{actExponential, []float64{math.Exp(-1), 1, math.E}},
	} {
		y := slices.Clone(x)
		tc.act.apply(y, 3)
		for i := range y {
			if math.Abs(float64(y[i])-tc.want[i]) > 1e-6 {
				t.Errorf("%s(%v) = %v, want %v", tc.act, x[i], y[i], tc.want[i])
			}
		}
		if err := CheckActivation(string(tc.act)); err != nil {
			t.Error(err)
		}
	}
}

// Maximum's gradient goes to the larger input, to the first on ties.
func TestMaximumGradientTies(t *testing.T) {
	a, b := tensorOf(t, []float32{1, 2, 3}, 1, 3), tensorOf(t, []float32{1, 5, 0}, 1, 3)
	r := runLayer(t, NewMaximum(), []*Tensor{a, b}, nil, tensorOf(t, []float32{10, 20, 30}, 1, 3), true, false)
	if !slices.Equal(r.dx[0].Data, []float32{10, 0, 30}) || !slices.Equal(r.dx[1].Data, []float32{0, 20, 0}) {
		t.Fatalf("gradients %v %v", r.dx[0].Data, r.dx[1].Data)
	}
}

// SpatialDropout2D drops whole feature maps in training, scaling the kept
// ones by 1/(1-rate), and is the identity otherwise.
func TestSpatialDropout(t *testing.T) {
	l := NewSpatialDropout2D(0.5, WithSeed(7))
	x := NewTensor(4, 3, 3, 8)
	for i := range x.Data {
		x.Data[i] = 1
	}
	r := runLayer(t, l, []*Tensor{x}, nil, nil, true, false)
	dropped := 0
	for n := range 4 {
		for c := range 8 {
			v := r.y.Data[n*72+c]
			if v != 0 && v != 2 {
				t.Fatalf("value %v, want 0 or 2", v)
			}
			if v == 0 {
				dropped++
			}
			for p := range 9 {
				if r.y.Data[n*72+p*8+c] != v {
					t.Fatalf("sample %d channel %d: the mask differs across positions", n, c)
				}
			}
		}
	}
	if dropped == 0 || dropped == 32 {
		t.Errorf("%d of 32 maps dropped", dropped)
	}
	r = runLayer(t, l, []*Tensor{x}, nil, nil, false, false)
	if slices.ContainsFunc(r.y.Data, func(v float32) bool { return v != 1 }) {
		t.Error("inference is not the identity")
	}
}

// jsonConfig is cfg as Keras' JSON gives it to a constructor.
func jsonConfig(t *testing.T, cfg map[string]any) Config {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// Every new layer's Config builds the same layer back, with the same
// weights once applied.
func TestMoreLayersConfigRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		layer Layer
		in    []int
	}{
		{NewConv1D(4, 3, WithPadding(PaddingCausal), WithDilationRate(2), WithActivation("selu"), WithName("c1")), []int{8, 2}},
		{NewConv1D(4, 3, WithStrides(2), WithPadding("same"), WithUseBias(false), WithName("c2")), []int{8, 2}},
		{NewGroupedConv1D(4, 2, 3, WithName("c3")), []int{8, 6}},
		{NewMaxPooling1D(3, WithStrides(1), WithName("mp")), []int{8, 2}},
		{NewAveragePooling1D(2, WithPadding("same"), WithName("ap")), []int{8, 2}},
		{NewGlobalAveragePooling1D(WithName("gap")), []int{8, 2}},
		{NewGlobalMaxPooling1D(WithKeepDims(true), WithName("gmp")), []int{8, 2}},
		{NewZeroPadding1D(1, 2, WithName("zp")), []int{8, 2}},
		{NewCropping1D(2, 1, WithName("cr")), []int{8, 2}},
		{NewUpSampling1D(3, WithName("up1")), []int{8, 2}},
		{NewUpSampling2D(2, 3, "bilinear", WithName("up2")), []int{4, 4, 2}},
		{NewUpSampling3D([3]int{1, 2, 3}, WithName("up3")), []int{2, 2, 2, 1}},
		{NewSpatialDropout1D(0.25, WithName("sd1")), []int{8, 2}},
		{NewSpatialDropout2D(0.25, WithName("sd2")), []int{4, 4, 2}},
		{NewSpatialDropout3D(0.25, WithName("sd3")), []int{2, 2, 2, 1}},
		{NewPermute([]int{3, 1, 2}, WithName("perm")), []int{4, 4, 2}},
		{NewRepeatVector(5, WithName("rv")), []int{3}},
		{NewLeakyReLU(0.1, WithName("lr")), []int{3}},
		{NewELU(0.5, WithName("elu")), []int{3}},
		{NewThresholdedReLU(0.5, WithName("tr")), []int{3}},
		{NewPReLU([]int{1, 2}, WithName("pr")), []int{4, 4, 2}},
		{NewPReLU(nil, WithName("pr2")), []int{3, 2}},
		{NewSoftmax(1, WithName("sm")), []int{3, 2}},
		{NewConv3D(2, [3]int{3, 2, 1}, [3]int{2, 1, 1}, [3]int{1, 1, 1}, PaddingSame, WithActivation("tanh"), WithName("c3")), []int{4, 4, 4, 1}},
		{NewMaxPooling3D([3]int{2, 2, 2}, [3]int{1, 1, 1}, PaddingValid, WithName("mp3")), []int{4, 4, 4, 1}},
		{NewAveragePooling3D([3]int{2, 2, 2}, [3]int{2, 2, 2}, PaddingSame, WithName("ap3")), []int{3, 3, 3, 1}},
		{NewGlobalAveragePooling3D(WithName("gap3")), []int{2, 2, 2, 1}},
		{NewGlobalMaxPooling3D(WithName("gmp3")), []int{2, 2, 2, 1}},
		{NewLocallyConnected1D(3, 2, 2, "channels_last", WithActivation("relu"), WithName("lc1")), []int{7, 2}},
		{NewLocallyConnected2D(3, 2, 3, 1, 2, "channels_first", WithUseBias(false), WithName("lc2")), []int{2, 4, 7}},
		{NewConv2DTranspose(3, 3, 2, []int{1, 0}, WithStrides(2, 1), WithPadding("same"), WithName("ct")), []int{3, 4, 2}},
		{NewConv2DTranspose(3, 3, 3, nil, WithActivation("relu"), WithName("ct2")), []int{3, 4, 2}},
		{NewZeroPadding3D([3][2]int{{1, 2}, {0, 1}, {3, 0}}, WithName("zp3")), []int{2, 2, 2, 1}},
		{NewCropping3D([3][2]int{{1, 0}, {0, 1}, {1, 1}}, WithName("cr3")), []int{3, 3, 3, 1}},
	} {
		t.Run(tc.layer.ClassName()+"/"+tc.layer.Name(), func(t *testing.T) {
			if n := tc.layer.Apply(Input(tc.in, WithScope(NewNameScope()))); n.Err() != nil {
				t.Fatal(n.Err())
			}
			back, err := LayerFromConfig(tc.layer.ClassName(), jsonConfig(t, tc.layer.Config()))
			if err != nil {
				t.Fatal(err)
			}
			if n := back.Apply(Input(tc.in, WithScope(NewNameScope()))); n.Err() != nil {
				t.Fatal(n.Err())
			}
			if a, b := jsonConfig(t, tc.layer.Config()), jsonConfig(t, back.Config()); !reflect.DeepEqual(a, b) {
				t.Errorf("config %v, want %v", b, a)
			}
			var want, got [][]int
			for _, v := range tc.layer.Weights() {
				want = append(want, v.Shape())
			}
			for _, v := range back.Weights() {
				got = append(got, v.Shape())
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("weights %v, want %v", got, want)
			}
		})
	}
}

// Keras' own configs, as files hold them, and bad ones.
func TestMoreLayersKerasConfigs(t *testing.T) {
	conv, err := LayerFromConfig("Conv1D", Config{"name": "conv1d_1", "filters": 4.0, "kernel_size": []any{3.0}, "strides": []any{1.0},
		"padding": "causal", "data_format": "channels_last", "dilation_rate": []any{1.0}, "activation": "tanh", "use_bias": true})
	if err != nil {
		t.Fatal(err)
	}
	conv.Apply(Input([]int{32, 20}, WithScope(NewNameScope())))
	if w := conv.Weights(); len(w) != 2 || !slices.Equal(w[0].Shape(), []int{3, 20, 4}) || w[1].Name() != "bias" {
		t.Fatalf("Conv1D weights %v", w)
	}
	if alias, err := LayerFromConfig("Convolution1D", Config{"name": "c", "filters": 2.0, "kernel_size": 3.0}); err != nil || alias.ClassName() != "Conv1D" {
		t.Fatalf("Convolution1D: %v, %v", alias, err)
	}
	lr, err := LayerFromConfig("LeakyReLU", Config{"name": "l", "negative_slope": 0.2})
	if err != nil || lr.(*LeakyReLU).alpha != 0.2 {
		t.Fatalf("Keras 3 LeakyReLU: %v", err)
	}
	zp, err := LayerFromConfig("ZeroPadding3D", Config{"name": "z", "padding": []any{1.0, 2.0, 3.0}})
	if err != nil || !reflect.DeepEqual(zp.(*ZeroPadding3D).sides, [][2]int{{1, 1}, {2, 2}, {3, 3}}) {
		t.Fatalf("ZeroPadding3D (1, 2, 3): %v", err)
	}
	pr, err := LayerFromConfig("PReLU", Config{"name": "p", "shared_axes": []any{1.0, 2.0}})
	if err != nil {
		t.Fatal(err)
	}
	pr.Apply(Input([]int{5, 4, 3}, WithScope(NewNameScope())))
	if w := pr.Weights(); len(w) != 1 || !slices.Equal(w[0].Shape(), []int{1, 1, 3}) {
		t.Fatalf("PReLU alpha %v", w)
	}
	for _, tc := range []struct {
		class string
		cfg   Config
		want  string
	}{
		{"Conv1D", Config{"filters": 3.0, "kernel_size": 3.0, "groups": 2.0}, "groups 2"},
		{"Conv1D", Config{"filters": 2.0, "kernel_size": []any{3.0, 3.0}}, "kernel_size"},
		{"Conv1D", Config{"filters": 2.0, "kernel_size": 3.0, "padding": "causal", "strides": 2.0}, "causal"},
		{"UpSampling2D", Config{"size": 2.0, "interpolation": "bicubic"}, "bicubic"},
		{"Permute", Config{"dims": []any{1.0, 1.0}}, "permutation"},
		{"Softmax", Config{"axis": []any{1.0, 2.0}}, "one axis"},
		{"Conv2DTranspose", Config{"filters": 2.0, "kernel_size": 3.0, "strides": 2.0, "output_padding": 2.0}, "output_padding"},
		{"Conv2DTranspose", Config{"filters": 2.0, "kernel_size": 3.0, "dilation_rate": 2.0}, "dilation_rate"},
		{"LocallyConnected2D", Config{"filters": 2.0, "kernel_size": 3.0, "implementation": 2.0}, "implementation 2"},
		{"LocallyConnected2D", Config{"filters": 2.0, "kernel_size": 3.0, "padding": "same"}, "padding"},
		{"Conv3D", Config{"filters": 2.0, "kernel_size": 0.0}, "kernel_size"},
		{"ZeroPadding3D", Config{"padding": "x"}, "padding"},
		{"MaxPooling3D", Config{"pool_size": []any{2.0, 2.0}}, "pool_size"},
	} {
		if _, err := LayerFromConfig(tc.class, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: error %v, want one naming %q", tc.class, tc.cfg, err, tc.want)
		}
	}
}
