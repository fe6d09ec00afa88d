package nn

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// script is a hook that replaces the epoch's logs with scripted values
// (it runs before the callbacks under test, which see the same map).
func script(key string, values ...float64) Callback {
	return CallbackFuncs{EpochEnd: func(f *Fitting, epoch int, logs Logs) error {
		logs[key] = values[epoch]
		return nil
	}}
}

// fitScripted fits the tiny model for len(values) epochs with key scripted.
func fitScripted(t *testing.T, m *Model, key string, values []float64, cbs ...Callback) *History {
	t.Helper()
	x, y := tinyData(64)
	if m == nil {
		m = tinyModel(t, nil)
	}
	h, err := m.Fit(context.Background(), arrays(t, x, y, 16, true, 0), FitOptions{
		Epochs: len(values), ValidationSplit: 0.25, Verbose: VerboseSilent,
		Callbacks: append([]Callback{script(key, values...)}, cbs...),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestCallbackEarlyStoppingRestoresBestWeights(t *testing.T) {
	m := tinyModel(t, nil)
	var atBest [][]float32
	keep := CallbackFuncs{EpochEnd: func(f *Fitting, epoch int, _ Logs) error {
		if epoch == 1 {
			atBest = snapshot(f.Model, nil)
		}
		return nil
	}}
	es := &EarlyStopping{Patience: 2, RestoreBestWeights: true}
	h := fitScripted(t, m, "val_loss", []float64{1.0, 0.8, 0.9, 0.85, 0.95, 0.7}, keep, es)
	if !reflect.DeepEqual(h.Epoch, []int{0, 1, 2, 3}) || es.StoppedEpoch != 3 || es.Best != 0.8 || es.BestEpoch != 1 {
		t.Errorf("epochs %v, stopped at %d, best %v at %d", h.Epoch, es.StoppedEpoch, es.Best, es.BestEpoch)
	}
	if now := snapshot(m, nil); !reflect.DeepEqual(now, atBest) {
		t.Error("the weights are not those of the best epoch")
	}
	if !reflect.DeepEqual(h.History["val_loss"], []float64{1.0, 0.8, 0.9, 0.85}) {
		t.Errorf("history %v", h.History["val_loss"])
	}
}

func TestCallbackEarlyStoppingModes(t *testing.T) {
	// "auto" on an accuracy maximises; min_delta must be exceeded.
	es := &EarlyStopping{Monitor: "val_accuracy", Patience: 2, MinDelta: 0.05}
	h := fitScripted(t, nil, "val_accuracy", []float64{0.5, 0.6, 0.64, 0.649, 0.9}, es)
	if len(h.Epoch) != 4 || es.StoppedEpoch != 3 || es.Best != 0.6 {
		t.Errorf("epochs %v stopped %d best %v", h.Epoch, es.StoppedEpoch, es.Best)
	}
	// A baseline never beaten stops after patience epochs.
	base := 0.5
	es = &EarlyStopping{Patience: 2, Baseline: &base}
	h = fitScripted(t, nil, "val_loss", []float64{0.9, 0.8, 0.7, 0.4}, es)
	if len(h.Epoch) != 2 || es.StoppedEpoch != 1 {
		t.Errorf("baseline: epochs %v stopped %d", h.Epoch, es.StoppedEpoch)
	}
	// Patience 0 stops at the first epoch without improvement; mode max.
	es = &EarlyStopping{Monitor: "loss", Mode: "max"}
	h = fitScripted(t, nil, "loss", []float64{1, 2, 2, 3}, es)
	if len(h.Epoch) != 3 {
		t.Errorf("mode max: epochs %v", h.Epoch)
	}
}

func TestCallbackReduceLROnPlateau(t *testing.T) {
	m := tinyModel(t, NewSGD(SGDConfig{OptimizerOptions: OptimizerOptions{LearningRate: 0.1}}))
	rl := &ReduceLROnPlateau{Factor: 0.5, Patience: 2, Cooldown: 1, MinLR: 0.03}
	h := fitScripted(t, m, "val_loss", []float64{1.0, 0.9, 0.95, 0.97, 0.96, 0.99, 0.98, 0.5}, rl)
	f32 := func(v float64) float64 { return float64(float32(v)) }
	want := []float64{f32(.1), f32(.1), f32(.1), f32(.1), f32(.05), f32(.05), f32(.03), f32(.03)}
	if !reflect.DeepEqual(h.History["lr"], want) {
		t.Errorf("lr %v, want %v", h.History["lr"], want)
	}
	if lr := m.Optimizer().LearningRate(); lr != 0.03 {
		t.Errorf("final lr %v", lr)
	}
	if h.Keys[len(h.Keys)-1] != "lr" {
		t.Errorf("keys %v", h.Keys)
	}
}

// touch is a ModelCheckpoint save function that writes an empty file.
func touch(path string, _ *Model) error { return os.WriteFile(path, nil, 0o644) }

func TestCallbackModelCheckpointBestOnly(t *testing.T) {
	dir := t.TempDir()
	ck := &ModelCheckpoint{Filepath: filepath.Join(dir, "w-{epoch:02d}-{val_loss:.2f}.h5"), SaveBestOnly: true, Save: touch}
	fitScripted(t, nil, "val_loss", []float64{0.9, 0.7, 0.8, 0.65, 0.651}, ck)
	var got []string
	for _, p := range ck.Saved {
		got = append(got, filepath.Base(p))
	}
	if !reflect.DeepEqual(got, []string{"w-01-0.90.h5", "w-02-0.70.h5", "w-04-0.65.h5"}) {
		t.Errorf("saved %v", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%d files in the directory", len(entries))
	}
	// Every Period-th epoch, whatever the value.
	ck = &ModelCheckpoint{Filepath: filepath.Join(dir, "p{epoch}.h5"), Period: 2, Save: touch}
	fitScripted(t, nil, "val_loss", []float64{1, 1, 1, 1, 1}, ck)
	if len(ck.Saved) != 2 || filepath.Base(ck.Saved[1]) != "p4.h5" {
		t.Errorf("period 2: saved %v", ck.Saved)
	}
}

// Without a Save function the fit does not start; a failed save stops it
// and is not listed.
func TestCallbackModelCheckpointSaveErrors(t *testing.T) {
	x, y := tinyData(16)
	m := tinyModel(t, nil)
	fit := func(ck *ModelCheckpoint) error {
		_, err := m.Fit(context.Background(), arrays(t, x, y, 32, true, 0), FitOptions{Epochs: 2, Verbose: VerboseSilent, Callbacks: []Callback{ck}})
		return err
	}
	if err := fit(&ModelCheckpoint{Filepath: "x.h5"}); err == nil || !strings.Contains(err.Error(), "Save function") {
		t.Errorf("no Save: %v", err)
	}
	failing := &ModelCheckpoint{Filepath: "x.h5", Monitor: "loss", Save: func(string, *Model) error { return errors.New("disk full") }}
	if err := fit(failing); err == nil || !strings.Contains(err.Error(), "disk full") || len(failing.Saved) != 0 {
		t.Errorf("failing Save: %v, saved %v", err, failing.Saved)
	}
}

func TestCallbackCSVLogger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.csv")
	fixed := CallbackFuncs{EpochEnd: func(f *Fitting, epoch int, logs Logs) error {
		logs["loss"], logs["accuracy"], logs["val_loss"], logs["val_accuracy"] = 0.5, 0.25, 1e-5, float64(epoch)
		return nil
	}}
	x, y := tinyData(40)
	m := tinyModel(t, nil)
	for _, appendMode := range []bool{false, true} {
		_, err := m.Fit(context.Background(), arrays(t, x, y, 32, true, 0), FitOptions{Epochs: 2, ValidationSplit: 0.5, Verbose: VerboseSilent,
			Callbacks: []Callback{fixed, &CSVLogger{Filename: path, Append: appendMode}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "epoch,accuracy,loss,val_accuracy,val_loss\r\n0,0.25,0.5,0.0,1e-05\r\n1,0.25,0.5,1.0,1e-05\r\n" +
		"0,0.25,0.5,0.0,1e-05\r\n1,0.25,0.5,1.0,1e-05\r\n"
	if string(raw) != want {
		t.Errorf("csv:\n%q\nwant\n%q", raw, want)
	}
}

func TestCallbackOrderAndErrors(t *testing.T) {
	var events []string
	rec := CallbackFuncs{
		TrainBegin: func(*Fitting) error { events = append(events, "train_begin"); return nil },
		EpochBegin: func(_ *Fitting, e int) error { events = append(events, "epoch_begin"); return nil },
		BatchBegin: func(_ *Fitting, b int) error { events = append(events, "batch_begin"); return nil },
		BatchEnd: func(_ *Fitting, b int, l Logs) error {
			events = append(events, "batch_end")
			if l["size"] != 10 || l["batch"] != float64(b) {
				t.Errorf("batch logs %v", l)
			}
			return nil
		},
		EpochEnd: func(*Fitting, int, Logs) error { events = append(events, "epoch_end"); return nil },
		TrainEnd: func(*Fitting, Logs) error { events = append(events, "train_end"); return nil },
	}
	x, y := tinyData(20)
	m := tinyModel(t, nil)
	if _, err := m.Fit(context.Background(), arrays(t, x, y, 10, true, 0), FitOptions{Verbose: VerboseSilent, Callbacks: []Callback{rec}}); err != nil {
		t.Fatal(err)
	}
	want := "train_begin epoch_begin batch_begin batch_end batch_begin batch_end epoch_end train_end"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("events %s", got)
	}
	// An error from a callback stops the fit and is returned.
	stop := CallbackFuncs{BatchEnd: func(*Fitting, int, Logs) error { return os.ErrClosed }}
	if _, err := m.Fit(context.Background(), arrays(t, x, y, 32, true, 0), FitOptions{Epochs: 3, Verbose: VerboseSilent, Callbacks: []Callback{stop}}); err != os.ErrClosed {
		t.Errorf("err %v", err)
	}
}

func TestPyFormat(t *testing.T) {
	vars := map[string]any{"epoch": 3, "val_loss": 0.123456, "acc": 0.5, "big": 1234567.0, "name": "x"}
	for tmpl, want := range map[string]string{
		"weights.{epoch:02d}-{val_loss:.2f}.hdf5": "weights.03-0.12.hdf5",
		"{epoch}_{val_loss}":                      "3_0.123456",
		"{epoch:03}|{epoch:>4}|{epoch:<4}|":       "003|   3|3   |",
		"{acc:.1%} {acc:e} {acc:g} {big:,.1f}":    "50.0% 5.000000e-01 0.5 1,234,567.0",
		"{big} {big:g} {name}{{}}":                "1234567.0 1.23457e+06 x{}",
		"{val_loss:.3} {epoch:.2f}":               "0.123 3.00",
		"{acc:.3} {big:.3} {val_loss:.1}":         "0.5 1.23e+06 0.1",
	} {
		got, err := PyFormat(tmpl, vars)
		if err != nil || got != want {
			t.Errorf("PyFormat(%q) = %q, %v; want %q", tmpl, got, err, want)
		}
	}
	for _, bad := range []string{"{missing}", "{epoch:.2d}", "{epoch", "x}"} {
		if _, err := PyFormat(bad, vars); err == nil {
			t.Errorf("PyFormat(%q): no error", bad)
		}
	}
	for v, want := range map[float64]string{0.1: "0.1", 1: "1.0", 1e-5: "1e-05", 1e16: "1e+16", 123456789.5: "123456789.5", math.Inf(1): "inf", -2.5e-7: "-2.5e-07"} {
		if got := PyRepr(v); got != want {
			t.Errorf("PyRepr(%v) = %q, want %q", v, got, want)
		}
	}
}
