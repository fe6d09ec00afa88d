package modelfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
)

// A model saved as a Keras 3 .keras archive (the extension picks the
// format) loads back with the same outputs and the class names it was
// saved with.
func Example() {
	x := nn.Input([]int{4})
	y := nn.NewDense(2, nn.WithActivation("softmax")).Apply(x)
	m, err := nn.NewModel([]*nn.Node{x}, []*nn.Node{y})
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "keel")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.keras")
	if err := modelfile.Save(path, m, modelfile.Meta{ClassNames: []string{"cat", "dog"}}); err != nil {
		panic(err)
	}
	back, meta, err := modelfile.Load(path)
	if err != nil {
		panic(err)
	}
	in := nn.NewTensor(1, 4)
	copy(in.Data, []float32{1, -2, 3, 0.5})
	a, _ := m.Run(in)
	b, _ := back.Run(in)
	fmt.Println(meta.ClassNames, a[0].Data[0] == b[0].Data[0], a[0].Data[1] == b[0].Data[1])
	// Output: [cat dog] true true
}
