package nn_test

import (
	"strings"
	"testing"

	"github.com/keelml/keel/internal/hostile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// TestModelFromJSONLimits builds configs that declare more than their
// limits allow: each is an error naming the place, reported before the
// layer past the limit allocates.
func TestModelFromJSONLimits(t *testing.T) {
	small := nn.Limits{MaxWeights: 1000, MaxInputValues: 1 << 12}
	for _, c := range []struct {
		name, config string
		lim          nn.Limits
		want         string
	}{
		{"brackets", strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000), nn.DefaultLimits,
			"nn: model JSON nests brackets more than 512 deep"},
		{"objects", strings.Repeat(`{"a":`, 100_000) + strings.Repeat("}", 100_000), nn.DefaultLimits,
			"nn: model JSON nests brackets more than 512 deep"},
		{"weights", hostile.SequentialConfig(8, 8, 3, hostile.Conv2D("c", 100)), small,
			`nn: layer "c" (Conv2D) declares weight kernel of shape (3, 3, 3, 100) = 10.8 kB of float32, more than the 1000 weight values a model may have (0 declared before it)`},
		{"bias", hostile.SequentialConfig(8, 8, 3, hostile.Conv2D("c", 37)), small,
			`nn: layer "c" (Conv2D) declares weight bias of shape (37,)`},
		{"overflow", hostile.SequentialConfig(8, 8, 3, hostile.Conv2D("c", 1<<62)), nn.DefaultLimits,
			`declares weight kernel of shape (3, 3, 3, 4611686018427387904) = 498 EB of float32`},
		{"input", hostile.SequentialConfig(64, 64, 3), small,
			`nn: input "input_1" declares shape (64, 64, 3) per sample = 49.2 kB of float32, more than the 4096 input values a model may take`},
		{"default input", hostile.SequentialConfig(1<<20, 1<<20, 1<<20), nn.DefaultLimits,
			`nn: input "input_1" declares shape (1048576, 1048576, 1048576) per sample`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := nn.ModelFromJSONWithin([]byte(c.config), c.lim)
			require.ErrorContains(t, err, c.want)
		})
	}
	// Within the limits, the same kind of config builds.
	m, err := nn.ModelFromJSONWithin([]byte(hostile.SequentialConfig(8, 8, 3, hostile.Conv2D("c", 35))), small)
	require.NoError(t, err)
	require.Equal(t, []int{8, 8, 35}, m.Output().Shape())
}
