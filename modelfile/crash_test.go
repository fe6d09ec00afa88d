package modelfile_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
)

const crashChildEnv = "KEEL_CRASH_CHILD_DIR"

// crashModel is a model of 2.6 MB of weights: a save takes long enough for
// a kill to land inside it.
func crashModel(t testing.TB) *nn.Model {
	in := nn.Input([]int{256})
	x := nn.NewDense(512, nn.WithActivation("relu")).Apply(in)
	x = nn.NewDense(1024, nn.WithActivation("relu")).Apply(x)
	x = nn.NewDense(2, nn.WithActivation("softmax")).Apply(x)
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fillWeights sets every weight to the epoch number (from 1) before the
// checkpoints of that epoch are written, so a file tells which save wrote
// it and whether it is one save's throughout.
type fillWeights struct{ nn.CallbackBase }

func (fillWeights) OnEpochEnd(f *nn.Fitting, epoch int, logs nn.Logs) error {
	for _, v := range f.Model.Weights() {
		d := make([]float32, len(v.Value()))
		for i := range d {
			d[i] = float32(epoch + 1)
		}
		if err := v.Set(v.Shape(), d); err != nil {
			return err
		}
	}
	return nil
}

// reportSaved tells the parent, after both checkpoints of an epoch are
// written, that they are.
type reportSaved struct{ nn.CallbackBase }

func (reportSaved) OnEpochEnd(f *nn.Fitting, epoch int, logs nn.Logs) error {
	_, err := fmt.Fprintf(os.Stdout, "saved %d\n", epoch+1)
	return err
}

// TestHelperCrashChild is the child of TestCheckpointSurvivesSIGKILL: it
// trains with ModelCheckpoint writing a checkpoint (the model with its
// optimizer's state) and a weights file
// every epoch until it is killed.
func TestHelperCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("the child of TestCheckpointSurvivesSIGKILL")
	}
	m := crashModel(t)
	m.Compile(nn.NewSGD(nn.SGDConfig{Momentum: 0.9}), nn.CategoricalCrossentropy{})
	x, y := nn.NewTensor(4, 256), nn.NewTensor(4, 2)
	for i := 0; i < 4; i++ {
		y.Data[i*2+i%2] = 1
	}
	data, err := nn.NewArrayDataset([]*nn.Tensor{x}, []*nn.Tensor{y}, 4, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Fit(context.Background(), data, nn.FitOptions{Epochs: 1 << 30, Verbose: nn.VerboseSilent, Callbacks: []nn.Callback{
		fillWeights{},
		&nn.ModelCheckpoint{Filepath: filepath.Join(dir, "model.h5"), SaveEpoch: modelfile.CheckpointSaver(modelfile.Meta{InputSize: 256})},
		&nn.ModelCheckpoint{Filepath: filepath.Join(dir, "weights.h5"), Save: modelfile.SaveWeights},
		reportSaved{},
	}})
	t.Fatal("Fit returned:", err)
}

// savedGeneration checks that every weight of m is the same value, the
// epoch that saved it, and returns it.
func savedGeneration(t *testing.T, m *nn.Model, file string) int {
	t.Helper()
	g := -1.0
	for _, v := range m.Weights() {
		for _, x := range v.Value() {
			if g < 0 {
				g = float64(x)
			}
			if float64(x) != g {
				t.Fatalf("%s: %s holds %v beside %v: a mix of two saves", file, v.Path(), x, g)
			}
		}
	}
	return int(g)
}

// A process killed (SIGKILL) at any moment while ModelCheckpoint saves
// leaves the checkpoint of the last save whole, or that of the save it was
// killed in, never a broken or mixed file: modelfile writes a temporary
// file, syncs it and renames it over the target.
func TestCheckpointSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 processes")
	}
	trials := 50
	rng := rand.New(rand.NewPCG(1, 2))
	midSave := 0
	for trial := 0; trial < trials; trial++ {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan int, 1024)
		go func() {
			s := bufio.NewScanner(stdout)
			for s.Scan() {
				if g, ok := strings.CutPrefix(s.Text(), "saved "); ok {
					n, _ := strconv.Atoi(g)
					lines <- n
				}
			}
			close(lines)
		}()
		// Wait for the first checkpoints (the "previous" files), then kill
		// at a random moment of the saves that follow.
		select {
		case <-lines:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatal("the child saved nothing in 30 s")
		}
		time.Sleep(time.Duration(rng.IntN(120_000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		last := 1
		for g := range lines {
			last = max(last, g)
		}
		m, _, err := modelfile.Load(filepath.Join(dir, "model.h5"))
		if err != nil {
			t.Fatalf("trial %d: the model checkpoint does not load after a kill: %v", trial, err)
		}
		g := savedGeneration(t, m, "model.h5")
		if g != last && g != last+1 {
			t.Fatalf("trial %d: model.h5 holds epoch %d's weights; the last save completed was %d's", trial, g, last)
		}
		ts, err := modelfile.LoadTrainingState(filepath.Join(dir, "model.h5"))
		if err != nil || ts == nil || ts.Epoch != g || len(ts.State.Slots) != 6 {
			t.Fatalf("trial %d: the training state of model.h5 (epoch %d): %+v, %v", trial, g, ts, err)
		}
		w := crashModel(t)
		if _, err := modelfile.LoadWeights(w, filepath.Join(dir, "weights.h5"), false); err != nil {
			t.Fatalf("trial %d: the weights checkpoint does not load after a kill: %v", trial, err)
		}
		if g := savedGeneration(t, w, "weights.h5"); g != last && g != last+1 {
			t.Fatalf("trial %d: weights.h5 holds epoch %d's weights; the last save completed was %d's", trial, g, last)
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp") {
				midSave++ // killed while writing: the temporary file is left
				break
			}
		}
	}
	t.Logf("%d of %d kills landed while a temporary file was being written", midSave, trials)
	if midSave == 0 {
		t.Error("no kill landed inside a save: the test tests nothing")
	}
}
