package zoo

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
)

// Options are Keras' application arguments.
type Options struct {
	// IncludeTop keeps the ImageNet classifier. Keel's default is false: the
	// transfer-learning case.
	IncludeTop bool
	// Weights is "" (random initialisation), "imagenet" (the official Keras
	// file, downloaded into the cache on first use) or a weight file's path.
	Weights string
	// InputShape is (height, width, channels). Without it the model's default
	// size is used (224x224x3; for MobileNet with ImageNet weights the size of
	// the file); Keel needs a static size where Keras would allow None.
	InputShape []int
	// Pooling is "", "avg" or "max": global pooling after the last block
	// when IncludeTop is false.
	Pooling string
	// Classes is the number of classes of the top (default 1000).
	Classes int
	// Alpha is MobileNet's and MobileNetV2's width multiplier (default 1).
	Alpha float64
	// DepthMultiplier is MobileNet's depth multiplier (default 1).
	DepthMultiplier int
	// Dropout is MobileNet's dropout rate before the top (default 1e-3).
	Dropout float64
	// SkipMismatch skips model layers whose weights are missing from the
	// file or have other shapes, instead of failing (Keras' skip_mismatch).
	SkipMismatch bool
	// Fetch controls the download of "imagenet" weights.
	Fetch FetchOptions
	// Notices receives warnings and loading notices (default os.Stderr).
	Notices io.Writer
}

// Names lists the models New builds.
func Names() []string {
	return []string{"vgg16", "vgg19", "resnet50", "resnet50_legacy", "mobilenet", "mobilenet_v2"}
}

// New builds the named model ("vgg16", "vgg19", "resnet50",
// "resnet50_legacy", "mobilenet", "mobilenet_v2") and loads its weights.
// "resnet50" with a weights file picks the graph whose layer names the file
// uses; "resnet50_legacy" always builds the graph of the original files.
func New(name string, o Options) (*nn.Model, error) {
	return NewContext(context.Background(), name, o)
}

