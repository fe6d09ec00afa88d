package zoo_test

import (
	"fmt"
	"io"

	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
)

// The transfer-learning guide's model: a pretrained backbone without its top,
// frozen, with a new head. (Weights "imagenet" or a file path loads the
// pretrained weights; this example keeps the random ones.)
func ExampleNew() {
	base, err := zoo.New("mobilenet", zoo.Options{Alpha: 0.25, InputShape: []int{96, 96, 3}, Notices: io.Discard})
	if err != nil {
		panic(err)
	}
	base.SetTrainable(false)
	x := nn.NewGlobalAveragePooling2D().Apply(base.Output())
	x = nn.NewDense(100, nn.WithActivation("relu")).Apply(x)
	x = nn.NewDense(2, nn.WithActivation("softmax")).Apply(x)
	model, err := nn.NewModel(base.Inputs(), []*nn.Node{x})
	if err != nil {
		panic(err)
	}
	fmt.Println(base.Name(), base.Output().Shape(), "->", model.Output().Shape())
	fmt.Println("trainable weights:", len(model.TrainableWeights()))
	// Output:
	// mobilenet_0.25_96 [3 3 256] -> [2]
	// trainable weights: 4
}
