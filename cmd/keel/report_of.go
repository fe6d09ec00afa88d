package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/report"
	"github.com/keelml/keel/transfer"
)

// reportEvaluation converts transfer's evaluation into the report's.
func reportEvaluation(e *transfer.Evaluation) *report.Evaluation {
	if e == nil {
		return nil
	}
	r := &report.Evaluation{Classes: e.Classes, Confusion: e.Confusion, Loss: e.Loss, Accuracy: e.Accuracy}
	for _, c := range e.PerClass {
		r.PerClass = append(r.PerClass, report.ClassMetrics{Precision: c.Precision, Recall: c.Recall, F1: c.F1, Support: c.Support})
	}
	for _, m := range e.Misclassified {
		r.Misclassified = append(r.Misclassified, report.Mistake{Path: m.Path, True: m.True, Pred: m.Predicted, Prob: m.Probability})
	}
	return r
}

// reportHistory converts Fit's history (both phases) into the report's.
func reportHistory(h *nn.History, fineTuneStart int) report.History {
	out := report.History{FineTuneStart: fineTuneStart}
	if h != nil {
		out.Loss, out.Accuracy = h.History["loss"], h.History["accuracy"]
		out.ValLoss, out.ValAccuracy = h.History["val_loss"], h.History["val_accuracy"]
	}
	return out
}

// flagSettings are a command's flags that were given, in the order the
// FlagSet lists them, for the report's settings table.
func flagSettings(command string, fs *flag.FlagSet) report.Settings {
	s := report.Settings{{Key: "command", Value: "keel " + command}}
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "report" && f.Name != "json" {
			s = append(s, report.Setting{Key: f.Name, Value: f.Value.String()})
		}
	})
	return s
}

// writeReport draws run into dir and says where it is (on stderr when
// stdout carries JSON).
func writeReport(dir string, run report.Run, jsonOut bool) error {
	if err := report.Write(dir, run); err != nil {
		return fmt.Errorf("--report %s: %w", dir, err)
	}
	w := os.Stdout
	if jsonOut {
		w = os.Stderr
	}
	fmt.Fprintf(w, "report: %s\n", filepath.Join(dir, "index.html"))
	return nil
}
