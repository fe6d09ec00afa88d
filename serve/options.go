package serve

import (
	"log/slog"
	"time"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
)

// Options are a Server's limits. The zero value of each field is its
// default.
type Options struct {
	Name      string        // the model's name in answers (default "model")
	MaxBatch  int           // inputs per forward pass (default 8)
	BatchWait time.Duration // how long the first input waits for others (default 2ms)
	QueueSize int           // inputs that may wait; beyond, 503 (default 16 x MaxBatch, at least 64)
	MaxBody   int64         // bytes of a request body; beyond, 413 (default 16 MiB)
	MaxPixels int           // width x height of an image, by its header; beyond, 413 (default imagedata.MaxPixels)
	Timeout   time.Duration // how long a request may take in all; beyond, 503 (default 10s)
	Top       int           // classes per input without ?top= (default 5)
	Logger    *slog.Logger  // where panics and reloads are logged (default slog.Default())
	// Reload, when set, enables POST /v1/reload: it loads the model again
	// (from its file), and the server swaps it in if it is usable.
	Reload func() (*nn.Model, modelfile.Meta, error)
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	if o.Name == "" {
		o.Name = "model"
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 8
	}
	if o.BatchWait <= 0 {
		o.BatchWait = 2 * time.Millisecond
	}
	if o.QueueSize <= 0 {
		o.QueueSize = max(16*o.MaxBatch, 64)
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 16 << 20
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = imagedata.MaxPixels
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Top <= 0 {
		o.Top = 5
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
