package transfer_test

import (
	"context"
	"fmt"
	"io"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/transfer"
)

// A head trained on features computed before (a feature folder keel-beam
// wrote, read with featureset.Load), then scored on them.
func ExampleTrainFeatures() {
	// 40 images of two classes, 4 features each; class 1's first feature is high.
	n := 40
	x := make([]float32, n*4)
	labels := make([]int, n)
	for i := range n {
		labels[i] = i * 2 / n
		x[i*4] = float32(labels[i]*2 - 1)
		x[i*4+1] = float32(i%5) / 5
	}
	f := transfer.FeatureData{X: &nn.Tensor{Shape: []int{n, 4}, Data: x}, Labels: labels, ClassNames: []string{"cat", "dog"}}
	res, err := transfer.TrainFeatures(context.Background(), transfer.Config{Model: "mobilenet", Head: "dense:softmax",
		Epochs: 30, BatchSize: 8, LR: 0.05, ValidationSplit: 0.25, Seed: 1, Output: io.Discard}, f)
	if err != nil {
		fmt.Println(err)
		return
	}
	e, err := transfer.EvaluateFeatures(context.Background(), res.Model, f, nil, transfer.EvalOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.TrainImages, res.ValImages, e.Images, e.Accuracy)
	// Output: 30 10 40 1
}