// NewContext is New with a context for the download of ImageNet weights.
func NewContext(ctx context.Context, name string, o Options) (*nn.Model, error) {
	if o.Classes == 0 {
		o.Classes = 1000
	}
	if o.Alpha == 0 {
		o.Alpha = 1
	}
	if o.DepthMultiplier == 0 {
		o.DepthMultiplier = 1
	}
	if o.Dropout == 0 {
		o.Dropout = 1e-3
	}
	if o.Notices == nil {
		o.Notices = os.Stderr
	}
	imagenet := o.Weights == "imagenet"
	if o.Weights != "" && !imagenet {
		if _, err := os.Stat(o.Weights); err != nil {
			return nil, fmt.Errorf("The `weights` argument should be either `None` (random initialization), `imagenet` (pre-training on ImageNet), or the path to the weights file to be loaded: %w", err)
		}
	}
	if imagenet && o.IncludeTop && o.Classes != 1000 {
		return nil, fmt.Errorf("If using `weights` as `\"imagenet\"` with `include_top` as true, `classes` should be 1000")
	}
	if o.Pooling != "" && o.Pooling != "avg" && o.Pooling != "max" {
		return nil, fmt.Errorf("pooling must be \"\", \"avg\" or \"max\", not %q", o.Pooling)
	}
	if name == "resnet50" && o.Weights != "" && !imagenet {
		legacy, err := usesLegacyResNetNames(o.Weights)
		if err != nil {
			return nil, err
		}
		if legacy {
			name = "resnet50_legacy"
		}
	}

	in, rows, err := inputShapeFor(name, o, imagenet)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var m *nn.Model
	switch name {
	case "vgg16":
		m, err = vgg("vgg16", [5]int{2, 2, 3, 3, 3}, o, in)
	case "vgg19":
		m, err = vgg("vgg19", [5]int{2, 2, 4, 4, 4}, o, in)
	case "resnet50":
		m, err = resnet50(o, in)
	case "resnet50_legacy":
		m, err = resnet50Legacy(o, in)
	case "mobilenet":
		m, err = mobilenet(o, in)
	case "mobilenet_v2":
		m, err = mobilenetV2(o, in)
	default:
		return nil, fmt.Errorf("unknown model %q (have %s)", name, strings.Join(Names(), ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	path := o.Weights
	if imagenet {
		f, err := ImagenetWeights(name, o.IncludeTop, o.Alpha, rows)
		if err != nil {
			return nil, err
		}
		fo := o.Fetch
		if fo.Progress == nil {
			fo.Progress = o.Notices
		}
		if path, err = Fetch(ctx, f, fo); err != nil {
			return nil, err
		}
	}
	if path != "" {
		rep, err := modelfile.LoadWeights(m, path, o.SkipMismatch)
		if err != nil {
			return nil, err
		}
		rep.Print(o.Notices)
	}
	return m, nil
}

// inputShapeFor applies each model's input rules: Keras' own checks, and for
// MobileNet/V2 with ImageNet weights the sizes that have files. It returns the
// shape and the rows of the ImageNet file to use.
func inputShapeFor(name string, o Options, imagenet bool) (Shape, int, error) {
	defaultSize := 224
	var sizes []int
	switch name {
	case "mobilenet":
		sizes = []int{128, 160, 192, 224}
	case "mobilenet_v2":
		sizes = []int{96, 128, 160, 192, 224}
	}
	if sizes != nil && len(o.InputShape) == 3 && o.InputShape[0] == o.InputShape[1] && slices.Contains(sizes, o.InputShape[0]) {
		defaultSize = o.InputShape[0]
	}
	in, warnings, err := obtainInputShape(o.InputShape, defaultSize, 32, o.IncludeTop, imagenet)
	if err != nil {
		return Shape{}, 0, err
	}
	for _, w := range warnings {
		fmt.Fprintln(o.Notices, "warning:", w)
	}
	if in[0] == 0 || in[1] == 0 {
		// Keras would build a model of any size; Keel builds for one size.
		in[0], in[1] = defaultSize, defaultSize
	}
	rows := in[0]
	if imagenet && sizes != nil {
		switch name {
		case "mobilenet":
			if o.DepthMultiplier != 1 {
				return Shape{}, 0, fmt.Errorf("If imagenet weights are being loaded, depth multiplier must be 1")
			}
			if !oneOfF(o.Alpha, 0.25, 0.5, 0.75, 1.0) {
				return Shape{}, 0, fmt.Errorf("If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, `0.75` or `1.0` only.")
			}
		case "mobilenet_v2":
			if !oneOfF(o.Alpha, 0.35, 0.5, 0.75, 1.0, 1.3, 1.4) {
				return Shape{}, 0, fmt.Errorf("If imagenet weights are being loaded, alpha can be one of `0.35`, `0.50`, `0.75`, `1.0`, `1.3` or `1.4` only.")
			}
		}
		if in[0] != in[1] || !slices.Contains(sizes, in[0]) {
			rows = 224
			fmt.Fprintf(o.Notices, "warning: `input_shape` is undefined or non-square, or `rows` is not in %v. Weights for input shape (224, 224) will be loaded as the default.\n", sizes)
		}
	}
	return in, rows, nil
}

// usesLegacyResNetNames says whether a ResNet50 weight file uses the names of
// the original Keras files (res2a_branch2a) rather than resnet_common's.
func usesLegacyResNetNames(path string) (bool, error) {
	f, err := weightsio.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, legacy := f.Layer("res2a_branch2a")
	_, current := f.Layer("conv2_block1_1_conv")
	if !legacy && !current {
		return false, fmt.Errorf("%s: no ResNet50 layers in this file (neither res2a_branch2a nor conv2_block1_1_conv)", path)
	}
	return legacy && !current, nil
}
