package zoo

import (
	"fmt"
	"strconv"
)

// WeightsFile is one of the official Keras ImageNet weight files.
type WeightsFile struct {
	Name string // file name in the cache
	URL  string
	MD5  string // hex digest published by keras_applications; empty where it publishes none
}

// The URLs and hashes as keras_applications 1.0.8 publishes them.
const (
	fcholletV01    = "https://github.com/fchollet/deep-learning-models/releases/download/v0.1/"
	fcholletV02    = "https://github.com/fchollet/deep-learning-models/releases/download/v0.2/"
	fcholletV06    = "https://github.com/fchollet/deep-learning-models/releases/download/v0.6/"
	kerasResnet    = "https://github.com/keras-team/keras-applications/releases/download/resnet/"
	mobilenetV2URL = "https://github.com/JonathanCMitchell/mobilenet_v2_keras/releases/download/v1.1/"
)

var fixedWeights = map[string][2]WeightsFile{ // [notop, top]
	"vgg16": {
		{"vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", fcholletV01 + "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc"},
		{"vgg16_weights_tf_dim_ordering_tf_kernels.h5", fcholletV01 + "vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"},
	},
	"vgg19": {
		{"vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", fcholletV01 + "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6"},
		{"vgg19_weights_tf_dim_ordering_tf_kernels.h5", fcholletV01 + "vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"},
	},
	// resnet_common's files: the current layer names (conv2_block1_1_conv).
	"resnet50": {
		{"resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", kerasResnet + "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "4d473c1dd8becc155b73f8504c6f6626"},
		{"resnet50_weights_tf_dim_ordering_tf_kernels.h5", kerasResnet + "resnet50_weights_tf_dim_ordering_tf_kernels.h5", "2cb95161c43110f7111970584f804107"},
	},
	// resnet50.py's files (what Keras 2.3.1 loads): the legacy names
	// (res2a_branch2a). The same file names as above, so they are cached
	// under a subdirectory of their own.
	"resnet50_legacy": {
		{"legacy/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", fcholletV02 + "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "a268eb855778b3df3c7506639542a6af"},
		{"legacy/resnet50_weights_tf_dim_ordering_tf_kernels.h5", fcholletV02 + "resnet50_weights_tf_dim_ordering_tf_kernels.h5", "a7b3fe01876f51b976af0dea6bc144eb"},
	},
}

// ImagenetWeights returns the official ImageNet weight file of a model. alpha
// and rows (the input size) matter only for MobileNet and MobileNetV2, whose
// files exist for alpha 0.25/0.5/0.75/1.0 and rows 128/160/192/224 (v1) and
// alpha 0.35..1.4 and rows 96..224 (v2).
func ImagenetWeights(model string, includeTop bool, alpha float64, rows int) (WeightsFile, error) {
	top := 0
	if includeTop {
		top = 1
	}
	if f, ok := fixedWeights[model]; ok {
		return f[top], nil
	}
	suffix := map[bool]string{false: "_no_top", true: ""}[includeTop]
	switch model {
	case "mobilenet":
		text, ok := map[float64]string{1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}[alpha]
		if !ok || !oneOf(rows, 128, 160, 192, 224) {
			return WeightsFile{}, fmt.Errorf("no ImageNet weights for MobileNet alpha %g at %d px: alpha must be 0.25, 0.5, 0.75 or 1.0 and size 128, 160, 192 or 224", alpha, rows)
		}
		name := fmt.Sprintf("mobilenet_%s_%d_tf%s.h5", text, rows, suffix)
		return WeightsFile{Name: name, URL: fcholletV06 + name}, nil
	case "mobilenet_v2":
		if !oneOfF(alpha, 0.35, 0.5, 0.75, 1.0, 1.3, 1.4) || !oneOf(rows, 96, 128, 160, 192, 224) {
			return WeightsFile{}, fmt.Errorf("no ImageNet weights for MobileNetV2 alpha %g at %d px: alpha must be one of 0.35, 0.5, 0.75, 1.0, 1.3, 1.4 and size one of 96, 128, 160, 192, 224", alpha, rows)
		}
		// Python's str(alpha): "1.0", "0.35".
		name := "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_" + pyFloat(alpha) + "_" + strconv.Itoa(rows) + suffix + ".h5"
		return WeightsFile{Name: name, URL: mobilenetV2URL + name}, nil
	}
	return WeightsFile{}, fmt.Errorf("no ImageNet weights for model %q", model)
}

// pyFloat formats f as Python's str(float) does for these values.
func pyFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	for _, c := range s {
		if c == '.' {
			return s
		}
	}
	return s + ".0"
}

func oneOf(v int, set ...int) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func oneOfF(v float64, set ...float64) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}
