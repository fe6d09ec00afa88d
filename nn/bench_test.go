package nn

import "testing"

// BenchmarkTrainStepMobileNet times one training step of MobileNet (224,
// alpha 1, no top) with the guide's head at batch 8: backbone frozen (pure
// inference, BN folded) and fully trainable.
func BenchmarkTrainStepMobileNet(b *testing.B) {
	for _, regime := range []string{"frozen", "full"} {
		b.Run(regime, func(b *testing.B) {
			m, y := mobilenetTransfer(b, regime, 8)
			in := randomTensor("bench", 1, 8, 224, 224, 3)
			b.ResetTimer()
			for range b.N {
				if _, err := m.TrainStep(in, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
