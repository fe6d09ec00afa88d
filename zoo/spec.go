package zoo

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/keelml/keel/nn"
)

// Spec is everything Keel knows about one Keras application. Each family's
// file registers its models with Register in an init function; New, Names,
// the keel commands, transfer and the benchmark suites all read the specs.
type Spec struct {
	// Name is Keel's name: Keras' application name in snake case
	// ("resnet50_v2", "inception_v3").
	Name string
	// KerasName is the Keras application function ("ResNet50V2").
	KerasName string
	// Build builds the graph for an input shape, with o's defaults applied.
	Build func(o Options, in Shape) (*nn.Model, error)

	// DefaultSize is the input height and width without InputShape (224,
	// 299 for Xception and the Inceptions); MinSize is the smallest Keras
	// accepts (32, 71, 75).
	DefaultSize, MinSize int
	// ImagenetSizes lists the square sizes ImageNet files exist for where
	// there are several (MobileNet 128..224): a given size among them is
	// the default and selects the file; others load the 224 file.
	ImagenetSizes []int
	// FixedSize says the graph needs a static input of its default size
	// whenever ImageNet weights are loaded, with or without the top (NASNet,
	// whose cells are built for one size): nasnet.py passes require_flatten
	// whatever include_top, and first rejects None entries with ImageNet
	// weights in a message of its own.
	FixedSize bool
	// TopAnySize says the top works at any input size with ImageNet weights
	// too (MobileNetV3: mobilenet_v3.py requires no flatten size and only
	// warns when the size is not the file's).
	TopAnySize bool
	// Preprocess is Keras' preprocess_input mode of the model ("none": the
	// model normalises its own input).
	Preprocess Preprocessing
	// Weights are the official ImageNet files without and with the top
	// (Weights[0] notop, Weights[1] top). Where files depend on the options
	// (MobileNet's alpha and size, MobileNetV3's alpha and minimalistic),
	// WeightsFor picks them from the options and the file's rows instead;
	// Weights may then hold the files of the default options.
	Weights    [2]WeightsFile
	WeightsFor func(o Options, rows int) (WeightsFile, error)
	// CheckImagenet checks the options ImageNet weights allow (MobileNet's
	// alpha), returning Keras' message.
	CheckImagenet func(o Options) error
	// Head is the default transfer-learning head on the no-top backbone:
	// HeadFlatten for VGG (as the Keras guide does), HeadGlobalAverage
	// elsewhere.
	Head HeadKind
	// Published are Keras' figures from the applications table.
	Published Published
}

// HeadKind is the first layer of the default transfer head.
type HeadKind int

const (
	// HeadGlobalAverage is GlobalAveragePooling2D.
	HeadGlobalAverage HeadKind = iota
	// HeadFlatten is Flatten (VGG).
	HeadFlatten
)

// String is the head spec word: "gap" or "flatten".
func (h HeadKind) String() string {
	if h == HeadFlatten {
		return "flatten"
	}
	return "gap"
}

// Published are the figures of Keras' applications table: weight file size,
// ImageNet top-1 and top-5 accuracy (fractions), parameters and depth. Zero
// is a figure Keras does not publish (MobileNetV3's size and top-5); a
// depth Keras does not publish is the number of layers with weights.
type Published struct {
	SizeMB     float64
	Top1, Top5 float64
	Params     int
	Depth      int
}

var (
	specsMu sync.RWMutex
	specs   = map[string]Spec{}
)

// Register adds a model. It panics on a spec without name, builder or
// sizes, or on a name registered twice: both are programming errors in the
// registering file, found at start-up.
func Register(s Spec) {
	if s.Name == "" || s.Build == nil || s.DefaultSize < 1 || s.MinSize < 1 {
		panic(fmt.Sprintf("zoo.Register: spec %q needs a name, a builder and sizes", s.Name))
	}
	if s.Preprocess == "" {
		panic(fmt.Sprintf("zoo.Register: spec %q needs a preprocessing mode", s.Name))
	}
	specsMu.Lock()
	defer specsMu.Unlock()
	if _, dup := specs[s.Name]; dup {
		panic(fmt.Sprintf("zoo.Register: %q registered twice", s.Name))
	}
	specs[s.Name] = s
}

