package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
)

//go:embed index.html.tmpl
var indexSource string

var indexTemplate = template.Must(template.New(IndexFile).Parse(indexSource))

// figure is one row of the final figures table.
type figure struct{ Name, Value string }

// classRow is one row of the per-class table.
type classRow struct {
	Class string
	ClassMetrics
}

// indexHTML is index.html: the pictures inlined as data URLs (no file or
// network access when it is opened), the settings and the final figures.
func indexHTML(run Run, pictures []picture) ([]byte, error) {
	type image struct {
		Title, File string
		Src         template.URL
	}
	data := struct {
		Settings Settings
		Figures  []figure
		Classes  []classRow
		Images   []image
	}{Settings: run.Settings, Figures: finalFigures(run)}
	for _, p := range pictures {
		src := template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(p.png))
		data.Images = append(data.Images, image{p.title, p.file, src})
	}
	if e := run.Evaluation; e != nil {
		for i, m := range e.PerClass {
			data.Classes = append(data.Classes, classRow{e.Classes[i], m})
		}
	}
	var b bytes.Buffer
	err := indexTemplate.Execute(&b, data)
	return b.Bytes(), err
}

// finalFigures are the last epoch's figures and the evaluation's.
func finalFigures(run Run) []figure {
	var out []figure
	h := run.History
	if n := h.Epochs(); n > 0 {
		out = append(out, figure{"epochs", fmt.Sprint(n)})
		if h.FineTuneStart >= 0 {
			out = append(out, figure{"fine-tuning from epoch", fmt.Sprint(h.FineTuneStart + 1)})
		}
		for _, s := range []struct {
			name string
			vals []float64
		}{{"loss", h.Loss}, {"accuracy", h.Accuracy}, {"val_loss", h.ValLoss}, {"val_accuracy", h.ValAccuracy}} {
			if len(s.vals) > 0 {
				out = append(out, figure{"final " + s.name, fmt.Sprintf("%.4f", s.vals[n-1])})
			}
		}
	}
	if e := run.Evaluation; e != nil {
		total := 0
		for _, row := range e.Confusion {
			for _, c := range row {
				total += c
			}
		}
		out = append(out,
			figure{"test images", fmt.Sprint(total)},
			figure{"test loss", fmt.Sprintf("%.4f", e.Loss)},
			figure{"test accuracy", fmt.Sprintf("%.4f", e.Accuracy)})
	}
	return out
}
