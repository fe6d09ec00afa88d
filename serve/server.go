package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server answers the routes of the package comment. It is safe for
// concurrent use; Close it to stop its batching goroutine.
type Server struct {
	opts     Options
	current  atomic.Pointer[loaded]
	batcher  *batcher
	metrics  *metrics
	mux      *http.ServeMux
	reloadMu sync.Mutex // one reload at a time
	closed   atomic.Bool
}

// New serves model, whose file recorded meta (its classes, input size and
// preprocessing), with opts' limits. The model's first output must be one
// vector of scores per input.
func New(model *nn.Model, meta modelfile.Meta, opts Options) (*Server, error) {
	l, err := load(model, meta)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts.withDefaults(), metrics: newMetrics(), mux: http.NewServeMux()}
	s.current.Store(l)
	s.batcher = newBatcher(s.opts, s.metrics)
	s.route("POST /v1/predict", "predict", s.predict)
	s.route("GET /v1/model", "model", s.model)
	s.route("GET /healthz", "healthz", func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.route("GET /readyz", "readyz", s.ready)
	if s.opts.Reload != nil {
		s.route("POST /v1/reload", "reload", s.reload)
	}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	return s, nil
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops the server answering ready and stops its batcher once the
// inputs queued have been run. Call it after http.Server.Shutdown has
// drained the requests in flight.
func (s *Server) Close() {
	if s.closed.CompareAndSwap(false, true) {
		s.batcher.close()
	}
}

// Swap replaces the model served, atomically: requests already queued
// finish on the old one. A model that cannot be served is refused and the
// old one kept.
func (s *Server) Swap(model *nn.Model, meta modelfile.Meta) error {
	l, err := load(model, meta)
	if err != nil {
		return err
	}
	s.current.Store(l)
	return nil
}

// Reload loads the model again with Options.Reload and swaps it in; on an
// error the old model stays.
func (s *Server) Reload() error {
	if s.opts.Reload == nil {
		return fmt.Errorf("serve: no Options.Reload to load the model with")
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	m, meta, err := s.opts.Reload()
	if err == nil {
		err = s.Swap(m, meta)
	}
	if err != nil {
		s.opts.Logger.Error("reload refused, the old model stays", "err", err)
		return err
	}
	s.opts.Logger.Info("model reloaded")
	return nil
}

// handler is a route's work; an error it returns is answered as JSON.
type handler func(w http.ResponseWriter, r *http.Request) error

// route registers h with the metrics, the error answer and a recover: a
// panic in one request is logged and answered 500, and the server goes on.
func (s *Server) route(pattern, name string, h handler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		cw := &codeWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.opts.Logger.Error("panic answering a request", "route", name, "panic", p, "stack", string(debug.Stack()))
				if cw.code == 0 {
					writeJSON(cw, http.StatusInternalServerError, errorBody{"internal error"})
				}
			}
			s.metrics.requests.WithLabelValues(name, strconv.Itoa(cw.code)).Inc()
			s.metrics.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
		}()
		if err := h(cw, r); err != nil {
			writeError(cw, err)
		}
	})
}

func (s *Server) model(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, s.current.Load().info(s.opts.Name))
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	if s.closed.Load() {
		return httpError{http.StatusServiceUnavailable, "closing"}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) error {
	if err := s.Reload(); err != nil {
		return httpError{http.StatusUnprocessableEntity, err.Error()}
	}
	return writeJSON(w, http.StatusOK, s.current.Load().info(s.opts.Name))
}

// codeWriter remembers the status code written, for the metrics.
type codeWriter struct {
	http.ResponseWriter
	code int
}

func (c *codeWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *codeWriter) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	return c.ResponseWriter.Write(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	return json.NewEncoder(w).Encode(v)
}
