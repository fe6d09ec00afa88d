package nn

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/testenv"
)

// BenchmarkTrainStepMobileNet times one training step of MobileNet (224,
// alpha 1, no top) with the guide's head at batch 8: backbone frozen (pure
// inference, BN folded) and fully trainable.
func BenchmarkTrainStepMobileNet(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(testenv.Shared(b, "golden", "archs"), "mobilenet_notop_224.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, regime := range []string{"frozen", "full"} {
		b.Run(regime, func(b *testing.B) {
			base, err := ModelFromJSON(raw)
			if err != nil {
				b.Fatal(err)
			}
			sc := NewNameScope()
			x := NewGlobalAveragePooling2D(WithScope(sc)).Apply(base.Output())
			x = NewDense(100, WithActivation("relu"), WithScope(sc)).Apply(x)
			x = NewDense(2, WithActivation("softmax"), WithScope(sc)).Apply(x)
			m, err := NewModel(base.Inputs(), []*Node{x})
			if err != nil {
				b.Fatal(err)
			}
			if regime == "frozen" {
				base.SetTrainable(false)
			}
			m.Compile(NewAdam(AdamConfig{}), CategoricalCrossentropy{})
			in := randomTensor("bench", 1, 8, 224, 224, 3)
			y := NewTensor(8, 2)
			for i := 0; i < 8; i++ {
				y.Data[2*i+i%2] = 1
			}
			b.ResetTimer()
			for range b.N {
				if _, err := m.TrainStep(in, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
