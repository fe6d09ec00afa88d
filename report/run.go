package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Run is everything a report shows. Any part may be empty: a report of an
// evaluation alone has no History, one of training alone no Evaluation.
type Run struct {
	Settings   Settings    `json:"settings,omitempty"`
	History    History     `json:"history"`
	Evaluation *Evaluation `json:"evaluation,omitempty"`
}

// History is Keras' History.history: one value per epoch. ValLoss and
// ValAccuracy are empty when there was no validation data.
type History struct {
	Loss        []float64 `json:"loss"`
	Accuracy    []float64 `json:"accuracy,omitempty"`
	ValLoss     []float64 `json:"val_loss,omitempty"`
	ValAccuracy []float64 `json:"val_accuracy,omitempty"`
	// FineTuneStart is the index of the first epoch trained with the
	// backbone unfrozen, or -1 when the whole run trained the head alone.
	FineTuneStart int `json:"fine_tune_start"`
}

// UnmarshalJSON reads a History, with no fine-tuning (-1) when the document
// does not name its start: 0 would mean every epoch was fine-tuning. Unknown
// keys are errors, as in ReadRun.
func (h *History) UnmarshalJSON(b []byte) error {
	type plain History
	p := plain{FineTuneStart: -1}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*h = History(p)
	return nil
}

// Epochs is the number of epochs recorded.
func (h History) Epochs() int { return len(h.Loss) }

// Evaluation is a model's result on a labelled test set.
type Evaluation struct {
	Classes []string `json:"classes"`
	// Confusion[i][j] counts the images of class i predicted as class j.
	Confusion [][]int        `json:"confusion"`
	PerClass  []ClassMetrics `json:"per_class,omitempty"` // in the order of Classes
	Loss      float64        `json:"loss"`
	Accuracy  float64        `json:"accuracy"`
	// Misclassified are wrongly predicted test images, in any order (the
	// report shows the most confident first).
	Misclassified []Mistake `json:"misclassified,omitempty"`
}

// ClassMetrics are one class's figures, as sklearn's classification_report
// gives them.
type ClassMetrics struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Mistake is one misclassified image: its file, its true and predicted class
// names, and the probability the model gave the predicted class.
type Mistake struct {
	Path string  `json:"path"`
	True string  `json:"true"`
	Pred string  `json:"pred"`
	Prob float64 `json:"prob"`
}

// ReadRun decodes a Run from JSON and checks it. Unknown keys are errors, so
// a misspelt "val_acc" is named instead of silently dropped.
func ReadRun(r io.Reader) (Run, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	run := Run{History: History{FineTuneStart: -1}}
	if err := dec.Decode(&run); err != nil {
		return Run{}, fmt.Errorf("run JSON: %w", err)
	}
	return run, run.Validate()
}

// Validate reports the first inconsistency that would make a chart lie.
func (r Run) Validate() error {
	h := r.History
	n := h.Epochs()
	for _, s := range []struct {
		name string
		vals []float64
	}{{"accuracy", h.Accuracy}, {"val_loss", h.ValLoss}, {"val_accuracy", h.ValAccuracy}} {
		if len(s.vals) != 0 && len(s.vals) != n {
			return fmt.Errorf("history: %s has %d epochs, loss has %d", s.name, len(s.vals), n)
		}
	}
	if h.FineTuneStart < -1 || (n > 0 && h.FineTuneStart >= n) || (n == 0 && h.FineTuneStart > 0) {
		return fmt.Errorf("history: fine_tune_start %d outside -1..%d", h.FineTuneStart, n-1)
	}
	if r.Evaluation != nil {
		return r.Evaluation.validate()
	}
	return nil
}

func (e *Evaluation) validate() error {
	k := len(e.Classes)
	if k == 0 {
		return errors.New("evaluation: no classes")
	}
	if len(e.Confusion) != k {
		return fmt.Errorf("evaluation: confusion has %d rows, want one per class (%d)", len(e.Confusion), k)
	}
	for i, row := range e.Confusion {
		if len(row) != k {
			return fmt.Errorf("evaluation: confusion row %d (%s) has %d columns, want %d", i, e.Classes[i], len(row), k)
		}
		for j, c := range row {
			if c < 0 {
				return fmt.Errorf("evaluation: confusion[%d][%d] is negative (%d)", i, j, c)
			}
		}
	}
	if len(e.PerClass) != 0 && len(e.PerClass) != k {
		return fmt.Errorf("evaluation: per_class has %d entries, want %d", len(e.PerClass), k)
	}
	for i, m := range e.Misclassified {
		if m.Prob < 0 || m.Prob > 1 {
			return fmt.Errorf("evaluation: misclassified[%d] (%s) has probability %v outside [0, 1]", i, m.Path, m.Prob)
		}
	}
	return nil
}
