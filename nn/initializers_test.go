package nn

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKernelFans checks Keras' compute_fans: Dense (in, out); convolution
// receptive field times in and out.
func TestKernelFans(t *testing.T) {
	for _, tc := range []struct {
		shape   []int
		in, out int
	}{
		{nil, 1, 1}, {[]int{7}, 7, 7}, {[]int{200, 300}, 200, 300},
		{[]int{3, 3, 64, 128}, 576, 1152}, {[]int{1, 7, 32, 16}, 224, 112},
	} {
		in, out := KernelFans(tc.shape)
		require.Equal(t, [2]int{tc.in, tc.out}, [2]int{in, out}, "%v", tc.shape)
	}
}

// TestInitializerStatistics draws each initializer on a Dense kernel and on
// a Conv2D kernel and compares mean, variance and bounds with Keras'
// formulas (VarianceScaling: variance scale/n, n = fan_in or the fans'
// mean; truncated normals cut at two standard deviations).
func TestInitializerStatistics(t *testing.T) {
	// The variance of a normal truncated to two standard deviations.
	const trunc = 0.87962566103423978 * 0.87962566103423978
	for _, shape := range [][]int{{200, 300}, {3, 3, 64, 128}} {
		fi, fo := KernelFans(shape)
		avg := float64(fi+fo) / 2
		for _, tc := range []struct {
			in       Initializer
			variance float64
			bound    float64 // largest |value| allowed; 0: none
		}{
			{GlorotUniform, 1 / avg, math.Sqrt(3 / avg)},
			{GlorotNormal, 1 / avg, 2 * math.Sqrt(1/avg) / 0.87962566103423978},
			{HeUniform, 2 / float64(fi), math.Sqrt(6 / float64(fi))},
			{HeNormal, 2 / float64(fi), 2 * math.Sqrt(2/float64(fi)) / 0.87962566103423978},
			{LecunUniform, 1 / float64(fi), math.Sqrt(3 / float64(fi))},
			{LecunNormal, 1 / float64(fi), 2 * math.Sqrt(1/float64(fi)) / 0.87962566103423978},
			{RandomUniform, 0.05 * 0.05 / 3, 0.05},
			{RandomNormal, 0.05 * 0.05, 0},
			{TruncatedNormal, 0.05 * 0.05 * trunc, 0.1},
		} {
			v := newVariable("layer", "kernel_"+string(tc.in), shape, true)
			kernelInit{tc.in, fi, fo}.fill(v)
			n := float64(len(v.data))
			mean, sq, top := 0.0, 0.0, 0.0
			for _, x := range v.data {
				mean += float64(x)
				top = max(top, math.Abs(float64(x)))
			}
			mean /= n
			for _, x := range v.data {
				sq += (float64(x) - mean) * (float64(x) - mean)
			}
			variance := sq / n
			sd := math.Sqrt(tc.variance)
			require.InDelta(t, 0, mean, 5*sd/math.Sqrt(n), "%s %v mean", tc.in, shape)
			require.InEpsilon(t, tc.variance, variance, 0.03, "%s %v variance", tc.in, shape)
			if tc.bound > 0 {
				require.LessOrEqual(t, top, tc.bound*(1+1e-6), "%s %v bound", tc.in, shape)
				require.Greater(t, top, 0.95*tc.bound, "%s %v reaches near its bound", tc.in, shape)
			} else {
				require.Greater(t, top, 3*sd, "%s %v: an untruncated normal goes past 3 stddev in %g draws", tc.in, shape, n)
			}
		}
		for in, want := range map[Initializer]float32{Zeros: 0, Ones: 1} {
			v := newVariable("layer", "kernel", shape, true)
			kernelInit{in, fi, fo}.fill(v)
			for _, x := range v.data {
				require.Equal(t, want, x, in)
			}
		}
	}
}

// A Dense given a kernel initializer draws with it, writes it in its
// config in Keras' class form, and reads it back from the config.
func TestDenseKernelInitializer(t *testing.T) {
	in := Input([]int{400})
	d := NewDense(2, WithName("out"), WithActivation(ActSoftmax), WithKernelInitializer(RandomUniform))
	_, err := NewModel([]*Node{in}, []*Node{d.Apply(in)})
	require.NoError(t, err)
	for _, x := range d.kernel.data {
		require.LessOrEqual(t, math.Abs(float64(x)), 0.05)
	}
	cfg := d.Config()
	require.Equal(t, map[string]any{"class_name": "RandomUniform", "config": map[string]any{"minval": -0.05, "maxval": 0.05, "seed": nil}}, cfg["kernel_initializer"])
	back, err := LayerFromConfig("Dense", jsonRoundTrip(t, cfg))
	require.NoError(t, err)
	require.Equal(t, RandomUniform, back.(*Dense).kinit)

	// Keras' default is left out; names Keel lacks are an error.
	require.NotContains(t, NewDense(2, WithKernelInitializer(GlorotUniform)).Config(), "kernel_initializer")
	_, err = ParseInitializer("orthogonal")
	require.ErrorContains(t, err, "random_uniform")
	in2 := Input([]int{3})
	_, err = NewModel([]*Node{in2}, []*Node{NewDense(2, WithKernelInitializer("bogus")).Apply(in2)})
	require.ErrorContains(t, err, "bogus")
	for _, name := range []string{"he_normal", "HeNormal"} {
		got, err := ParseInitializer(name)
		require.NoError(t, err)
		require.Equal(t, HeNormal, got)
	}
}

// jsonRoundTrip is cfg as a config read from JSON (numbers as float64).
func jsonRoundTrip(t *testing.T, cfg map[string]any) Config {
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	var c Config
	require.NoError(t, json.Unmarshal(b, &c))
	return c
}
