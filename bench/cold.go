package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/keelml/keel/kernels"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
)

// ColdCommand is the command of a fresh process that loads the model file at
// path, runs one prediction of one input with threads kernel threads (as
// ColdChild does) and then prints ColdReady on its standard output.
type ColdCommand func(path string, threads int) *exec.Cmd

// ColdReady is the line a cold-start child prints after its first prediction.
const ColdReady = "ready"

// ColdChild is the work of a cold-start child: it loads the model file at
// path, runs one input of its shape through it on threads kernel threads,
// and prints ColdReady on w.
func ColdChild(path string, threads int, w io.Writer) error {
	if threads > 0 {
		kernels.SetThreads(threads)
	}
	m, _, err := modelfile.Load(path)
	if err != nil {
		return err
	}
	shape := append([]int{1}, m.Inputs()[0].Shape()...)
	// Preprocessed inputs are centred values of a few tens, as Models' are.
	x := RandomTensor(rand.New(rand.NewPCG(1, 2)), -120, 130, shape...)
	if _, err := m.Run(x); err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, ColdReady)
	return err
}

// coldFigures are a cold start's figures: the median time from starting a
// child to its ColdReady, the median time to read the model file's bytes
// (warm page cache, as the child's), and the children's largest peak RSS (0:
// unknown).
type coldFigures struct {
	load, read float64
	peakRSS    int64
}

// saveCold writes m to a model file in dir, as keel train saves a model.
func saveCold(dir, name string, m *nn.Model, size int) (string, error) {
	path := filepath.Join(dir, name+".h5")
	return path, modelfile.Save(path, m, modelfile.Meta{InputSize: size})
}

// timeCold times samples cold starts of the model file at path by cmd's
// children, each beside a read of the file's bytes; a first read warms the
// page cache for both.
func timeCold(cmd ColdCommand, path string, threads, samples int) (coldFigures, error) {
	if _, err := os.ReadFile(path); err != nil {
		return coldFigures{}, err
	}
	var f coldFigures
	loads, reads := make([]float64, samples), make([]float64, samples)
	for i := range samples {
		start := time.Now()
		if _, err := os.ReadFile(path); err != nil {
			return coldFigures{}, err
		}
		reads[i] = time.Since(start).Seconds()
		secs, rss, err := runCold(cmd(path, threads))
		if err != nil {
			return coldFigures{}, err
		}
		loads[i] = secs
		f.peakRSS = max(f.peakRSS, rss)
	}
	f.load, f.read = pick(Median, loads), pick(Median, reads)
	return f, nil
}

// runCold runs c and times it from its start to its ColdReady line; it
// also says the child's peak RSS, once it has exited.
func runCold(c *exec.Cmd) (secs float64, rss int64, err error) {
	var stderr bytes.Buffer
	c.Stderr = &stderr
	stdout, err := c.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := c.Start(); err != nil {
		return 0, 0, err
	}
	ready := false
	s := bufio.NewScanner(stdout)
	for s.Scan() {
		if s.Text() == ColdReady {
			secs, ready = time.Since(start).Seconds(), true
			break
		}
	}
	_, _ = io.Copy(io.Discard, stdout) // let it exit, whatever else it prints
	werr := c.Wait()
	if werr != nil || !ready {
		msg := strings.TrimSpace(stderr.String())
		if werr == nil {
			werr = errors.New("exited without printing " + ColdReady)
		}
		if msg != "" {
			return 0, 0, fmt.Errorf("cold start: %w: %s", werr, msg)
		}
		return 0, 0, fmt.Errorf("cold start: %w", werr)
	}
	return secs, childPeakRSS(c.ProcessState), nil
}
