package weightsio_test

import (
	"fmt"
	"log"

	"github.com/keelml/keel/weightsio"
)

// Open a Keras file and read each layer's weights as float32.
func Example() {
	f, err := weightsio.Open("../testdata/h5/keras-attention.h5")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	fmt.Println(f.Format, f.KerasVersion, f.Backend, f.ModelConfig["class_name"])
	for _, layer := range f.Layers() {
		for _, w := range layer.Weights {
			values, err := w.Float32()
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("%s %s %v %s %d values\n", layer.Name, w.Name, w.Shape, w.Dtype, len(values))
		}
	}
	// Output:
	// keras-h5-model 2.11.0 tensorflow Functional
	// dense dense/kernel:0 [22 32] float32 704 values
	// dense dense/bias:0 [32] float32 32 values
	// dense_1 dense_1/kernel:0 [64 32] float32 2048 values
	// dense_1 dense_1/bias:0 [32] float32 32 values
	// outputs outputs/kernel:0 [32 1] float32 32 values
	// outputs outputs/bias:0 [1] float32 1 values
}
