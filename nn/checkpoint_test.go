package nn

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/keelml/keel/weightsio"
)

// perturb changes every weight of m so that loading has to restore them.
func perturb(t *testing.T, m *Model) {
	for _, v := range m.Weights() {
		d := append([]float32(nil), v.Value()...)
		for i := range d {
			d[i] = d[i]*0.5 + 0.01
		}
		if err := v.Set(v.Shape(), d); err != nil {
			t.Fatal(err)
		}
	}
}

// The last checkpoint of a fit, weights-only or whole model, loads into a
// fresh model (or one built from the file's model_config) with identical
// predictions.
func TestCheckpointLastLoadsWithIdenticalPredictions(t *testing.T) {
	x, y := tinyData(64)
	for _, weightsOnly := range []bool{true, false} {
		t.Run(fmt.Sprint("weightsOnly=", weightsOnly), func(t *testing.T) {
			dir := t.TempDir()
			m := tinyModel(t, NewAdam(AdamConfig{}))
			ck := &ModelCheckpoint{Filepath: filepath.Join(dir, "ck-{epoch:02d}.h5"), SaveWeightsOnly: weightsOnly,
				Options: weightsio.SaveOptions{Attrs: map[string]string{"keel_classes": "a,b,c"}}}
			if _, err := m.Fit(context.Background(), x, y, FitOptions{Epochs: 3, BatchSize: 16, Verbose: VerboseSilent, Callbacks: []Callback{ck}}); err != nil {
				t.Fatal(err)
			}
			last := ck.Saved[len(ck.Saved)-1]
			if len(ck.Saved) != 3 || filepath.Base(last) != "ck-03.h5" {
				t.Fatalf("saved %v", ck.Saved)
			}
			want, err := m.Predict(context.Background(), x, 64)
			if err != nil {
				t.Fatal(err)
			}
			fresh := tinyModel(t, nil)
			perturb(t, fresh)
			if p, _ := fresh.Predict(context.Background(), x, 64); reflect.DeepEqual(p.Data, want.Data) {
				t.Fatal("the fresh model already predicts the same")
			}
			if err := fresh.LoadWeights(last); err != nil {
				t.Fatal(err)
			}
			got, err := fresh.Predict(context.Background(), x, 64)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Data, want.Data) {
				t.Error("predictions differ after loading the last checkpoint")
			}
			f, err := weightsio.Open(last)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if weightsOnly != (f.ModelConfig == nil) || f.KerasVersion != "2.3.1" {
				t.Fatalf("format %v, model_config %v", f.Format, f.ModelConfig != nil)
			}
			if !weightsOnly {
				root, err := f.HDF5().Root()
				if err != nil {
					t.Fatal(err)
				}
				if a, err := root.Attr("keel_classes"); err != nil || a == nil {
					t.Errorf("no keel_classes attribute: %v", err)
				}
				rebuilt, err := ModelFromJSON(f.ModelConfigJSON)
				if err != nil {
					t.Fatal(err)
				}
				if err := rebuilt.LoadWeights(last); err != nil {
					t.Fatal(err)
				}
				got, err := rebuilt.Predict(context.Background(), x, 64)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Data, want.Data) {
					t.Error("the model rebuilt from the file predicts differently")
				}
			}
		})
	}
}

// A nested model is saved as Keras saves it, one layer entry with all its
// weights (trainable first), and loads back.
func TestCheckpointNestedModel(t *testing.T) {
	build := func() (*Model, *Model) {
		sc := NewNameScope()
		bin := Input([]int{6, 6, 2}, WithScope(sc))
		bx := NewConv2D(3, 3, 3, WithScope(sc)).Apply(bin)
		bx = NewBatchNormalization(WithScope(sc)).Apply(bx)
		base, err := NewModel([]*Node{bin}, []*Node{bx}, WithName("base"))
		if err != nil {
			t.Fatal(err)
		}
		in := Input([]int{6, 6, 2}, WithScope(sc))
		x := NewGlobalAveragePooling2D(WithScope(sc)).Apply(base.Apply(in))
		x = NewDense(2, WithScope(sc)).Apply(x)
		m, err := NewModel([]*Node{in}, []*Node{x}, WithName("outer"))
		if err != nil {
			t.Fatal(err)
		}
		return m, base
	}
	m, base := build()
	perturb(t, m)
	path := filepath.Join(t.TempDir(), "w.h5")
	if err := m.SaveWeights(path); err != nil {
		t.Fatal(err)
	}
	f, err := weightsio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range f.Layers() {
		names = append(names, l.Name)
	}
	bl, _ := f.Layer("base")
	var wn []string
	for _, w := range bl.Weights {
		wn = append(wn, w.Name)
	}
	f.Close()
	if fmt.Sprint(names) != "[input_2 base global_average_pooling2d_1 dense_1]" ||
		fmt.Sprint(wn) != "[conv2d_1/kernel:0 conv2d_1/bias:0 batch_normalization_1/gamma:0 batch_normalization_1/beta:0 batch_normalization_1/moving_mean:0 batch_normalization_1/moving_variance:0]" {
		t.Errorf("layers %v, base weights %v", names, wn)
	}
	_ = base
	x := NewTensor(2, 6, 6, 2)
	for i := range x.Data {
		x.Data[i] = float32(i%7) / 7
	}
	want, _ := m.Predict(context.Background(), x, 2)
	fresh, _ := build()
	if err := fresh.LoadWeights(path); err != nil {
		t.Fatal(err)
	}
	got, _ := fresh.Predict(context.Background(), x, 2)
	if !reflect.DeepEqual(got.Data, want.Data) {
		t.Error("nested model: predictions differ after loading")
	}
	// A file without the layer is an error naming it.
	other := tinyModel(t, nil)
	if err := other.LoadWeights(path); err == nil {
		t.Error("loading another model's weights did not fail")
	}
}

// Saving over a checkpoint replaces it by a rename: a reader of the old
// file still reads it whole, and no temporary file is left behind.
func TestCheckpointAtomicReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ck.h5")
	m := tinyModel(t, nil)
	if err := m.SaveWeights(path); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	old, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	perturb(t, m)
	if err := m.SaveWeights(path); err != nil {
		t.Fatal(err)
	}
	kept, _ := io.ReadAll(old)
	after, _ := os.ReadFile(path)
	if !bytes.Equal(kept, before) || bytes.Equal(after, before) {
		t.Error("the old checkpoint was modified in place")
	}
	// A save that fails (the target is a directory) leaves nothing behind.
	if err := os.Mkdir(filepath.Join(dir, "sub.h5"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "sub.h5", "x"), nil, 0o644)
	if err := m.SaveWeights(filepath.Join(dir, "sub.h5")); err == nil {
		t.Error("saving over a directory did not fail")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("files left: %v", entries)
	}
}
