package zoo

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// The Inceptions take what keras_applications lets them: 299 by default, at
// least 75, and the no-top pooling as its automatically named layers.
func TestInceptionOptions(t *testing.T) {
	tests := []struct {
		model     string
		o         Options
		wantLast  string
		wantShape []int
		err       string
	}{
		{model: "inception_v3", o: Options{IncludeTop: true}, wantLast: "predictions", wantShape: []int{1000}},
		{model: "inception_v3", o: Options{InputShape: []int{75, 75, 3}}, wantLast: "mixed10", wantShape: []int{1, 1, 2048}},
		{model: "inception_v3", o: Options{InputShape: []int{74, 75, 3}}, err: "at least 75x75"},
		{model: "inception_v3", o: Options{InputShape: []int{80, 80, 3}, Pooling: "avg"}, wantLast: "global_average_pooling2d_1", wantShape: []int{2048}},
		{model: "inception_resnet_v2", o: Options{}, wantLast: "conv_7b_ac", wantShape: []int{8, 8, 1536}},
		{model: "inception_resnet_v2", o: Options{InputShape: []int{75, 75, 3}, Pooling: "max"}, wantLast: "global_max_pooling2d_1", wantShape: []int{1536}},
		{model: "inception_resnet_v2", o: Options{InputShape: []int{75, 74, 3}}, err: "at least 75x75"},
		{model: "inception_resnet_v2", o: Options{IncludeTop: true, Classes: 5, InputShape: []int{96, 96, 3}}, wantLast: "predictions", wantShape: []int{5}},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%s/top=%v/%v/pooling=%q", tc.model, tc.o.IncludeTop, tc.o.InputShape, tc.o.Pooling)
		t.Run(name, func(t *testing.T) {
			tc.o.Notices = testWriter{t}
			m, err := New(tc.model, tc.o)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			out := m.Output()
			require.Equal(t, tc.wantLast, out.Layer().Name())
			require.Equal(t, tc.wantShape, out.Shape())
		})
	}
}
