package modelfile

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/keelml/keel/internal/sizes"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
)

// isKeras1 says whether f was written by Keras 1: a legacy file whose
// keras_version is 1.x, or that has none (Keras 1 weights-only files), as
// Keras 2's loader decides.
func isKeras1(f *weightsio.File) bool {
	if f.Format != weightsio.FormatH5Model && f.Format != weightsio.FormatH5Weights {
		return false
	}
	return f.KerasVersion == "" || strings.HasPrefix(f.KerasVersion, "1.")
}

// modernConfig is f's model_config in the form nn builds: Keras 1 layer
// arguments translated, a bare Sequential list wrapped, channels_first
// layers run channels-last, unknown input dimensions filled from o.
func modernConfig(f *weightsio.File, o Options) ([]byte, error) {
	raw := f.ModelConfigJSON
	if isKeras1(f) {
		t, err := nn.TranslateKeras1(raw)
		if err != nil {
			return nil, err
		}
		raw = t
	}
	cfg, err := normalizeConfig(raw)
	if err != nil {
		return nil, err
	}
	if cfg, err = withInputShape(cfg, o.InputShape); err != nil {
		return nil, err
	}
	cfg, _, err = nn.ChannelsLastConfig(cfg)
	return cfg, err
}

// legacyLayouts are the weight layouts of an older Keras or backend that
// differ from what Keel's layers hold (Keras 2's
// preprocess_weights_for_loading).
type legacyLayouts struct {
	keras1 bool
	// theano: the kernels were trained with Theano's true convolution and
	// are flipped for correlation. Keras 2 files say so in their backend
	// attribute; Keras 1 files have none, but Theano names variables as
	// given ("dense_1_W") where TensorFlow appends ":0".
	theano bool
	// channelsFirst names the Keras 1 layers whose config said dim_ordering
	// "th": their kernels are stored (filters, inputs, rows, cols).
	channelsFirst map[string]bool
	maxValues     int64 // what one weight may hold: the file's values
}

func newLegacyLayouts(f *weightsio.File) *legacyLayouts {
	lg := &legacyLayouts{keras1: isKeras1(f), theano: f.Backend == "theano", channelsFirst: map[string]bool{}, maxValues: fileValues(f)}
	if lg.keras1 && f.Backend == "" {
		named := false
		lg.theano = true
		for _, l := range f.Layers() {
			for _, w := range l.Weights {
				named = true
				lg.theano = lg.theano && !strings.HasSuffix(w.Name, ":0")
			}
		}
		lg.theano = lg.theano && named
	}
	if lg.keras1 && len(f.ModelConfigJSON) > 0 {
		var v any
		if json.Unmarshal(f.ModelConfigJSON, &v) == nil {
			collectTH(v, lg.channelsFirst)
		}
	}
	return lg
}

// collectTH finds every layer config with dim_ordering "th".
func collectTH(v any, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		if v["dim_ordering"] == "th" {
			if n, ok := v["name"].(string); ok {
				into[n] = true
			}
		}
		for _, x := range v {
			collectTH(x, into)
		}
	case []any:
		for _, x := range v {
			collectTH(x, into)
		}
	}
}

// array is one weight's values read into memory.
type array struct {
	shape []int
	data  []float32
}

// convKernels are the layers whose first weight is a convolution kernel
// that Theano flipped.
var convKernels = map[string]bool{"Conv1D": true, "Conv2D": true, "Conv3D": true, "Conv2DTranspose": true, "ConvLSTM2D": true}

// load sets l's weights from fl where a legacy layout applies to l's class,
// converting them; handled is false where none applies. A mismatch is added
// to problems, as loadByName reports it.
func (lg *legacyLayouts) load(l nn.Layer, vars []*nn.Variable, fl *weightsio.Layer, problems *[]string) (handled bool, err error) {
	class, inner := l.ClassName(), ""
	if class == "Bidirectional" || class == "TimeDistributed" {
		if sub, ok := l.Config()["layer"].(map[string]any); ok {
			inner, _ = sub["class_name"].(string)
		}
	}
	if !lg.applies(class) && !lg.applies(inner) {
		return false, nil
	}
	arrays := make([]array, len(fl.Weights))
	for i := range fl.Weights {
		w := &fl.Weights[i]
		if sizes.Product(w.Shape) > float64(lg.maxValues) {
			return true, fmt.Errorf("layer %s: weight %s of shape %v holds more values than the file", fl.Name, w.Name, w.Shape)
		}
		data := make([]float32, w.Len())
		if err := w.ReadFloat32Into(data); err != nil {
			return true, fmt.Errorf("layer %s: %w", fl.Name, err)
		}
		arrays[i] = array{slices.Clone(w.Shape), data}
	}
	want := make([][]int, len(vars))
	for i, v := range vars {
		want[i] = v.Shape()
	}
	switch class {
	case "Bidirectional":
		half, wantHalf := len(arrays)/2, len(want)/2
		fw, err1 := lg.convert(inner, l.Name(), arrays[:half], want[:wantHalf])
		bw, err2 := lg.convert(inner, l.Name(), arrays[half:], want[wantHalf:])
		if err := firstError(err1, err2); err != nil {
			*problems = append(*problems, fmt.Sprintf("%s: %v", l.Name(), err))
			return true, nil
		}
		arrays = append(fw, bw...)
	case "TimeDistributed":
		arrays, err = lg.convert(inner, l.Name(), arrays, want)
	default:
		arrays, err = lg.convert(class, l.Name(), arrays, want)
	}
	if err != nil {
		*problems = append(*problems, fmt.Sprintf("%s: %v", l.Name(), err))
		return true, nil
	}
	if len(arrays) != len(vars) {
		*problems = append(*problems, fmt.Sprintf("%s: the model has %d weights, the file %d (converted from Keras 1's %d)", l.Name(), len(vars), len(arrays), len(fl.Weights)))
		return true, nil
	}
	for i, v := range vars {
		if !slices.Equal(v.Shape(), arrays[i].shape) {
			*problems = append(*problems, fmt.Sprintf("%s: %s has shape %v in the model, %v in the file (converted from the legacy layout)", l.Name(), v.Name(), v.Shape(), arrays[i].shape))
			return true, nil
		}
	}
	for i, v := range vars {
		if err := v.Set(arrays[i].shape, arrays[i].data); err != nil {
			return true, err
		}
	}
	return true, nil
}

