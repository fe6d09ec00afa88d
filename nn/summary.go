package nn

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// SummaryOptions are model.summary()'s line_length and positions.
type SummaryOptions struct {
	// LineLength defaults to 65 for a sequential-like model and 98 otherwise.
	LineLength int
	// Positions are the columns' right ends, as fractions of LineLength
	// (all <= 1) or absolute; default [.45 .85 1] or [.33 .55 .67 1].
	Positions []float64
}

// Summary returns what Keras 2.3.1's model.summary() prints: the model's
// name, a table of its layers (Keras' model.layers: nested models are one
// row) with "Layer (type)", "Output Shape", "Param #" and, unless the
// model is sequential-like (a chain without merges or shared layers),
// "Connected to" (layer[node][tensor], nested models' applications counted
// from 1 as Keras counts them), then the totals of all, trainable and
// non-trainable parameters: the weights of frozen layers and models and
// BatchNormalization's moving statistics are non-trainable. Lines are
// padded with spaces to the full width, as Keras pads them.
func (m *Model) Summary() string {
	var b strings.Builder
	m.WriteSummary(&b, SummaryOptions{})
	return b.String()
}

// WriteSummary writes Summary to w with the given options.
func (m *Model) WriteSummary(w io.Writer, o SummaryOptions) error {
	seq := m.sequentialLike()
	lineLength := o.LineLength
	positions := o.Positions
	headers := []string{"Layer (type)", "Output Shape", "Param #"}
	if seq {
		if lineLength == 0 {
			lineLength = 65
		}
		if positions == nil {
			positions = []float64{.45, .85, 1}
		}
	} else {
		if lineLength == 0 {
			lineLength = 98
		}
		if positions == nil {
			positions = []float64{.33, .55, .67, 1}
		}
		headers = append(headers, "Connected to")
	}
	pos := make([]int, len(positions))
	for i, p := range positions {
		pos[i] = int(p)
		if positions[len(positions)-1] <= 1 {
			pos[i] = int(float64(lineLength) * p)
		}
	}
	var b strings.Builder
	println := func(s string) { b.WriteString(s + "\n") }
	row := func(fields ...string) {
		var line []rune
		for i, f := range fields {
			if i >= len(pos) {
				break
			}
			if i > 0 && len(line) > 0 {
				line[len(line)-1] = ' '
			}
			line = append(line, []rune(f)...)
			if len(line) > pos[i] {
				line = line[:pos[i]]
			}
			for len(line) < pos[i] {
				line = append(line, ' ')
			}
		}
		println(string(line))
	}
	rule := func(c string) { println(strings.Repeat(c, lineLength)) }

	println(fmt.Sprintf("Model: %q", m.name))
	rule("_")
	row(headers...)
	rule("=")
	layers := m.layers
	if m.class == "Sequential" && len(layers) > 0 {
		if _, ok := layers[0].(*InputLayer); ok {
			layers = layers[1:]
		}
	}
	for i, l := range layers {
		fields := []string{l.Name() + " (" + l.ClassName() + ")", outputShapeString(l), strconv.Itoa(countParams(l.Weights()))}
		if seq {
			row(fields...)
		} else {
			conns := m.connections(l)
			first := ""
			if len(conns) > 0 {
				first = conns[0]
			}
			row(append(fields, first)...)
			for _, c := range conns[min(1, len(conns)):] {
				row("", "", "", c)
			}
		}
		if i == len(layers)-1 {
			rule("=")
		} else {
			rule("_")
		}
	}
	trainable := countParams(m.TrainableWeights())
	nonTrainable := countParams(m.NonTrainableWeights())
	println("Total params: " + thousands(trainable+nonTrainable))
	println("Trainable params: " + thousands(trainable))
	println("Non-trainable params: " + thousands(nonTrainable))
	rule("_")
	_, err := io.WriteString(w, b.String())
	return err
}

// ParamCounts returns the model's total, trainable and non-trainable
// parameter counts, as Summary prints them.
func (m *Model) ParamCounts() (total, trainable, nonTrainable int) {
	trainable = countParams(m.TrainableWeights())
	nonTrainable = countParams(m.NonTrainableWeights())
	return trainable + nonTrainable, trainable, nonTrainable
}

func countParams(vs []*Variable) int {
	n := 0
	for _, v := range vs {
		n += len(v.data)
	}
	return n
}

// thousands formats n with commas, Python's "{:,}".
func thousands(n int) string {
	s := strconv.Itoa(abs(n))
	s = group3(s, ",")
	if n < 0 {
		return "-" + s
	}
	return s
}

// pyShape is a per-sample shape as Keras prints an output shape: a Python
// tuple with None for the batch.
func pyShape(shape []int) string {
	parts := []string{"None"}
	for _, d := range shape {
		parts = append(parts, strconv.Itoa(d))
	}
	if len(parts) == 1 {
		return "(None,)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// outputShapeString is Keras' layer.output_shape as summary prints it: the
// shape when every application gives the same, a list for several outputs,
// "multiple" when applications differ.
func outputShapeString(l Layer) string {
	var shapes []string
	for _, n := range l.InboundNodes() {
		var s string
		if n.call != nil && len(n.call.outs) > 1 {
			var parts []string
			for _, o := range n.call.outs {
				parts = append(parts, pyShape(o.shape))
			}
			s = "[" + strings.Join(parts, ", ") + "]"
		} else {
			s = pyShape(n.shape)
		}
		shapes = append(shapes, s)
	}
	if len(shapes) == 0 {
		return "multiple"
	}
	for _, s := range shapes[1:] {
		if s != shapes[0] {
			return "multiple"
		}
	}
	return shapes[0]
}

// connections lists, for each application of l in m, its inputs as
// "layer[node][tensor]".
func (m *Model) connections(l Layer) []string {
	var out []string
	for _, n := range l.InboundNodes() {
		if !m.owns(n) {
			continue
		}
		if _, ok := n.layer.(*InputLayer); ok {
			continue
		}
		for _, x := range appInputs(n) {
			out = append(out, fmt.Sprintf("%s[%d][%d]", x.layer.Name(), m.nodeIndex(x), x.index))
		}
	}
	return out
}

// sequentialLike is Keras 2.3.1's test in print_summary: a Sequential, or
// a graph whose nodes, grouped by depth, are one per depth, none with
// several inbound layers, and no layer applied twice in it.
func (m *Model) sequentialLike() bool {
	if m.class == "Sequential" {
		return true
	}
	// All applications of the network, producers before consumers.
	var nodes []*Node
	for _, in := range m.inputs {
		nodes = append(nodes, in)
	}
	nodes = append(nodes, m.order...)
	index := map[any]int{}
	for i, n := range nodes {
		index[appKey(n)] = i
	}
	depth := make([]int, len(nodes))
	layerDepth := map[Layer]int{}
	for i := len(nodes) - 1; i >= 0; i-- {
		n := nodes[i]
		d := max(depth[i], layerDepth[n.layer])
		layerDepth[n.layer], depth[i] = d, d
		for _, x := range appInputs(n) {
			if j, ok := index[appKey(x)]; ok {
				depth[j] = max(depth[j], d+1)
			}
		}
	}
	perDepth := map[int]int{}
	perLayer := map[Layer]int{}
	for i, n := range nodes {
		perDepth[depth[i]]++
		if perDepth[depth[i]] > 1 || len(appInputs(n)) > 1 {
			return false
		}
		perLayer[n.layer]++
		if perLayer[n.layer] > 1 {
			return false
		}
	}
	return true
}
