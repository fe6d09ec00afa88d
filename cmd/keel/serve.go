package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/keelml/keel/kernels"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/serve"
)

func init() {
	register(command{name: "serve", summary: "an HTTP inference server for a saved model, with dynamic batching", flags: serveFlags})
}

const serveHelp = `usage: keel serve --model-file MODEL.h5 [--addr 127.0.0.1:8080] [--threads N] [--max-batch 8]
                  [--batch-wait 2ms] [--max-body 16MB] [--max-pixels N] [--timeout 10s] [--reload]

Serves the model over HTTP: POST /v1/predict (an image body, multipart
images, or JSON {"inputs": [[...]]}; ?top=K), GET /v1/model, /healthz,
/readyz and /metrics (Prometheus). Images are read as keel predict
--model-file reads them. SIGTERM or Ctrl-C drains the requests in flight
and exits; SIGHUP loads the model file again and swaps it in, keeping the
old model if the file is bad (as POST /v1/reload does with --reload).

flags:`

func serveFlags(fs *flag.FlagSet) func([]string) error {
	modelFile := fs.String("model-file", "", "the saved model to serve (Keel's or Keras' full-model .h5 or .keras)")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	threads := fs.Int("threads", 0, "threads of the kernels (default: GOMAXPROCS)")
	maxBatch := fs.Int("max-batch", 8, "inputs per forward pass, at most")
	batchWait := fs.Duration("batch-wait", 2*time.Millisecond, "how long an input waits for others to share its forward pass")
	maxBody := byteSize(16 << 20)
	fs.Var(&maxBody, "max-body", "largest request body, in bytes or with KB, MB, GB (powers of 1024) (default 16MB)")
	maxPixels := fs.Int("max-pixels", 0, "largest image, in width x height by its header (default: as keel predict, 178956970)")
	timeout := fs.Duration("timeout", 10*time.Second, "longest time a request may take")
	reload := fs.Bool("reload", false, "enable POST /v1/reload (load the model file again)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), serveHelp)
		fs.PrintDefaults()
	}
	return func(args []string) error {
		switch {
		case len(args) > 0:
			return fmt.Errorf("%w: serve takes no arguments, got %q", errUsage, args)
		case *modelFile == "":
			return fmt.Errorf("%w: --model-file is required", errUsage)
		case *maxBatch < 1:
			return fmt.Errorf("%w: --max-batch must be at least 1, got %d", errUsage, *maxBatch)
		case *batchWait <= 0 || *timeout <= 0:
			return fmt.Errorf("%w: --batch-wait and --timeout must be positive", errUsage)
		}
		if *threads > 0 {
			kernels.SetThreads(*threads)
		}
		path := *modelFile
		m, meta, err := modelfile.Load(path)
		if err != nil {
			return err
		}
		opts := serve.Options{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), MaxBatch: *maxBatch,
			BatchWait: *batchWait, MaxBody: int64(maxBody), MaxPixels: *maxPixels, Timeout: *timeout}
		if *reload {
			opts.Reload = func() (*nn.Model, modelfile.Meta, error) { return modelfile.Load(path) }
		}
		s, err := serve.New(m, meta, opts)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			s.Close()
			return err
		}
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, os.Interrupt, syscall.SIGHUP)
		defer signal.Stop(signals)
		fmt.Fprintf(os.Stderr, "keel serve: %s on http://%s\n", path, ln.Addr())
		return runServe(ln, s, path, *timeout, signals)
	}
}

// runServe serves s on ln until SIGTERM or an interrupt arrives, then
// drains the requests in flight (for at most twice timeout) and stops s.
// SIGHUP loads path again and swaps it in; a bad file is logged and the
// old model kept.
func runServe(ln net.Listener, s *serve.Server, path string, timeout time.Duration, signals <-chan os.Signal) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: timeout, ReadTimeout: timeout, WriteTimeout: 2 * timeout, IdleTimeout: time.Minute}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	defer s.Close()
	for {
		select {
		case err := <-served:
			return err
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				reloadFile(s, path)
				continue
			}
			slog.Info("draining the requests in flight", "signal", sig.String())
			ctx, cancel := context.WithTimeout(context.Background(), 2*timeout)
			defer cancel()
			if err := hs.Shutdown(ctx); err != nil {
				return fmt.Errorf("draining: %w", err)
			}
			if err := <-served; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}
	}
}

// reloadFile swaps in the model file at path, or keeps the old model.
func reloadFile(s *serve.Server, path string) {
	m, meta, err := modelfile.Load(path)
	if err == nil {
		err = s.Swap(m, meta)
	}
	if err != nil {
		slog.Error("reload refused, the old model stays", "file", path, "err", err)
		return
	}
	slog.Info("model reloaded", "file", path)
}

// byteSize is a flag of a number of bytes: 1048576, 512KB, 16MB, 1GB
// (powers of 1024; a trailing B, iB or nothing after the unit).
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	units := []struct {
		suffix string
		shift  uint
	}{{"G", 30}, {"M", 20}, {"K", 10}, {"", 0}}
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	for _, u := range units {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil || n < 1 || n > (1<<62)>>u.shift {
				return fmt.Errorf("want a positive size such as 16MB, got %q", s)
			}
			*b = byteSize(n << u.shift)
			return nil
		}
	}
	return fmt.Errorf("want a positive size such as 16MB, got %q", s)
}
