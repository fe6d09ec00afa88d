package nn

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keelml/keel/internal/testenv"
)

// TestTrainStepPeakMemory measures the peak memory of MobileNet (alpha 1,
// 224x224, no top, with the guide's head: global average pooling, Dense
// 100 relu, Dense 2 softmax) at batch 16: inference (Run), a training step
// with the backbone frozen, and a training step of the whole model (Adam).
// Each regime runs in its own process so that the kernel's high-water mark
// (VmHWM) is its own. It runs only with KEEL_MEMORY=1 (it takes a minute):
//
//	KEEL_MEMORY=1 go test ./nn -run TestTrainStepPeakMemory -v
func TestTrainStepPeakMemory(t *testing.T) {
	if regime := os.Getenv("KEEL_MEMORY_REGIME"); regime != "" {
		measurePeak(t, regime)
		return
	}
	if os.Getenv("KEEL_MEMORY") == "" {
		t.Skip("set KEEL_MEMORY=1 to measure")
	}
	testenv.Shared(t, "golden", "archs")
	for _, regime := range []string{"inference", "frozen", "full"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTrainStepPeakMemory$", "-test.v")
		cmd.Env = append(os.Environ(), "KEEL_MEMORY_REGIME="+regime)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", regime, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "PEAK ") {
				t.Log(strings.TrimSpace(line[strings.Index(line, "PEAK ")+5:]))
			}
		}
	}
}

func measurePeak(t *testing.T, regime string) {
	const batch = 16
	m, y := mobilenetTransfer(t, regime, batch)
	in := randomTensor("mem", 1, batch, 224, 224, 3)
	weightsMB := float64(countParams(m.Weights())) * 4 / (1 << 20)
	inputMB := float64(len(in.Data)) * 4 / (1 << 20)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
		}
	}()
	start := time.Now()
	const steps = 3
	for i := 0; i < steps; i++ {
		var err error
		if regime == "inference" {
			_, err = m.Run(in)
		} else {
			_, err = m.TrainStep(in, y)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start) / steps
	close(stop)
	<-done
	// Distinct buffers of the plan: activations (reused by liveness) and
	// gradients.
	p, err := m.planFor(planKey{training: regime != "inference", batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	var vals, grads int
	seen := map[*float32]bool{}
	count := func(tn *Tensor) int {
		if tn == nil || cap(tn.Data) == 0 || seen[&tn.Data[:1][0]] {
			return 0
		}
		seen[&tn.Data[:1][0]] = true
		return cap(tn.Data)
	}
	for _, s := range p.slots {
		vals += count(s.val)
	}
	for _, s := range p.slots {
		grads += count(s.grad)
	}
	t.Logf("PEAK %-9s batch %d: VmHWM %4.0f MB, Go heap in use at most %4.0f MB (before the steps %3.0f MB); weights %.0f MB, input %.1f MB, activation buffers %.0f MB, gradient buffers %.0f MB; %.2f s/step",
		regime, batch, vmHWM(t), float64(peak)/(1<<20), float64(before.HeapInuse)/(1<<20), weightsMB, inputMB, float64(vals)*4/(1<<20), float64(grads)*4/(1<<20), elapsed.Seconds())
}

// vmHWM is the process's peak resident set in MB (Linux), or 0.
func vmHWM(t *testing.T) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}
