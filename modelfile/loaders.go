package modelfile

import (
	"sync"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/weightsio"
)

// A Loader reads files of a layout that is not Keras' alone (Keel's
// quantized models, package quant): ok false leaves the file to modelfile.
// It sees the file after it was opened, before its model_config is read.
type Loader func(f *weightsio.File, path string) (m *nn.Model, ok bool, err error)

var (
	loadersMu sync.RWMutex
	loaders   []Loader
)

// RegisterLoader makes Load, LoadWith and LoadBytes try fn on every file
// first, as image decoders register with package image: a program reads
// quantized models once it imports package quant.
func RegisterLoader(fn Loader) {
	loadersMu.Lock()
	defer loadersMu.Unlock()
	loaders = append(loaders, fn)
}

// claimed runs the registered loaders on f.
func claimed(f *weightsio.File, path string) (*nn.Model, bool, error) {
	loadersMu.RLock()
	list := loaders
	loadersMu.RUnlock()
	for _, fn := range list {
		if m, ok, err := fn(f, path); ok {
			return m, true, err
		}
	}
	return nil, false, nil
}
