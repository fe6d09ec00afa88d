package weightsio_test

import (
	"bytes"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/weightsio"
)

// TestCorruptedKerasFiles damages files of each layout and checks that
// opening and reading them gives errors naming the file, never a panic.
func TestCorruptedKerasFiles(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, name := range []string{"keras-attention.h5", "cnn_tf_weights.h5", "synthetic/tf2-archive.keras", "synthetic/keras3-deflated.keras"} {
		b, err := os.ReadFile(testenv.Testdata(t, "h5", name))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 300; i++ {
			c := append([]byte(nil), b...)
			if i%3 == 0 {
				c = c[:rng.Intn(len(c))]
			} else {
				for j := rng.Intn(4) + 1; j > 0; j-- {
					c[rng.Intn(len(c))] = byte(rng.Intn(256))
				}
			}
			f, err := weightsio.NewFile(bytes.NewReader(c), int64(len(c)), name)
			if err == nil {
				_, err = f.ReadAllFloat32()
			}
			if err != nil && !strings.Contains(err.Error(), name) {
				t.Fatalf("error %q does not name the file", err)
			}
		}
	}
}
