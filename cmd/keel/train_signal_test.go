package main

import (
	"bufio"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/internal/testimages"
	"github.com/keelml/keel/modelfile"
	"github.com/stretchr/testify/require"
)

// trainChildEnv carries the arguments of `keel train` (separated by
// \x1f) to TestHelperKeelTrain in a child process.
const trainChildEnv = "KEEL_TRAIN_CHILD_ARGS"

// TestHelperKeelTrain is the child of the signal tests: keel with the
// arguments of trainChildEnv, exiting with keel's code.
func TestHelperKeelTrain(t *testing.T) {
	args := os.Getenv(trainChildEnv)
	if args == "" {
		t.Skip("the child of the keel train signal tests")
	}
	os.Exit(runMain(strings.Split(args, "\x1f"), os.Stderr))
}

// startKeel runs keel with args in a child process; lines delivers its
// standard output line by line.
func startKeel(t *testing.T, args ...string) (cmd *exec.Cmd, lines <-chan string) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^TestHelperKeelTrain$", "-test.count=1")
	cmd.Env = append(os.Environ(), trainChildEnv+"="+strings.Join(args, "\x1f"))
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	ch := make(chan string, 4096)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			ch <- s.Text()
		}
		close(ch)
	}()
	return cmd, ch
}

// waitLine reads lines until one contains want, and returns it with the
// lines before it.
func waitLine(t *testing.T, cmd *exec.Cmd, lines <-chan string, want string) (string, []string) {
	t.Helper()
	var seen []string
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("keel exited without printing %q; it printed %q", want, seen)
			}
			if strings.Contains(l, want) {
				return l, seen
			}
			seen = append(seen, l)
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("no %q in 60 s", want)
		}
	}
}

func modelWeights(t *testing.T, path string) [][]float32 {
	t.Helper()
	m, _, err := modelfile.Load(path)
	require.NoError(t, err)
	var out [][]float32
	for _, v := range m.Weights() {
		out = append(out, slices.Clone(v.Value()))
	}
	return out
}

func trainArgs(t *testing.T, data, out string, more ...string) []string {
	weights := testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5")
	return append([]string{"train", "--model", "mobilenet", "--alpha", "0.25", "--weights", weights, "--data", data,
		"--input-size", "32", "--batch", "4", "--lr", "0.01", "--head", "gap,dense:8:relu,dense:softmax",
		"--validation-split", "0.25", "--out", out}, more...)
}

// Ctrl-C during keel train stops after the current batch, saves the model
// with its training state to --out and prints how to resume; resumed, the
// run ends with the weights of a run never interrupted.
func TestTrainSIGINTSavesAndResumes(t *testing.T) {
	data := testimages.ColourFolder(t, 12, 40, 36, 5)
	dir := t.TempDir()
	out := filepath.Join(dir, "interrupted.h5")
	// --no-cache: every batch runs the backbone, so an epoch takes a while.
	cmd, lines := startKeel(t, trainArgs(t, data, out, "--epochs", "1000", "--seed", "4", "--no-cache")...)
	waitLine(t, cmd, lines, "Epoch 2/1000")
	time.Sleep(30 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	saved, _ := waitLine(t, cmd, lines, "saved "+out)
	resumeLine, _ := waitLine(t, cmd, lines, "resume with: ")
	err := cmd.Wait()
	var code int
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	require.Equal(t, 130, code, "keel exits as interrupted")
	t.Log(saved)
	t.Log(resumeLine)

	ts, err := modelfile.LoadTrainingState(out)
	require.NoError(t, err)
	require.NotNil(t, ts)
	require.GreaterOrEqual(t, ts.Epoch, 1)
	require.Less(t, ts.Epoch, 1000)

	// The printed command, with its epochs cut to end in the next epoch.
	resume := strings.Fields(strings.TrimPrefix(resumeLine, "resume with: keel "))
	require.Contains(t, resume, "--resume")
	i := slices.Index(resume, "--epochs")
	require.Positive(t, i)
	epochs := ts.Epoch + 1
	resume[i+1] = strconv.Itoa(epochs)
	stdout, stderr, code := runCLI(t, resume...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "saved "+out)

	whole := filepath.Join(dir, "whole.h5")
	_, stderr, code = runCLI(t, trainArgs(t, data, whole, "--epochs", strconv.Itoa(epochs), "--seed", "4", "--no-cache")...)
	require.Equal(t, 0, code, stderr)
	got, want := modelWeights(t, out), modelWeights(t, whole)
	require.Equal(t, len(want), len(got))
	for k := range want {
		require.True(t, slices.Equal(want[k], got[k]), "weight %d differs between the interrupted+resumed run and the uninterrupted one", k)
	}
	back, err := modelfile.LoadTrainingState(out)
	require.NoError(t, err)
	require.Equal(t, epochs, back.Epoch)
	require.Equal(t, 0, back.Step)
}

// keel train killed (SIGKILL) at random moments while it writes --out
// leaves the previous file whole, or the new one whole: never a broken or
// mixed file.
func TestTrainOutSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 processes")
	}
	data := testimages.ColourFolder(t, 6, 40, 36, 8)
	dir := t.TempDir()
	old, fresh := filepath.Join(dir, "old.h5"), filepath.Join(dir, "new.h5")
	_, stderr, code := runCLI(t, trainArgs(t, data, old, "--epochs", "1", "--seed", "1")...)
	require.Equal(t, 0, code, stderr)
	_, stderr, code = runCLI(t, trainArgs(t, data, fresh, "--epochs", "1", "--seed", "2")...)
	require.Equal(t, 0, code, stderr)
	oldW, newW := modelWeights(t, old), modelWeights(t, fresh)
	require.NotEqual(t, oldW, newW)
	oldBytes, err := os.ReadFile(old)
	require.NoError(t, err)

	rng := rand.New(rand.NewPCG(3, 4))
	kept, replaced := 0, 0
	for trial := 0; trial < 50; trial++ {
		out := filepath.Join(dir, "out.h5")
		require.NoError(t, os.WriteFile(out, oldBytes, 0o644))
		cmd, lines := startKeel(t, trainArgs(t, data, out, "--epochs", "1", "--seed", "2")...)
		// Printed just before the save: kill within the next few ms.
		waitLine(t, cmd, lines, "computed once")
		time.Sleep(time.Duration(rng.IntN(15_000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		got := modelWeights(t, out)
		switch {
		case equalWeights(got, oldW):
			kept++
		case equalWeights(got, newW):
			replaced++
		default:
			t.Fatalf("trial %d: %s holds neither the old nor the new weights", trial, out)
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp") {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	t.Logf("50 kills: %d left the old model, %d the new one", kept, replaced)
}

func equalWeights(a, b [][]float32) bool {
	return slices.EqualFunc(a, b, func(x, y []float32) bool { return slices.Equal(x, y) })
}
