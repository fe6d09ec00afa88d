package zoo

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"

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
	// The Keras 3 models (MobileNetV3, EfficientNet, EfficientNetV2) use
	// their Keras defaults (0.2 to 0.5 by model) whatever it is.
	Dropout float64
	// Minimalistic selects MobileNetV3's minimalistic variant: ReLU, 3x3
	// kernels, no squeeze-and-excitation (Keras' minimalistic=True).
	Minimalistic bool
	// NoPreprocessing leaves out the input rescaling the Keras 3 models
	// include (Keras' include_preprocessing=False: MobileNetV3 and
	// EfficientNetV2; EfficientNet always has it).
	NoPreprocessing bool
	// SkipMismatch skips model layers whose weights are missing from the
	// file or have other shapes, instead of failing (Keras' skip_mismatch).
	SkipMismatch bool
	// Fetch controls the download of "imagenet" weights.
	Fetch FetchOptions
	// Notices receives warnings and loading notices (default os.Stderr).
	Notices io.Writer
}

// New builds the named model (one of Names) and loads its weights.
// "resnet50" with a weights file picks the graph whose layer names the file
// uses; "resnet50_legacy" always builds the graph of the original files.
func New(name string, o Options) (*nn.Model, error) {
	return NewContext(context.Background(), name, o)
}

// NewContext is New with a context for the download of ImageNet weights.
func NewContext(ctx context.Context, name string, o Options) (*nn.Model, error) {
	o.Classes = cmp.Or(o.Classes, 1000)
	o.Alpha = cmp.Or(o.Alpha, 1)
	o.DepthMultiplier = cmp.Or(o.DepthMultiplier, 1)
	o.Dropout = cmp.Or(o.Dropout, 1e-3)
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

	spec, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	in, rows, err := spec.inputShape(o, imagenet)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m, err := spec.Build(o, in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	path := o.Weights
	if imagenet {
		f, err := spec.imagenetFile(o, rows)
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
