package weightsio

import "testing"

func TestToSnakeCase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Conv2D", "conv2d"},
		{"BatchNormalization", "batch_normalization"},
		{"DepthwiseConv2D", "depthwise_conv2d"},
		{"ReLU", "re_lu"},
		{"GlobalAveragePooling2D", "global_average_pooling2d"},
		{"InputLayer", "input_layer"},
		{"Dense", "dense"},
	} {
		if got := toSnakeCase(tc.in); got != tc.want {
			t.Errorf("toSnakeCase(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
