package serve

import (
	"context"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// 16 clients for 2 s: every request answered, each answer right, no 5xx
// (the queue holds exactly one input per client: a client answered must be
// able to queue its next at once), and inputs share forward passes.
func TestConcurrentClientsLoseNothing(t *testing.T) {
	s, hs := newTestServer(t, Options{MaxBatch: 8, BatchWait: 2 * time.Millisecond, QueueSize: 16})
	m := s.current.Load().model
	images := make([][]byte, 8)
	best := make([]float32, len(images))
	for i := range images {
		images[i] = pattern(t, 20+i, 18, i+1)
		scores := want(t, m, images[i])
		for _, v := range scores {
			best[i] = max(best[i], v)
		}
	}
	var sent, ok atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(2 * time.Second)
	errs := make(chan string, 16)
	for c := range 16 {
		wg.Go(func() {
			for i := c; time.Now().Before(stop); i++ {
				sent.Add(1)
				code, a := post(t, hs.URL+"/v1/predict?top=1", "image/png", images[i%len(images)])
				if code != http.StatusOK || len(a.Predictions) != 1 || math.Abs(float64(a.Predictions[0].Probability-best[i%len(images)])) > 1e-6 {
					errs <- a.Error
					return
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("a request failed or was answered wrong: %q", e)
	}
	require.Equal(t, sent.Load(), ok.Load())
	require.Greater(t, ok.Load(), int64(16))

	passes, inputs := batchStats(t, s)
	require.Equal(t, ok.Load(), int64(inputs), "every input ran once")
	require.Less(t, passes, inputs, "concurrent inputs share forward passes")
}

// batchStats is the number of forward passes and of inputs they ran.
func batchStats(t *testing.T, s *Server) (passes, inputs int) {
	families, err := s.metrics.registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == "keel_serve_batch_size" {
			h := f.GetMetric()[0].GetHistogram()
			return int(h.GetSampleCount()), int(h.GetSampleSum())
		}
	}
	t.Fatal("no batch size histogram")
	return 0, 0
}

// counterValue is the value of the server's counter name.
func counterValue(t *testing.T, s *Server, name string) float64 {
	families, err := s.metrics.registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no counter %s", name)
	return 0
}

// holdModel blocks every forward pass until the returned release is called.
func holdModel(t *testing.T, m *nn.Model) (release func()) {
	held, done := make(chan struct{}), make(chan struct{})
	go m.Exclusive(func() error { close(held); <-done; return nil })
	<-held
	var once sync.Once
	release = func() { once.Do(func() { close(done) }) }
	t.Cleanup(release)
	return release
}

func TestFullQueueAnswers503WithRetryAfter(t *testing.T) {
	s, hs := newTestServer(t, Options{MaxBatch: 1, QueueSize: 2, BatchWait: time.Millisecond})
	release := holdModel(t, s.current.Load().model)
	img := pattern(t, 10, 10, 1)
	var wg sync.WaitGroup
	for range 2 { // one in the blocked pass, one queued
		wg.Go(func() {
			code, a := post(t, hs.URL+"/v1/predict", "image/png", img)
			require.Equal(t, http.StatusOK, code, a.Error)
		})
	}
	require.Eventually(t, func() bool { return s.batcher.pending.Load() == 2 }, 5*time.Second, time.Millisecond)

	resp, err := http.Post(hs.URL+"/v1/predict", "image/png", bytesReader(img))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "1", resp.Header.Get("Retry-After"))

	release()
	wg.Wait()
	code, a := post(t, hs.URL+"/v1/predict", "image/png", img)
	require.Equal(t, http.StatusOK, code, a.Error)
}

func TestGoneClientsWorkIsDropped(t *testing.T) {
	s, hs := newTestServer(t, Options{MaxBatch: 1, BatchWait: time.Millisecond})
	release := holdModel(t, s.current.Load().model)
	img := pattern(t, 10, 10, 1)
	var wg sync.WaitGroup
	wg.Go(func() { // runs once released
		code, a := post(t, hs.URL+"/v1/predict", "image/png", img)
		require.Equal(t, http.StatusOK, code, a.Error)
	})
	require.Eventually(t, func() bool { return s.batcher.pending.Load() == 1 }, 5*time.Second, time.Millisecond)

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hs.URL+"/v1/predict", bytesReader(img))
	require.NoError(t, err)
	gone := make(chan error)
	go func() {
		_, err := http.DefaultClient.Do(req)
		gone <- err
	}()
	require.Eventually(t, func() bool { return s.batcher.pending.Load() == 2 }, 5*time.Second, time.Millisecond)
	cancel()
	require.Error(t, <-gone)
	// The server sees the connection close shortly after.
	time.Sleep(50 * time.Millisecond)
	release()
	wg.Wait()
	require.Eventually(t, func() bool { return s.batcher.pending.Load() == 0 }, 5*time.Second, time.Millisecond)
	require.Equal(t, 1.0, counterValue(t, s, "keel_serve_dropped_inputs_total"))
	passes, inputs := batchStats(t, s)
	require.Equal(t, 1, passes)
	require.Equal(t, 1, inputs)
}

func TestRequestOutOfTimeAnswers503AndIsDropped(t *testing.T) {
	s, hs := newTestServer(t, Options{MaxBatch: 1, BatchWait: time.Millisecond, Timeout: 100 * time.Millisecond})
	release := holdModel(t, s.current.Load().model)
	img := pattern(t, 10, 10, 1)
	var wg sync.WaitGroup
	wg.Go(func() { // in the held pass: out of time, answered 503 (the pass runs on)
		code, _ := post(t, hs.URL+"/v1/predict", "image/png", img)
		require.Equal(t, http.StatusServiceUnavailable, code)
	})
	require.Eventually(t, func() bool { return s.batcher.pending.Load() == 1 }, 5*time.Second, time.Millisecond)
	resp, err := http.Post(hs.URL+"/v1/predict", "image/png", bytesReader(img))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "1", resp.Header.Get("Retry-After"))
	wg.Wait()
	release()
	require.Eventually(t, func() bool { return s.batcher.pending.Load() == 0 }, 5*time.Second, time.Millisecond)
	require.Equal(t, 1.0, counterValue(t, s, "keel_serve_dropped_inputs_total"), "the queued one is dropped")
	code, a := post(t, hs.URL+"/v1/predict", "image/png", img)
	require.Equal(t, http.StatusOK, code, a.Error)
}
