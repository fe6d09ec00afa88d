package zoo

import (
	"testing"

	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// A model is one registration: a toy spec is built, named, preprocessed and
// sized by New like every model of the zoo.
func TestRegisterToyModel(t *testing.T) {
	toy := Spec{
		Name: "toy_net", KerasName: "ToyNet", DefaultSize: 40, MinSize: 20, Preprocess: "torch",
		Build: func(o Options, in Shape) (*nn.Model, error) {
			b := newBuilder()
			img := b.input(in)
			x := b.conv(img, "toy_conv", 4, 3, 2, "same")
			x = b.pooling(x, o.Pooling, "avg_pool", "max_pool")
			return nn.NewModel([]*nn.Node{img}, []*nn.Node{x}, nn.WithName("toy_net"))
		},
		Head: HeadFlatten,
	}
	Register(toy)
	t.Cleanup(func() {
		specsMu.Lock()
		delete(specs, toy.Name)
		specsMu.Unlock()
	})
	require.Contains(t, Names(), "toy_net")
	require.Equal(t, "toy_net", Names()[len(Names())-1], "models outside Keras' table come last")
	mode, err := PreprocessMode("toy_net")
	require.NoError(t, err)
	require.Equal(t, PreprocessTorch, mode)
	require.Equal(t, 40, DefaultSize("toy_net"))

	m, err := New("toy_net", Options{Notices: testWriter{t}})
	require.NoError(t, err)
	require.Equal(t, []int{20, 20, 4}, m.Output().Shape(), "default size 40, stride 2")
	m, err = New("toy_net", Options{Pooling: "avg", InputShape: []int{24, 32, 3}, Notices: testWriter{t}})
	require.NoError(t, err)
	require.Equal(t, []int{4}, m.Output().Shape())
	_, err = New("toy_net", Options{InputShape: []int{16, 16, 3}, Notices: testWriter{t}})
	require.ErrorContains(t, err, "Input size must be at least 20x20; got `input_shape=(16, 16, 3)`")
	_, err = New("toy_net", Options{Weights: "imagenet", Notices: testWriter{t}})
	require.ErrorContains(t, err, `no ImageNet weights for model "toy_net"`)

	require.Panics(t, func() { Register(toy) }, "a name registered twice")
	require.Panics(t, func() { Register(Spec{Name: "no_builder", DefaultSize: 1, MinSize: 1, Preprocess: "tf"}) })
}

// Every registered model has the facts the commands print, and its
// published parameter count is the count of the graph Keel builds.
func TestSpecsComplete(t *testing.T) {
	for _, s := range Specs() {
		t.Run(s.Name, func(t *testing.T) {
			require.NotEmpty(t, s.KerasName)
			require.Contains(t, []Preprocessing{PreprocessCaffe, PreprocessTF, PreprocessTorch, PreprocessNone}, s.Preprocess)
			require.GreaterOrEqual(t, s.DefaultSize, s.MinSize)
			p := s.Published
			// Zero size and top-5: not published (MobileNetV3).
			require.GreaterOrEqual(t, p.SizeMB, 0.0)
			require.Positive(t, p.Depth)
			require.True(t, p.Top1 > 0 && p.Top1 < 1 && (p.Top5 == 0 || p.Top1 < p.Top5 && p.Top5 < 1), "top-1 %v, top-5 %v", p.Top1, p.Top5)
			if s.WeightsFor == nil || s.Weights[0].URL != "" {
				for _, f := range s.Weights {
					require.NotEmpty(t, f.Name)
					require.Contains(t, f.URL, "https://")
				}
			}
			if testing.Short() && p.Params > 30e6 {
				t.Skip("large model in -short mode")
			}
			m, err := New(s.Name, Options{IncludeTop: true, Notices: testWriter{t}})
			require.NoError(t, err)
			n := 0
			for _, l := range m.Layers() {
				for _, v := range l.Weights() {
					n += elements(v.Shape())
				}
			}
			require.Equal(t, p.Params, n, "parameters with the top at %d px", s.DefaultSize)
		})
	}
}
