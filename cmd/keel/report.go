package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/keelml/keel/report"
)

func init() {
	register(command{name: "report", summary: "draw a run's curves, confusion matrix and mistakes into a folder", flags: reportFlags})
}

const reportHelp = `usage: keel report --from RUN.json --out DIR

Draws curves.png, confusion.png, errors.png and a self-contained index.html
into DIR from a run written as JSON (--from - reads standard input):

  {"settings":   {"model": "mobilenet_v2", "epochs": 10, ...},
   "history":    {"loss": [...], "accuracy": [...], "val_loss": [...],
                  "val_accuracy": [...], "fine_tune_start": 5},
   "evaluation": {"classes": [...], "confusion": [[...]], "loss": 0.4,
                  "accuracy": 0.9, "per_class": [{"precision": ..,
                  "recall": .., "f1": .., "support": ..}],
                  "misclassified": [{"path": .., "true": .., "pred": ..,
                  "prob": ..}]}}

History keys are Keras' History.history names; fine_tune_start is the index of
the first fine-tuned epoch (omit it, or -1, for none). Any part may be left out.
Prints the path of index.html.

flags:`

func reportFlags(fs *flag.FlagSet) func([]string) error {
	from := fs.String("from", "", "the run as JSON (- for standard input)")
	out := fs.String("out", "", "folder to write the report into (made if missing)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), reportHelp)
		fs.PrintDefaults()
	}
	return func(args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("%w: unexpected argument %q (the run is read from --from)", errUsage, args[0])
		}
		if *from == "" || *out == "" {
			return fmt.Errorf("%w: --from RUN.json and --out DIR are required", errUsage)
		}
		run, err := readRunFile(*from)
		if err != nil {
			return err
		}
		if err := report.Write(*out, run); err != nil {
			return err
		}
		fmt.Println(filepath.Join(*out, report.IndexFile))
		return nil
	}
}

// readRunFile reads a report.Run from path, or from standard input for "-".
func readRunFile(path string) (report.Run, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return report.Run{}, err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return report.Run{}, fmt.Errorf("%s is a folder; --from takes the run's JSON file", path)
		}
		r = f
	}
	run, err := report.ReadRun(r)
	if err != nil {
		return report.Run{}, fmt.Errorf("%s: %w", path, err)
	}
	return run, nil
}
