package zoo

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestObtainInputShape(t *testing.T) {
	tests := []struct {
		name     string
		given    []int
		flatten  bool
		imagenet bool
		want     Shape
		err      string
		warn     bool
	}{
		{name: "default with top", flatten: true, imagenet: true, want: Shape{224, 224, 3}},
		{name: "default without top", want: Shape{0, 0, 3}},
		{name: "imagenet top must be 224", given: []int{200, 200, 3}, flatten: true, imagenet: true, err: "`input_shape` should be (224, 224, 3)."},
		{name: "no top any size", given: []int{96, 128, 3}, imagenet: true, want: Shape{96, 128, 3}},
		{name: "too small", given: []int{31, 64, 3}, imagenet: true, err: "Input size must be at least 32x32; got `input_shape=(31, 64, 3)`"},
		{name: "imagenet needs rgb", given: []int{64, 64, 1}, imagenet: true, err: "The input must have 3 channels; got `input_shape=(64, 64, 1)`"},
		{name: "grey without weights", given: []int{64, 64, 1}, want: Shape{64, 64, 1}},
		{name: "odd channels warn", given: []int{64, 64, 5}, want: Shape{64, 64, 5}, warn: true},
		{name: "not three", given: []int{64, 64}, err: "`input_shape` must be a tuple of three integers."},
		{name: "top needs static", given: []int{0, 0, 3}, flatten: true, err: "you should specify a static `input_shape`. Got `input_shape=(None, None, 3)`"},
		{name: "random weights top any size", given: []int{64, 64, 3}, flatten: true, want: Shape{64, 64, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, warns, err := obtainInputShape(tc.given, 224, 32, tc.flatten, tc.imagenet)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.warn, len(warns) > 0)
		})
	}
}
