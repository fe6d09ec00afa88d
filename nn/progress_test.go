package nn

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// fakeClock returns a clock at t0 + *at.
func fakeClock(at *time.Duration) func() time.Time {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { return t0.Add(*at) }
}

func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	var at time.Duration
	p := &Progress{Out: &out, Now: fakeClock(&at), Interval: time.Nanosecond}
	f := &Fitting{Epochs: 5, Steps: 40}
	p.OnEpochBegin(f, 0)
	for b := 0; b < 12; b++ {
		at = time.Duration(b+1) * 75 * time.Millisecond
		p.OnBatchEnd(f, b, Logs{"batch": float64(b), "size": 32, "loss": 0.4213, "accuracy": 0.881})
	}
	lines := strings.Split(out.String(), "\r")
	if lines[0] != "Epoch 1/5\n" {
		t.Errorf("header %q", lines[0])
	}
	want := "12/40 [========>.....................] - ETA: 2s - loss: 0.4213 - accuracy: 0.8810"
	if got := lines[len(lines)-1]; got != want {
		t.Errorf("bar\n got %q\nwant %q", got, want)
	}
	out.Reset()
	at = 3 * time.Second
	p.OnEpochEnd(f, 0, Logs{"loss": 0.4213, "accuracy": 0.881, "val_loss": 0.5, "val_accuracy": 0.0001})
	want = "\r40/40 [==============================] - 3s 75ms/step - loss: 0.4213 - accuracy: 0.8810 - val_loss: 0.5000 - val_accuracy: 1.0000e-04\n"
	if out.String() != want {
		t.Errorf("epoch end\n got %q\nwant %q", out.String(), want)
	}
	// A shorter redraw clears the end of the longer line before it.
	out.Reset()
	p.OnEpochBegin(f, 1)
	p.OnBatchEnd(f, 0, Logs{"size": 32, "loss": 0.5, "accuracy": 0.5})
	long := out.Len()
	out.Reset()
	p.prevWidth = long + 10
	at += time.Second
	p.OnBatchEnd(f, 1, Logs{"size": 32, "loss": 0.5, "accuracy": 0.5})
	if !strings.HasSuffix(out.String(), "          ") {
		t.Errorf("no padding: %q", out.String())
	}
}

func TestProgressLines(t *testing.T) {
	var out bytes.Buffer
	var at time.Duration
	p := &Progress{Out: &out, Now: fakeClock(&at), Lines: true}
	f := &Fitting{Epochs: 12, Steps: 188}
	p.OnEpochBegin(f, 9)
	for b := 0; b < 188; b++ {
		p.OnBatchEnd(f, b, Logs{"size": 32, "loss": 1, "accuracy": 0.5})
	}
	at = 2600 * time.Millisecond
	p.OnEpochEnd(f, 9, Logs{"loss": 0.4852, "accuracy": 0.8283, "val_loss": 0.4781, "val_accuracy": 0.822})
	want := "Epoch 10/12 - 188/188 - 3s - loss: 0.4852 - accuracy: 0.8283 - val_loss: 0.4781 - val_accuracy: 0.8220\n"
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
}

// Fit draws the progress into its Output: not a terminal, so one line per
// epoch; the running loss of the bar is the mean over samples.
func TestProgressFromFit(t *testing.T) {
	if IsTerminal(&bytes.Buffer{}) {
		t.Fatal("a buffer is not a terminal")
	}
	x, y := tinyData(50)
	m := tinyModel(t, nil)
	var out bytes.Buffer
	if _, err := m.Fit(context.Background(), arrays(t, x, y, 20, true, 0), FitOptions{Epochs: 2, Output: &out}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "Epoch 1/2 - 3/3 - 0s - loss: ") || !strings.Contains(lines[0], " - accuracy: ") ||
		!strings.HasPrefix(lines[1], "Epoch 2/2 - 3/3 - ") {
		t.Errorf("output %q", out.String())
	}
	if eta := etaString(3725); eta != "1:02:05" || etaString(61.5) != "1:01" || etaString(59.9) != "59s" {
		t.Errorf("eta %q", eta)
	}
}
