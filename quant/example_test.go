package quant_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/quant"
)

// Quantize a small convolutional classifier on calibration images, save it,
// and load it back with modelfile.Load like any model file.
func Example() {
	x := nn.Input([]int{16, 16, 3})
	y := nn.NewConv2D(8, 3, 3, nn.WithPadding("same"), nn.WithActivation("relu")).Apply(x)
	y = nn.NewGlobalAveragePooling2D().Apply(y)
	y = nn.NewDense(2, nn.WithActivation("softmax")).Apply(y)
	m, err := nn.NewModel([]*nn.Node{x}, []*nn.Node{y})
	if err != nil {
		panic(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	calib := nn.NewTensor(8, 16, 16, 3)
	for i := range calib.Data {
		calib.Data[i] = 2*r.Float32() - 1
	}
	qm, rep, err := quant.Quantize(m, calib, quant.Options{})
	if err != nil {
		panic(err)
	}
	for _, l := range rep.Layers {
		fmt.Println(l.Class, l.Precision)
	}
	dir, _ := os.MkdirTemp("", "quant")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.int8.h5")
	if err := quant.Save(path, qm, modelfile.Meta{Preprocess: "tf", InputSize: 16}); err != nil {
		panic(err)
	}
	loaded, meta, err := modelfile.Load(path)
	if err != nil {
		panic(err)
	}
	out, err := loaded.Run(calib.Rows(0, 1))
	if err != nil {
		panic(err)
	}
	fmt.Println(meta.Preprocess, out[0].Shape)
	// Output:
	// KeelQuantize quantize
	// KeelQuantConv2D int8
	// KeelQuantGlobalAveragePooling2D int8
	// KeelDequantize dequantize
	// Dense float32
	// tf [1 2]
}
