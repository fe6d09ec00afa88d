package report_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/keelml/keel/report"
)

// A report of a short run: two epochs of the head, one of fine-tuning, and
// the test set's evaluation.
func Example() {
	dir, err := os.MkdirTemp("", "report")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	run := report.Run{
		Settings: report.Settings{{Key: "model", Value: "mobilenet"}, {Key: "epochs", Value: "2"}},
		History: report.History{
			Loss: []float64{0.9, 0.5, 0.3}, Accuracy: []float64{0.6, 0.8, 0.9},
			ValLoss: []float64{0.8, 0.6, 0.5}, ValAccuracy: []float64{0.7, 0.8, 0.85},
			FineTuneStart: 2,
		},
		Evaluation: &report.Evaluation{
			Classes:   []string{"cat", "dog"},
			Confusion: [][]int{{9, 1}, {2, 8}},
			Loss:      0.4, Accuracy: 0.85,
		},
	}
	if err := report.Write(dir, run); err != nil {
		panic(err)
	}
	for _, name := range []string{report.CurvesFile, report.ConfusionFile, report.ErrorsFile, report.IndexFile} {
		_, err := os.Stat(filepath.Join(dir, name))
		fmt.Println(name, err == nil)
	}
	// Output:
	// curves.png true
	// confusion.png true
	// errors.png false
	// index.html true
}
