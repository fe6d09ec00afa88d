package quant_test

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/keelml/keel/bench"
	"github.com/keelml/keel/kernels"
	"github.com/keelml/keel/quant"
)

// BenchmarkZooInt8 times the int8 forward pass of a zoo classifier
// (KEEL_QUANT_MODEL, default mobilenet_v2) at batch 1.
func BenchmarkZooInt8(b *testing.B) {
	name := os.Getenv("KEEL_QUANT_MODEL")
	if name == "" {
		name = "mobilenet_v2"
	}
	m, err := bench.Classifier(name, 224, nil)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	qm, _, err := quant.Quantize(m, bench.RandomTensor(r, -120, 130, 2, 224, 224, 3), quant.Options{ErrorImages: 1})
	if err != nil {
		b.Fatal(err)
	}
	x := bench.RandomTensor(r, -120, 130, 1, 224, 224, 3)
	defer kernels.SetThreads(kernels.SetThreads(1))
	nm, err := qm.NN()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("direct", func(b *testing.B) {
		for range b.N {
			if _, err := qm.Run(x); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("nn", func(b *testing.B) {
		for range b.N {
			if _, err := nm.Run(x); err != nil {
				b.Fatal(err)
			}
		}
	})
}
