package zoo

import (
	"fmt"
	"strconv"
)

// WeightsFile is one of the official Keras ImageNet weight files.
type WeightsFile struct {
	Name   string // file name in the cache
	URL    string
	MD5    string // hex digest published by keras_applications; empty where it publishes none
	SHA256 string // hex digest, where one is published instead (Keras 3)
}

// The URLs and hashes as keras_applications 1.0.8 publishes them.
const (
	fcholletV01    = "https://github.com/fchollet/deep-learning-models/releases/download/v0.1/"
	fcholletV02    = "https://github.com/fchollet/deep-learning-models/releases/download/v0.2/"
	fcholletV04    = "https://github.com/fchollet/deep-learning-models/releases/download/v0.4/"
	fcholletV06    = "https://github.com/fchollet/deep-learning-models/releases/download/v0.6/"
	kerasResnet    = "https://github.com/keras-team/keras-applications/releases/download/resnet/"
	mobilenetV2URL = "https://github.com/JonathanCMitchell/mobilenet_v2_keras/releases/download/v1.1/"
)

// kerasFiles are the notop and top files keras_applications names
// "<model>_weights_tf_dim_ordering_tf_kernels[_notop].h5" under base, with
// their MD5s.
func kerasFiles(base, model, notopMD5, topMD5 string) [2]WeightsFile {
	notop := model + "_weights_tf_dim_ordering_tf_kernels_notop.h5"
	top := model + "_weights_tf_dim_ordering_tf_kernels.h5"
	return [2]WeightsFile{
		{Name: notop, URL: base + notop, MD5: notopMD5},
		{Name: top, URL: base + top, MD5: topMD5},
	}
}

// keras3Files are the files Keras 3 names model_notop.h5 and model.h5 under
// base, with the hashes of notop and top.
func keras3Files(base, model string, notop, top WeightsFile) [2]WeightsFile {
	notop.Name, top.Name = model+"_notop.h5", model+".h5"
	notop.URL, top.URL = base+notop.Name, base+top.Name
	return [2]WeightsFile{notop, top}
}

// ImagenetWeights returns the official ImageNet weight file of a model. alpha
// and rows (the input size) matter only for MobileNet and MobileNetV2, whose
// files exist for alpha 0.25/0.5/0.75/1.0 and rows 128/160/192/224 (v1) and
// alpha 0.35..1.4 and rows 96..224 (v2).
func ImagenetWeights(model string, includeTop bool, alpha float64, rows int) (WeightsFile, error) {
	s, err := Lookup(model)
	if err != nil {
		return WeightsFile{}, fmt.Errorf("no ImageNet weights: %w", err)
	}
	return s.imagenetFile(Options{IncludeTop: includeTop, Alpha: alpha}, rows)
}

// mobilenetWeights names MobileNet's files: alpha 0.25/0.5/0.75/1.0, rows
// 128/160/192/224.
func mobilenetWeights(includeTop bool, alpha float64, rows int) (WeightsFile, error) {
	text, ok := map[float64]string{1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}[alpha]
	if !ok || !oneOf(rows, 128, 160, 192, 224) {
		return WeightsFile{}, fmt.Errorf("no ImageNet weights for MobileNet alpha %g at %d px: alpha must be 0.25, 0.5, 0.75 or 1.0 and size 128, 160, 192 or 224", alpha, rows)
	}
	name := fmt.Sprintf("mobilenet_%s_%d_tf%s.h5", text, rows, map[bool]string{false: "_no_top", true: ""}[includeTop])
	return WeightsFile{Name: name, URL: fcholletV06 + name}, nil
}

// mobilenetV2Weights names MobileNetV2's files: alpha 0.35..1.4, rows 96..224.
func mobilenetV2Weights(includeTop bool, alpha float64, rows int) (WeightsFile, error) {
	if !oneOfF(alpha, 0.35, 0.5, 0.75, 1.0, 1.3, 1.4) || !oneOf(rows, 96, 128, 160, 192, 224) {
		return WeightsFile{}, fmt.Errorf("no ImageNet weights for MobileNetV2 alpha %g at %d px: alpha must be one of 0.35, 0.5, 0.75, 1.0, 1.3, 1.4 and size one of 96, 128, 160, 192, 224", alpha, rows)
	}
	// Python's str(alpha): "1.0", "0.35".
	name := "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_" + pyFloat(alpha) + "_" + strconv.Itoa(rows) + map[bool]string{false: "_no_top", true: ""}[includeTop] + ".h5"
	return WeightsFile{Name: name, URL: mobilenetV2URL + name}, nil
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
