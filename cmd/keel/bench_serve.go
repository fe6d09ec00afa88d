package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keelml/keel/bench"
	"github.com/keelml/keel/kernels"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/serve"
)

// serveLoad is one run of the load generator.
type serveLoad struct {
	url      string // the predict endpoint
	body     []byte // the image posted
	clients  int
	duration time.Duration
	requests int // when > 0, the run's total instead of duration
}

// serveLoadResult is what a run measured.
type serveLoadResult struct {
	elapsed   time.Duration
	latencies []time.Duration // of the 200 answers, sorted
	failed    int             // answers other than 200, and transport errors
}

func benchServe(fs *flag.FlagSet, bf *benchFlags) func() error {
	url := fs.String("url", "", "a running keel serve to load (default: one started in this process from --model-file, on loopback)")
	modelFile := fs.String("model-file", "", "the model the in-process server serves")
	maxBatch := fs.Int("max-batch", 8, "the in-process server's --max-batch")
	batchWait := fs.Duration("batch-wait", 2*time.Millisecond, "the in-process server's --batch-wait")
	imageFile := fs.String("image", "", "the image every request posts (default: a generated 64x48 PNG)")
	clients := fs.Int("clients", 16, "concurrent clients, each sending its next request when answered")
	duration := fs.Duration("duration", 10*time.Second, "how long to send requests")
	requests := fs.Int("requests", 0, "send this many requests in all instead of for --duration")
	return func() error {
		if (*url == "") == (*modelFile == "") {
			return fmt.Errorf("%w: give --model-file (a server in this process) or --url (a running one)", errUsage)
		}
		if *clients < 1 || *duration <= 0 || *requests < 0 {
			return fmt.Errorf("%w: --clients, --duration and --requests must be positive", errUsage)
		}
		load := serveLoad{url: *url, clients: *clients, duration: *duration, requests: *requests}
		var err error
		if load.body, err = benchImage(*imageFile); err != nil {
			return err
		}
		if bf.threads > 0 {
			kernels.SetThreads(bf.threads)
		}
		name := *url
		if *modelFile != "" {
			base, stop, err := startLocalServer(*modelFile, serve.Options{MaxBatch: *maxBatch, BatchWait: *batchWait})
			if err != nil {
				return err
			}
			defer stop()
			load.url, name = base, *modelFile
		}
		load.url += "/v1/predict?top=1"
		fmt.Fprintf(os.Stderr, "bench serve: %d clients on %s\n", load.clients, load.url)
		r := load.run()
		seconds := r.elapsed.Seconds()
		rec := bench.Record{Bench: "serve", Name: name, Threads: kernels.Threads(), Batch: *maxBatch, Seconds: seconds,
			Extra: map[string]any{
				"clients": load.clients, "requests": len(r.latencies) + r.failed, "ok": len(r.latencies), "failed": r.failed,
				"requests_per_s": float64(len(r.latencies)) / seconds,
				"p50_ms":         r.percentile(0.50), "p95_ms": r.percentile(0.95), "p99_ms": r.percentile(0.99),
			}}
		if *url != "" {
			rec.Batch = 0 // the running server's own, unknown here
		}
		rec.Note = fmt.Sprintf("  %d ok, %d failed: %.1f requests/s, latency p50 %.2f ms, p95 %.2f ms, p99 %.2f ms",
			len(r.latencies), r.failed, float64(len(r.latencies))/seconds, r.percentile(0.50), r.percentile(0.95), r.percentile(0.99))
		return bf.writer().Write(rec)
	}
}

// benchImage is the image file at path, or a generated PNG.
func benchImage(path string) ([]byte, error) {
	if path != "" {
		return os.ReadFile(path)
	}
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(4 * x), uint8(5 * y), uint8(2 * (x + y)), 255})
		}
	}
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}

// startLocalServer serves the model file on a loopback port.
func startLocalServer(path string, o serve.Options) (url string, stop func(), err error) {
	m, meta, err := modelfile.Load(path)
	if err != nil {
		return "", nil, err
	}
	s, err := serve.New(m, meta, o)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", path, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return "", nil, err
	}
	hs := &http.Server{Handler: s}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() { hs.Close(); s.Close() }, nil
}

// run sends requests from l.clients goroutines, each waiting for its
// answer before the next, until the duration or the count is reached.
func (l serveLoad) run() serveLoadResult {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: l.clients}}
	deadline := time.Now().Add(l.duration)
	var sent atomic.Int64
	more := func() bool {
		if l.requests > 0 {
			return sent.Add(1) <= int64(l.requests)
		}
		return time.Now().Before(deadline)
	}
	var mu sync.Mutex
	var r serveLoadResult
	var wg sync.WaitGroup
	start := time.Now()
	for range l.clients {
		wg.Go(func() {
			var lat []time.Duration
			failed := 0
			for more() {
				t0 := time.Now()
				if err := l.post(client); err != nil {
					failed++
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			r.latencies = append(r.latencies, lat...)
			r.failed += failed
			mu.Unlock()
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	slices.Sort(r.latencies)
	return r
}

// post sends one request; an answer other than 200 is an error.
func (l serveLoad) post(client *http.Client) error {
	resp, err := client.Post(l.url, "application/octet-stream", bytes.NewReader(l.body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// percentile is the q-quantile of the latencies in milliseconds (nearest
// rank), 0 without any.
func (r serveLoadResult) percentile(q float64) float64 {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(r.latencies)))) - 1
	return float64(r.latencies[max(i, 0)].Microseconds()) / 1000
}
