package nn_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
)

// A Keras-style training run: a validation split, early stopping that
// restores the best weights, the best model checkpointed, the learning
// rate halved on plateaus, a CSV log, and one line per epoch on standard
// output when it is not a terminal (silent here).
func ExampleModel_Fit() {
	// Four features; the label says which of the first two is larger.
	n := 512
	x, y := nn.NewTensor(n, 4), nn.NewTensor(n, 2)
	for i := 0; i < n; i++ {
		for j := 0; j < 4; j++ {
			x.Data[i*4+j] = float32((i*7+j*13)%17) / 17
		}
		if x.Data[i*4] > x.Data[i*4+1] {
			y.Data[i*2] = 1
		} else {
			y.Data[i*2+1] = 1
		}
	}
	in := nn.Input([]int{4})
	h := nn.NewDense(16, nn.WithActivation("relu")).Apply(in)
	out := nn.NewDense(2, nn.WithActivation("softmax")).Apply(h)
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{out})
	if err != nil {
		panic(err)
	}
	m.Compile(nn.NewAdam(nn.AdamConfig{OptimizerOptions: nn.OptimizerOptions{LearningRate: 0.01}}), nn.CategoricalCrossentropy{}, nn.NewAccuracy())

	dir, _ := os.MkdirTemp("", "fit")
	defer os.RemoveAll(dir)
	saveModel := func(path string, m *nn.Model) error { return modelfile.Save(path, m, modelfile.Meta{}) }
	ckpt := &nn.ModelCheckpoint{Filepath: filepath.Join(dir, "best.h5"), Save: saveModel, Monitor: "val_accuracy", SaveBestOnly: true}
	// Batches of 32, shuffled every epoch from seed 1.
	data, err := nn.NewArrayDataset([]*nn.Tensor{x}, []*nn.Tensor{y}, 32, true, 1)
	if err != nil {
		panic(err)
	}
	hist, err := m.Fit(context.Background(), data, nn.FitOptions{
		Epochs: 60, ValidationSplit: 0.2, Verbose: nn.VerboseSilent,
		Callbacks: []nn.Callback{
			&nn.EarlyStopping{Monitor: "val_loss", Patience: 5, RestoreBestWeights: true},
			ckpt,
			&nn.ReduceLROnPlateau{Factor: 0.5, Patience: 2},
			&nn.CSVLogger{Filename: filepath.Join(dir, "log.csv")},
		},
	})
	if err != nil {
		panic(err)
	}
	last := len(hist.Epoch) - 1
	fmt.Println("keys:", hist.Keys)
	fmt.Println("validation accuracy above 0.9:", hist.History["val_accuracy"][last] > 0.9)
	_, err = os.Stat(ckpt.Saved[len(ckpt.Saved)-1])
	fmt.Println("best model saved:", err == nil)
	// Output:
	// keys: [loss accuracy val_loss val_accuracy lr]
	// validation accuracy above 0.9: true
	// best model saved: true
}
