package transfer

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/internal/testimages"
	"github.com/keelml/keel/modelfile"
	"github.com/stretchr/testify/require"
)

// Three epochs in one run, and one epoch then a resume for two more, end
// with bit-identical weights: the checkpoint holds the optimizer's state,
// and each epoch's shuffle (and augmentation) is drawn from the seed and
// the epoch number. Both ways of training: on cached backbone features,
// and through the whole model with augmentation.
func TestResumeMatchesUninterrupted(t *testing.T) {
	data := testimages.ColourFolder(t, 6, 40, 36, 7)
	for _, tc := range []struct {
		name   string
		cached bool
	}{{"cached", true}, {"augmented", false}} {
		t.Run(tc.name, func(t *testing.T) {
			config := func(epochs int) Config {
				c := smallConfig(t, data)
				c.Epochs, c.Head = epochs, "gap,dense:8:relu,dense:softmax"
				if !tc.cached {
					c.Augment = &imagedata.Augment{HorizontalFlip: true, RotationRange: 10}
				}
				return c
			}
			whole, err := Train(context.Background(), config(3))
			require.NoError(t, err)
			require.Equal(t, tc.cached, whole.Cached)
			require.Equal(t, 3, whole.Epoch)

			first, err := Train(context.Background(), config(1))
			require.NoError(t, err)
			path := filepath.Join(t.TempDir(), "ckpt.h5")
			require.NoError(t, first.Save(path))
			ts, err := modelfile.LoadTrainingState(path)
			require.NoError(t, err)
			require.Equal(t, 1, ts.Epoch)
			require.Equal(t, 0, ts.Step)
			require.Equal(t, "Adam", ts.Optimizer)

			c := config(3)
			c.Resume, c.Weights = path, "/nonexistent: not read when resuming"
			rest, err := Train(context.Background(), c)
			require.NoError(t, err)
			require.Equal(t, []int{1, 2}, rest.History.Epoch, "epochs 2 and 3 (from 0: 1 and 2)")
			require.Equal(t, 3, rest.Epoch)
			for i, v := range whole.Model.Weights() {
				require.True(t, slices.Equal(v.Value(), rest.Model.Weights()[i].Value()), "%s differs", v.Path())
			}
			require.Equal(t, whole.History.History["loss"][1:], rest.History.History["loss"])

			// Another data folder (other classes) is refused.
			c.Data = testimages.ColourFolder(t, 4, 40, 36, 2)
			os.RemoveAll(filepath.Join(c.Data, "blue"))
			_, err = Train(context.Background(), c)
			require.ErrorContains(t, err, "it was trained on classes")
			c.Data = data

			// Nothing left to train is an error, not a silent no-op.
			c.Resume = path
			c.Epochs = 1
			_, err = Train(context.Background(), c)
			require.ErrorContains(t, err, "epochs are trained already")
		})
	}
}