func firstError(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// applies says whether a layer of class has weights in another layout.
func (lg *legacyLayouts) applies(class string) bool {
	switch {
	case lg.theano && convKernels[class]:
		return true
	case lg.keras1:
		return class == "Conv1D" || class == "Conv2D" || class == "LSTM" || class == "GRU"
	}
	return false
}

// convert turns one layer's legacy arrays into Keras 2's.
// want are the model's weight shapes, which tell Keras 1.1's Conv1D layout
// from Keras 1.2's.
func (lg *legacyLayouts) convert(class, name string, a []array, want [][]int) ([]array, error) {
	if lg.keras1 {
		switch class {
		case "Conv2D":
			if lg.channelsFirst[name] && len(a) > 0 && len(a[0].shape) == 4 {
				// (filters, inputs, rows, cols) -> (rows, cols, inputs, filters)
				a[0] = transposeArray(a[0], []int{2, 3, 1, 0})
			}
		case "Conv1D":
			if len(a) == 0 || len(a[0].shape) != 4 || len(want) == 0 || len(want[0]) != 3 {
				break
			}
			// Keras 1.2 kept (length, 1, inputs, filters), Keras 1.1
			// (filters, inputs, length, 1), as Keras 2 tells them apart.
			length, filters := want[0][0], want[0][2]
			if s := a[0].shape; s[0] != length || s[1] != 1 || s[3] != filters {
				a[0] = transposeArray(a[0], []int{2, 3, 1, 0})
			}
			if s := a[0].shape; s[1] == 1 {
				a[0] = array{[]int{s[0], s[2], s[3]}, a[0].data}
			}
		case "LSTM":
			if len(a) == 12 {
				// Keras 1: (W, U, b) per gate in order i, c, f, o; Keras 2
				// concatenates them in order i, f, c, o.
				a = gatesConcat(a, []int{0, 6, 3, 9})
			}
		case "GRU":
			if len(a) == 9 {
				a = gatesConcat(a, []int{0, 3, 6}) // z, r, h
			}
		}
	}
	if lg.theano && convKernels[class] && len(a) > 0 {
		a[0] = flipSpatial(a[0])
		if class == "ConvLSTM2D" && len(a) > 1 {
			a[1] = flipSpatial(a[1])
		}
	}
	return a, nil
}

// gatesConcat concatenates, for kernel, recurrent kernel and bias, the
// gates' arrays starting at the indices given, along the last axis.
func gatesConcat(a []array, starts []int) []array {
	out := make([]array, 3)
	for k := range 3 {
		parts := make([]array, len(starts))
		for g, s := range starts {
			parts[g] = a[s+k]
		}
		out[k] = concatLast(parts)
	}
	return out
}

// concatLast concatenates arrays of equal leading shape along the last axis.
func concatLast(parts []array) array {
	lead := parts[0].shape[:len(parts[0].shape)-1]
	rows := int(sizes.Product(lead))
	total := 0
	for _, p := range parts {
		total += p.shape[len(p.shape)-1]
	}
	out := array{append(slices.Clone(lead), total), make([]float32, rows*total)}
	off := 0
	for _, p := range parts {
		w := p.shape[len(p.shape)-1]
		for r := range rows {
			copy(out.data[r*total+off:r*total+off+w], p.data[r*w:(r+1)*w])
		}
		off += w
	}
	return out
}

// transposeArray is numpy's transpose(a, perm).
func transposeArray(a array, perm []int) array {
	n := len(a.shape)
	strides := make([]int, n)
	s := 1
	for i := n - 1; i >= 0; i-- {
		strides[i] = s
		s *= a.shape[i]
	}
	shape := make([]int, n)
	for i, p := range perm {
		shape[i] = a.shape[p]
	}
	out := array{shape, make([]float32, len(a.data))}
	idx := make([]int, n)
	for o := range out.data {
		in := 0
		for i := range n {
			in += idx[i] * strides[perm[i]]
		}
		out.data[o] = a.data[in]
		for i := n - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < shape[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out
}

// flipSpatial reverses a kernel along every axis but the last two (inputs,
// filters), as Keras' conv_utils.convert_kernel.
func flipSpatial(a array) array {
	n := len(a.shape)
	if n < 3 {
		return a
	}
	strides := make([]int, n)
	s := 1
	for i := n - 1; i >= 0; i-- {
		strides[i] = s
		s *= a.shape[i]
	}
	out := array{a.shape, make([]float32, len(a.data))}
	idx := make([]int, n)
	for o := range out.data {
		in := 0
		for i := range n {
			j := idx[i]
			if i < n-2 {
				j = a.shape[i] - 1 - j
			}
			in += j * strides[i]
		}
		out.data[o] = a.data[in]
		for i := n - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < a.shape[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out
}
