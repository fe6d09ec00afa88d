package nn_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/keelml/keel/nn"
)

// cancelAfter cancels the fit's context after batch step of epoch epoch.
type cancelAfter struct {
	nn.CallbackBase
	epoch, step int
	cancel      context.CancelFunc
}

func (c *cancelAfter) OnBatchEnd(f *nn.Fitting, batch int, _ nn.Logs) error {
	if f.Epoch == c.epoch && batch == c.step {
		c.cancel()
	}
	return nil
}

// A fit cancelled mid-epoch stops after the current batch; resumed with
// InitialEpoch and InitialStep it ends with the weights of an uninterrupted
// fit.
func TestFitResumeMidEpoch(t *testing.T) {
	build := func() *nn.Model {
		in := nn.Input([]int{3})
		x := nn.NewDense(4, nn.WithActivation("tanh")).Apply(in)
		m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{nn.NewDense(2, nn.WithActivation("softmax")).Apply(x)})
		if err != nil {
			t.Fatal(err)
		}
		m.Compile(nn.NewAdam(nn.AdamConfig{}), nn.CategoricalCrossentropy{})
		return m
	}
	x, y := nn.NewTensor(20, 3), nn.NewTensor(20, 2)
	for i := range x.Data {
		x.Data[i] = float32(i%7)/7 - 0.5
	}
	for i := 0; i < 20; i++ {
		y.Data[i*2+i%2] = 1
	}
	data := func() nn.Dataset {
		d, err := nn.NewArrayDataset([]*nn.Tensor{x}, []*nn.Tensor{y}, 4, true, 9)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b := build(), build()
	for i, v := range a.Weights() {
		if err := b.Weights()[i].Set(v.Shape(), v.Value()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Fit(context.Background(), data(), nn.FitOptions{Epochs: 3, Verbose: nn.VerboseSilent}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop := &cancelAfter{epoch: 1, step: 2, cancel: cancel}
	var steps int
	count := &countBatches{n: &steps}
	_, err := b.Fit(ctx, data(), nn.FitOptions{Epochs: 3, Verbose: nn.VerboseSilent, Callbacks: []nn.Callback{stop, count}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled fit: %v", err)
	}
	if steps != 5+3 {
		t.Fatalf("the cancelled fit ran %d batches, want 8 (stops after the current one)", steps)
	}
	hist, err := b.Fit(context.Background(), data(), nn.FitOptions{Epochs: 3, InitialEpoch: 1, InitialStep: 3, Verbose: nn.VerboseSilent})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hist.Epoch, []int{1, 2}) {
		t.Fatalf("resumed epochs %v", hist.Epoch)
	}
	for i, v := range a.Weights() {
		if !slices.Equal(v.Value(), b.Weights()[i].Value()) {
			t.Fatalf("%s: resumed %v, uninterrupted %v", v.Path(), b.Weights()[i].Value(), v.Value())
		}
	}
	if _, err := b.Fit(context.Background(), data(), nn.FitOptions{Epochs: 3, InitialEpoch: 1, InitialStep: 5}); err == nil {
		t.Fatal("an initial step past the epoch's batches is accepted")
	}
}

type countBatches struct {
	nn.CallbackBase
	n *int
}

func (c *countBatches) OnBatchEnd(*nn.Fitting, int, nn.Logs) error { *c.n++; return nil }
