package serve

import "github.com/prometheus/client_golang/prometheus"

// metrics are what GET /metrics exports, on the server's own registry (so
// that several servers can live in one process).
type metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.CounterVec   // by route and status code
	latency    *prometheus.HistogramVec // by route
	batchSize  prometheus.Histogram
	queueDepth prometheus.Gauge
	dropped    prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keel_serve_requests_total", Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "keel_serve_request_duration_seconds", Help: "Time to answer a request, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "keel_serve_batch_size", Help: "Inputs per forward pass.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "keel_serve_queue_depth", Help: "Inputs queued or in the running forward pass.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "keel_serve_dropped_inputs_total", Help: "Inputs dropped unrun because their request had gone.",
		}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.batchSize, m.queueDepth, m.dropped)
	return m
}
