package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/keelml/keel/nn"
)

// modelLayerReport is one layer of a file's model config, nested models'
// layers included, and whether Keel builds its class.
type modelLayerReport struct {
	Name      string `json:"name"`
	ClassName string `json:"class_name"`
	Supported bool   `json:"supported"`
	// Model is the nested model holding the layer ("outer/inner"), empty
	// for the file's model itself.
	Model string `json:"model,omitempty"`
}

// graphClasses are the classes nn builds from a model config itself rather
// than through its layer registry.
var graphClasses = []string{"InputLayer", "Model", "Functional", "Sequential"}

func isModelClass(class string) bool { return slices.Contains(graphClasses[1:], class) }

// modelLayers lists the layers of a model config (model.to_json(), a
// .keras archive's config.json) depth first: a nested model, then its
// layers.
func modelLayers(config map[string]any) []modelLayerReport {
	registered := nn.LayerClasses()
	var out []modelLayerReport
	var walk func(cfg any, model string, depth int)
	walk = func(cfg any, model string, depth int) {
		entries, ok := cfg.([]any) // Keras 1 and 2.0-2.1 Sequential: the bare list
		if !ok {
			inner, _ := cfg.(map[string]any)
			entries, _ = inner["layers"].([]any)
		}
		for _, e := range entries {
			entry, _ := e.(map[string]any)
			class, _ := entry["class_name"].(string)
			lcfg, _ := entry["config"].(map[string]any)
			name, _ := lcfg["name"].(string)
			if n, ok := entry["name"].(string); ok {
				name = n
			}
			supported := slices.Contains(registered, class) || slices.Contains(graphClasses, class)
			out = append(out, modelLayerReport{Name: name, ClassName: class, Supported: supported, Model: model})
			if isModelClass(class) && depth < maxInspectNesting {
				walk(entry["config"], strings.TrimPrefix(model+"/"+name, "/"), depth+1)
			}
		}
	}
	walk(config["config"], "", 0)
	return out
}

// maxInspectNesting bounds the nested models listed.
const maxInspectNesting = 32

// printModelLayers prints the model config's layers, nested ones indented,
// and those Keel lacks counted.
func printModelLayers(w io.Writer, layers []modelLayerReport) error {
	lacking := 0
	for _, l := range layers {
		if !l.Supported {
			lacking++
		}
	}
	fmt.Fprintf(w, "\nmodel layers (%d, %d of classes Keel lacks):\n", len(layers), lacking)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, l := range layers {
		support := "supported"
		if !l.Supported {
			support = "NOT SUPPORTED"
		}
		indent := strings.Repeat("  ", strings.Count(l.Model, "/")+min(len(l.Model), 1))
		fmt.Fprintf(tw, "  %s%s\t%s\t%s\n", indent, l.Name, l.ClassName, support)
	}
	return tw.Flush()
}
