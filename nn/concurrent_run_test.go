package nn_test

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/keelml/keel/nn"
)

// Predict, Run and RunLayers may be called from many goroutines on one
// model: every result equals the serial one. Run with -race.
func TestConcurrentPredictRun(t *testing.T) {
	in := nn.Input([]int{12, 12, 3})
	x := nn.NewConv2D(6, 3, 3, nn.WithPadding("same"), nn.WithUseBias(false)).Apply(in)
	x = nn.NewBatchNormalization(nn.WithName("bn")).Apply(x)
	x = nn.NewReLU(nn.WithMaxValue(6)).Apply(x)
	x = nn.NewMaxPooling2D(2, 2).Apply(x)
	x = nn.NewGlobalAveragePooling2D().Apply(x)
	x = nn.NewDense(5, nn.WithActivation("softmax")).Apply(x)
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{x})
	if err != nil {
		t.Fatal(err)
	}
	// Inputs of two batch sizes, so that calls also need different plans.
	inputs := make([]*nn.Tensor, 4)
	for k := range inputs {
		inputs[k] = nn.NewTensor(1+k%2*2, 12, 12, 3)
		for i := range inputs[k].Data {
			inputs[k].Data[i] = float32(math.Sin(float64(i*(k+3)) * 0.37))
		}
	}
	serialRun := make([][]float32, len(inputs))
	for k, x := range inputs {
		out, err := m.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		serialRun[k] = out[0].Data
	}
	all := nn.NewTensor(8, 12, 12, 3)
	for i := range all.Data {
		all.Data[i] = float32(math.Cos(float64(i) * 0.11))
	}
	data, err := nn.NewArrayDataset([]*nn.Tensor{all}, nil, 3, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	serialPredict, err := m.Predict(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	serialTap, err := m.RunLayers([]string{"bn"}, inputs[0])
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 4; rep++ {
				if g == 2 { // RunLayers: another plan over the same layers
					out, err := m.RunLayers([]string{"bn"}, inputs[0])
					if err != nil {
						errs <- err.Error()
						return
					}
					if !slices.Equal(out[0].Data, serialTap[0].Data) {
						errs <- "RunLayers differs from the serial result"
						return
					}
					continue
				}
				if g%2 == 0 {
					k := (g/2 + rep) % len(inputs)
					out, err := m.Run(inputs[k])
					if err != nil {
						errs <- err.Error()
						return
					}
					if !slices.Equal(out[0].Data, serialRun[k]) {
						errs <- "Run differs from the serial result"
						return
					}
					continue
				}
				// Each goroutine its own dataset: a Dataset is not shared.
				d, _ := nn.NewArrayDataset([]*nn.Tensor{all}, nil, 3, false, 0)
				out, err := m.Predict(context.Background(), d)
				if err != nil {
					errs <- err.Error()
					return
				}
				if !slices.Equal(out[0].Data, serialPredict[0].Data) || !slices.Equal(out[0].Shape, serialPredict[0].Shape) {
					errs <- "Predict differs from the serial result"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
