package serve

import (
	"fmt"
	"slices"

	"github.com/keelml/keel/internal/classify"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/quant" // also lets modelfile.Load read int8 files
	"github.com/keelml/keel/zoo"
)

// loaded is a model with what serving it needs, fixed when it is swapped in.
type loaded struct {
	model      *nn.Model
	meta       modelfile.Meta
	input      []int // one sample's shape
	classes    int   // units of the first output
	imageH     int   // images are resized to imageH x imageW (0: the model takes no images)
	imageW     int
	preprocess zoo.Preprocessing
}

// load checks that m can be served and works out its input.
func load(m *nn.Model, meta modelfile.Meta) (*loaded, error) {
	if m == nil {
		return nil, fmt.Errorf("serve: no model")
	}
	in := m.Input().Shape()
	out := m.Output().Shape()
	if len(out) != 1 {
		return nil, fmt.Errorf("serve: the model's output shape %v is not one vector of scores per input", out)
	}
	size, mode, err := classify.InputOf(m, meta, "")
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	l := &loaded{model: m, meta: meta, input: slices.Clone(in), classes: out[0], preprocess: mode}
	if len(in) == 3 && in[2] == 3 {
		l.imageH, l.imageW = classify.ImageSize(m, size)
	}
	return l, nil
}

// sampleLen is the number of values of one input.
func (l *loaded) sampleLen() int {
	n := 1
	for _, d := range l.input {
		n *= d
	}
	return n
}

// modelInfo is GET /v1/model's answer.
type modelInfo struct {
	Name       string   `json:"name"`
	InputShape []int    `json:"input_shape"`
	InputSize  []int    `json:"input_size,omitempty"` // height, width images are resized to
	Classes    []string `json:"classes"`
	Preprocess string   `json:"preprocessing"`
	Precision  string   `json:"precision"`
}

func (l *loaded) info(name string) modelInfo {
	classes := make([]string, l.classes)
	for i := range classes {
		classes[i] = fmt.Sprint(i)
		if i < len(l.meta.ClassNames) {
			classes[i] = l.meta.ClassNames[i]
		}
	}
	mi := modelInfo{Name: name, InputShape: l.input, Classes: classes, Preprocess: string(l.preprocess), Precision: quant.PrecisionOf(l.model)}
	if l.imageH > 0 {
		mi.InputSize = []int{l.imageH, l.imageW}
	}
	return mi
}
