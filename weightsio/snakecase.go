package weightsio

import (
	"regexp"
	"strings"
)

var (
	nonWord    = regexp.MustCompile(`\W+`)
	capWord    = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	lowerUpper = regexp.MustCompile(`([a-z])([A-Z])`)
)

// toSnakeCase is keras.src.utils.naming.to_snake_case, which Keras 3 uses to
// name a layer's group after its class (Conv2D -> conv2d, ReLU -> re_lu).
func toSnakeCase(name string) string {
	name = nonWord.ReplaceAllString(name, "")
	name = capWord.ReplaceAllString(name, "${1}_${2}")
	return strings.ToLower(lowerUpper.ReplaceAllString(name, "${1}_${2}"))
}
