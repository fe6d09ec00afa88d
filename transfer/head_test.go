package transfer

import (
	"testing"

	"github.com/keelml/keel/internal/hostile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

func TestCheckHead(t *testing.T) {
	for _, c := range []struct {
		spec     string
		features []int
		want     string // "" when the head fits
	}{
		{"gap,dense:100:relu,dropout:0.5,dense:softmax", []int{7, 7, 1024}, ""},
		{"flatten,dense:softmax", []int{7, 7, 512}, ""},
		{"flatten,dense:100000", []int{7, 7, 2048}, "head layer 2 (dense:100000) on features (100352,) brings the head to 40.1 GB of float32 weights, more than the 1.07 GB allowed"},
		{"dense:1048576,dense:1048576", []int{8}, "head layer 2 (dense:1048576) on features (1048576,)"},
		{"gap,dense:softmax", []int{100}, "head layer 1 (gap) needs (H, W, C) features, got (100,)"},
	} {
		t.Run(c.spec, func(t *testing.T) {
			head, err := ParseHead(c.spec)
			require.NoError(t, err)
			err = CheckHead(head, c.features, 10)
			if c.want == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, c.want)
			}
		})
	}
	_, err := ParseHead("dense:1000000000000")
	require.EqualError(t, err, `head layer 1 "dense:1000000000000": units must be in [1, 1048576]`)
}

// FuzzParseHead parses arbitrary head specs and builds those CheckHead
// accepts on a small backbone output: never a panic, never past
// hostile.FuzzAlloc.
func FuzzParseHead(f *testing.F) {
	for _, s := range []string{"gap,dense:100:relu,dropout:0.5,dense:softmax", "flatten,dense:softmax", "gmp,dense:3", "dense:relu,dense:2:sigmoid", "dropout:0.2,dense:1048576"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		hostile.CheckAlloc(t, func() {
			head, err := ParseHead(spec)
			if err != nil {
				return
			}
			in := nn.Input([]int{4, 4, 8})
			if CheckHead(head, in.Shape(), 5) != nil {
				return
			}
			if _, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{Apply(HeadLayers(head, 5), in)}); err != nil {
				t.Fatalf("head %q passed CheckHead but does not build: %v", spec, err)
			}
		})
	})
}

// The guide's head: Flatten, Dense(100, relu), Dense(2, softmax,
// kernel_initializer='random_uniform').
func TestHeadKernelInitializer(t *testing.T) {
	head, err := ParseHead("flatten,dense:100:relu,dense:2:softmax:init=random_uniform")
	require.NoError(t, err)
	require.Equal(t, HeadLayer{Kind: "dense", Units: 2, Activation: "softmax", KernelInitializer: nn.RandomUniform}, head[2])
	_, err = ParseHead("dense:he_normal:init=he_normal")
	require.Error(t, err, "he_normal is not an activation")
	h, err := ParseHead("dense:init=he_normal")
	require.NoError(t, err)
	require.Equal(t, []HeadLayer{{Kind: "dense", KernelInitializer: nn.HeNormal}}, h)
	_, err = ParseHead("dense:2:init=orthogonal")
	require.ErrorContains(t, err, `unknown initializer "orthogonal"`)

	in := nn.Input([]int{3, 3, 512})
	layers := HeadLayers(head, 2)
	_, err = nn.NewModel([]*nn.Node{in}, []*nn.Node{Apply(layers, in)})
	require.NoError(t, err)
	last := layers[2].(*nn.Dense)
	require.Contains(t, last.Config(), "kernel_initializer")
	for _, x := range last.Weights()[0].Value() {
		require.LessOrEqual(t, x, float32(0.05))
		require.GreaterOrEqual(t, x, float32(-0.05))
	}
	require.NotContains(t, layers[1].Config(), "kernel_initializer")
}
