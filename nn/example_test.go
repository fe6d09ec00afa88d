package nn_test

import (
	"fmt"

	"github.com/keelml/keel/nn"
)

// The transfer-learning guide's example: take a backbone's output, add
// Flatten, Dense(100, relu) and Dense(2, softmax), freeze the backbone and
// train one step.
func Example_transferLearning() {
	scope := nn.NewNameScope()
	in := nn.Input([]int{32, 32, 3}, nn.WithScope(scope))
	x := nn.NewConv2D(8, 3, 3, nn.WithPadding("same"), nn.WithActivation("relu"), nn.WithName("block1_conv1")).Apply(in)
	x = nn.NewMaxPooling2D(2, 2, nn.WithName("block1_pool")).Apply(x)
	base, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{x}, nn.WithName("backbone"))
	if err != nil {
		panic(err)
	}

	y := nn.NewFlatten(nn.WithScope(scope)).Apply(base.Output())
	y = nn.NewDense(100, nn.WithActivation("relu"), nn.WithScope(scope)).Apply(y)
	y = nn.NewDense(2, nn.WithActivation("softmax"), nn.WithScope(scope)).Apply(y)
	model, err := nn.NewModel(base.Inputs(), []*nn.Node{y}, nn.WithName("transfer"))
	if err != nil {
		panic(err)
	}
	base.SetTrainable(false)

	model.Compile(nn.NewAdam(nn.AdamConfig{}), nn.CategoricalCrossentropy{}, nn.NewAccuracy())
	images := nn.NewTensor(4, 32, 32, 3)
	labels, _ := nn.TensorOf([]float32{1, 0, 0, 1, 1, 0, 0, 1}, 4, 2)
	if _, err := model.TrainStep(images, labels); err != nil {
		panic(err)
	}
	for _, l := range model.Layers() {
		fmt.Println(l.Name(), l.ClassName(), l.Trainable())
	}
	fmt.Println(len(model.TrainableWeights()), "trainable weights")
	// Output:
	// input_1 InputLayer false
	// block1_conv1 Conv2D false
	// block1_pool MaxPooling2D false
	// flatten_1 Flatten true
	// dense_1 Dense true
	// dense_2 Dense true
	// 4 trainable weights
}

// Fine-tuning: freeze a model up to a layer, then read an intermediate
// output by name.
func ExampleModel_UnfreezeFrom() {
	scope := nn.NewNameScope()
	in := nn.Input([]int{16, 16, 3}, nn.WithScope(scope))
	x := nn.NewConv2D(4, 3, 3, nn.WithName("conv1"), nn.WithUseBias(false)).Apply(in)
	x = nn.NewBatchNormalization(nn.WithName("conv1_bn")).Apply(x)
	x = nn.NewReLU(nn.WithMaxValue(6), nn.WithName("conv1_relu")).Apply(x)
	x = nn.NewConv2D(8, 3, 3, nn.WithStrides(2), nn.WithName("conv2")).Apply(x)
	x = nn.NewGlobalAveragePooling2D(nn.WithScope(scope)).Apply(x)
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{x})
	if err != nil {
		panic(err)
	}
	if err := m.UnfreezeFrom("conv2"); err != nil {
		panic(err)
	}
	for _, v := range m.TrainableWeights() {
		fmt.Println("trainable:", v.Path(), v.Shape())
	}
	outs, err := m.RunLayers([]string{"conv1_relu"}, nn.NewTensor(1, 16, 16, 3))
	if err != nil {
		panic(err)
	}
	fmt.Println("conv1_relu:", outs[0].Shape)
	// Output:
	// trainable: conv2/kernel [3 3 4 8]
	// trainable: conv2/bias [8]
	// conv1_relu: [1 14 14 4]
}
