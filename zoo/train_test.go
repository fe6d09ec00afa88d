package zoo

import (
	"math"
	"slices"
	"testing"

	"github.com/keelml/keel/internal/specweights"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// A frozen-backbone training step runs on every model, as `keel bench train`
// and the transfer guide run it: the backbone's weights and BN statistics
// stay as they were, the new head learns, the loss is finite and falls.
// (Keras' own training step is checked in nn against the golden references.)
func TestFrozenTrainingStepEveryModel(t *testing.T) {
	for _, s := range Specs() {
		t.Run(s.Name, func(t *testing.T) {
			if testing.Short() && s.Published.Params > 30e6 {
				t.Skip("large model in -short mode")
			}
			size := max(s.MinSize, 64)
			base, err := New(s.Name, Options{InputShape: []int{size, size, 3}, Notices: testWriter{t}})
			require.NoError(t, err)
			setSpecWeights(t, base)
			base.SetTrainable(false)
			x := base.Output()
			if s.Head == HeadFlatten {
				x = nn.NewFlatten(nn.WithName("head_flatten")).Apply(x)
			} else {
				x = nn.NewGlobalAveragePooling2D(nn.WithName("head_gap")).Apply(x)
			}
			// With spec weights the deep models' features reach 1e6-1e13 (the
			// golden README): a BatchNormalization in the head keeps the
			// softmax out of saturation, where no loss could fall.
			x = nn.NewBatchNormalization(nn.WithName("head_bn")).Apply(x)
			x = nn.NewDense(3, nn.WithActivation("softmax"), nn.WithName("head_dense")).Apply(x)
			m, err := nn.NewModel(base.Inputs(), []*nn.Node{x})
			require.NoError(t, err)
			m.Compile(nn.NewAdam(nn.AdamConfig{}), nn.CategoricalCrossentropy{})

			frozen := map[string][]float32{}
			for _, l := range base.Layers() {
				for _, v := range l.Weights() {
					frozen[v.Path()] = slices.Clone(v.Value())
				}
			}
			head := slices.Clone(m.Layer("head_dense").Weights()[0].Value())
			xs, err := nn.TensorOf(specweights.RawImages([]int{2, size, size, 3}), 2, size, size, 3)
			require.NoError(t, err)
			require.NoError(t, Preprocess(s.Preprocess, xs.Data))
			ys, err := nn.TensorOf([]float32{1, 0, 0, 0, 0, 1}, 2, 3)
			require.NoError(t, err)
			first, err := m.TrainStep(xs, ys)
			require.NoError(t, err)
			require.False(t, math.IsNaN(first) || math.IsInf(first, 0), "loss %v", first)
			var last float64
			for i := 0; i < 5; i++ {
				last, err = m.TrainStep(xs, ys)
				require.NoError(t, err)
			}
			if !stochastic(base) {
				require.Less(t, last, first, "the head learns")
			}
			require.NotEqual(t, head, m.Layer("head_dense").Weights()[0].Value())
			for _, l := range base.Layers() {
				for _, v := range l.Weights() {
					require.Equal(t, frozen[v.Path()], v.Value(), "frozen %s changed", v.Path())
				}
			}
		})
	}
}

// stochastic says whether a model has layers that draw random numbers in
// training (EfficientNet's block dropouts), under which a loss need not fall
// from one step to the next.
func stochastic(m *nn.Model) bool {
	for _, l := range m.Layers() {
		switch l.ClassName() {
		case "Dropout", "SpatialDropout2D", "StochasticDepth":
			return true
		}
	}
	return false
}