// Lookup returns the spec of a model name.
func Lookup(name string) (Spec, error) {
	specsMu.RLock()
	s, ok := specs[name]
	specsMu.RUnlock()
	if !ok {
		return Spec{}, fmt.Errorf("unknown model %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// kerasTable is the order of Keras' applications table; Names lists models
// in it first, any others after them alphabetically.
var kerasTable = []string{
	"xception", "vgg16", "vgg19", "resnet50", "resnet50_legacy", "resnet50_v2", "resnet101", "resnet101_v2",
	"resnet152", "resnet152_v2", "inception_v3", "inception_resnet_v2", "mobilenet", "mobilenet_v2",
	"densenet121", "densenet169", "densenet201", "nasnet_mobile", "nasnet_large",
	"efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "efficientnet_b4",
	"efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
	"efficientnet_v2_b0", "efficientnet_v2_b1", "efficientnet_v2_b2", "efficientnet_v2_b3",
	"efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l",
}

// Specs returns every registered model's spec, in the order of Names.
func Specs() []Spec {
	specsMu.RLock()
	defer specsMu.RUnlock()
	out := make([]Spec, 0, len(specs))
	for _, s := range specs {
		out = append(out, s)
	}
	rank := func(n string) int {
		if i := slices.Index(kerasTable, n); i >= 0 {
			return i
		}
		return len(kerasTable)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := rank(out[i].Name), rank(out[j].Name)
		if ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Names lists the models New builds, in the order of Keras' table.
func Names() []string {
	var out []string
	for _, s := range Specs() {
		out = append(out, s.Name)
	}
	return out
}

// PreprocessMode returns Keras' preprocess_input mode of a model: "caffe"
// (VGG, ResNet: RGB to BGR, ImageNet mean subtracted), "tf" (scaled to
// [-1, 1]), "torch" (DenseNet: ImageNet mean and deviation) or "none".
func PreprocessMode(model string) (Preprocessing, error) {
	s, err := Lookup(model)
	if err != nil {
		return "", fmt.Errorf("no preprocessing known: %w", err)
	}
	return s.Preprocess, nil
}

// DefaultSize returns a model's default input size (224 for an unknown
// name, the most common size, so that callers can print a default).
func DefaultSize(model string) int {
	if s, err := Lookup(model); err == nil {
		return s.DefaultSize
	}
	return 224
}

// imagenetFile returns the ImageNet weight file for the options.
func (s Spec) imagenetFile(o Options, rows int) (WeightsFile, error) {
	if s.WeightsFor != nil {
		return s.WeightsFor(o, rows)
	}
	top := 0
	if o.IncludeTop {
		top = 1
	}
	if f := s.Weights[top]; f.URL != "" {
		return f, nil
	}
	what := "without"
	if o.IncludeTop {
		what = "with"
	}
	return WeightsFile{}, fmt.Errorf("no ImageNet weights for model %q %s the top", s.Name, what)
}

// inputShape applies the model's input rules (Keras' _obtain_input_shape
// with the spec's sizes) and, for models with files at several sizes, picks
// the file's size. It returns the shape and the rows of the ImageNet file.
func (s Spec) inputShape(o Options, imagenet bool) (Shape, int, error) {
	defaultSize := s.DefaultSize
	square := len(o.InputShape) == 3 && o.InputShape[0] == o.InputShape[1]
	if s.ImagenetSizes != nil && square && slices.Contains(s.ImagenetSizes, o.InputShape[0]) {
		defaultSize = o.InputShape[0]
	}
	if s.FixedSize && imagenet && len(o.InputShape) == 3 && slices.Contains(o.InputShape, 0) {
		return Shape{}, 0, fmt.Errorf("When specifying the input shape of a NASNet and loading `ImageNet` weights, the input_shape argument must be static (no None entries). Got: `input_shape=%s`.", Shape(o.InputShape))
	}
	requireFlatten := o.IncludeTop && !s.TopAnySize || s.FixedSize
	in, warnings, err := obtainInputShape(o.InputShape, defaultSize, s.MinSize, requireFlatten, imagenet)
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
	if imagenet && s.CheckImagenet != nil {
		if err := s.CheckImagenet(o); err != nil {
			return Shape{}, 0, err
		}
	}
	if imagenet && s.ImagenetSizes != nil && (in[0] != in[1] || !slices.Contains(s.ImagenetSizes, in[0])) {
		rows = 224
		fmt.Fprintf(o.Notices, "warning: `input_shape` is undefined or non-square, or `rows` is not in %v. Weights for input shape (224, 224) will be loaded as the default.\n", s.ImagenetSizes)
	}
	return in, rows, nil
}
