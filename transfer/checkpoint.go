package transfer

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

// bestCheckpoint is Keras' ModelCheckpoint(monitor="val_loss",
// save_best_only=True) kept across both phases of a run: the best value is
// not reset when the fine-tuning fit begins, so the file holds the best
// epoch of the whole run.
type bestCheckpoint struct {
	nn.CallbackBase
	path string
	save func(path string) error
	best float64
}

func (b *bestCheckpoint) OnEpochEnd(f *nn.Fitting, epoch int, logs nn.Logs) error {
	v, ok := logs["val_loss"]
	if !ok || v >= b.best {
		return nil
	}
	fmt.Fprintf(f.Output, "Epoch %05d: val_loss improved from %0.5f to %0.5f, saving model to %s\n", epoch+1, b.best, v, b.path)
	b.best = v
	return b.save(b.path)
}
