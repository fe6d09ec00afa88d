package nn

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/keelml/keel/internal/splitmix"
	"github.com/keelml/keel/internal/testenv"
)

// readIDX reads a gzip-compressed IDX file: its dimensions and bytes.
func readIDX(t testing.TB, path string) ([]int, []byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 4 || raw[0] != 0 || raw[1] != 0 || raw[2] != 8 {
		t.Fatalf("%s: not an unsigned-byte IDX file", path)
	}
	nd := int(raw[3])
	var dims []int
	for i := 0; i < nd; i++ {
		dims = append(dims, int(binary.BigEndian.Uint32(raw[4+4*i:])))
	}
	return dims, raw[4+4*nd:]
}

// fashionMNIST returns the first n test images of Fashion-MNIST as
// (n, 28, 28, 1) floats in [0, 1] and their labels one-hot (n, 10).
func fashionMNIST(t testing.TB, n int) (*Tensor, *Tensor) {
	dir := testenv.Shared(t, "data", "fashion-mnist")
	dims, pix := readIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
	_, lab := readIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if dims[0] < n || dims[1] != 28 || dims[2] != 28 {
		t.Fatalf("images %v", dims)
	}
	x := NewTensor(n, 28, 28, 1)
	for i := range x.Data {
		x.Data[i] = float32(pix[i]) / 255
	}
	y := NewTensor(n, 10)
	for i := 0; i < n; i++ {
		y.Data[i*10+int(lab[i])] = 1
	}
	return x, y
}

// smallConvNet is the Fashion-MNIST model of the tests, built in its own
// name scope so that two builds start from the same weights.
func smallConvNet(t testing.TB) *Model {
	t.Helper()
	sc := NewNameScope()
	in := Input([]int{28, 28, 1}, WithScope(sc))
	x := NewConv2D(8, 3, 3, WithActivation("relu"), WithScope(sc)).Apply(in)
	x = NewMaxPooling2D(2, 2, WithScope(sc)).Apply(x)
	x = NewConv2D(16, 3, 3, WithActivation("relu"), WithScope(sc)).Apply(x)
	x = NewMaxPooling2D(2, 2, WithScope(sc)).Apply(x)
	x = NewFlatten(WithScope(sc)).Apply(x)
	x = NewDense(32, WithActivation("relu"), WithScope(sc)).Apply(x)
	x = NewDense(10, WithActivation("softmax"), WithScope(sc)).Apply(x)
	m, err := NewModel([]*Node{in}, []*Node{x}, WithName("fashion"))
	if err != nil {
		t.Fatal(err)
	}
	m.Compile(NewAdam(AdamConfig{OptimizerOptions: OptimizerOptions{LearningRate: 3e-3}}), CategoricalCrossentropy{}, NewAccuracy())
	return m
}

// TestFitFashionMNIST trains a small conv net on 6,000 Fashion-MNIST
// images (1,500 more validate, Keras' validation split) for 4 epochs: it
// must reach 80% validation accuracy, and a second run with the same seed
// must give the same history, value for value.
func TestFitFashionMNIST(t *testing.T) {
	x, y := fashionMNIST(t, 7500)
	var hists []*History
	var out bytes.Buffer
	for run := 0; run < 2; run++ {
		m := smallConvNet(t)
		start := time.Now()
		out.Reset()
		h, err := m.Fit(context.Background(), arrays(t, x, y, 32, true, 7), FitOptions{Epochs: 4, ValidationSplit: 0.2, Verbose: VerboseLines, Output: &out})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: %v\n%s", run, time.Since(start).Round(time.Millisecond), out.String())
		hists = append(hists, h)
		if run == 0 {
			// Evaluate on the validation part gives the last val_ values.
			ev, err := m.Evaluate(context.Background(), arrays(t, x.Rows(6000, 7500), y.Rows(6000, 7500), 32, false, 0))
			if err != nil {
				t.Fatal(err)
			}
			last := len(h.Epoch) - 1
			if ev["accuracy"] != h.History["val_accuracy"][last] || math.Abs(ev["loss"]-h.History["val_loss"][last]) > 1e-12 {
				t.Errorf("Evaluate %v, history's last val_ values %v %v", ev, h.History["val_loss"][last], h.History["val_accuracy"][last])
			}
			// Predict agrees with Evaluate's accuracy.
			ps, err := m.Predict(context.Background(), arrays(t, x.Rows(6000, 7500), nil, 64, false, 0))
			if err != nil {
				t.Fatal(err)
			}
			p := ps[0]
			hits := 0
			for i := 0; i < 1500; i++ {
				if argmax(p.Data[i*10:(i+1)*10]) == argmax(y.Data[(6000+i)*10:(6001+i)*10]) {
					hits++
				}
			}
			if float64(hits)/1500 != ev["accuracy"] {
				t.Errorf("Predict accuracy %v, Evaluate %v", float64(hits)/1500, ev["accuracy"])
			}
		}
	}
	h := hists[0]
	if !reflect.DeepEqual(h.Keys, []string{"loss", "accuracy", "val_loss", "val_accuracy"}) {
		t.Errorf("keys %v", h.Keys)
	}
	if acc := h.History["val_accuracy"][len(h.Epoch)-1]; acc < 0.8 {
		t.Errorf("validation accuracy %.4f < 0.80", acc)
	}
	if !reflect.DeepEqual(hists[0], hists[1]) {
		t.Errorf("same seed, different histories:\n%v\n%v", hists[0].History, hists[1].History)
	}
}

// tinyModel is a quick dense classifier for the loop's tests.
func tinyModel(t testing.TB, opt Optimizer) *Model {
	t.Helper()
	sc := NewNameScope()
	in := Input([]int{4}, WithScope(sc))
	x := NewDense(8, WithActivation("relu"), WithScope(sc)).Apply(in)
	x = NewDense(3, WithActivation("softmax"), WithScope(sc)).Apply(x)
	m, err := NewModel([]*Node{in}, []*Node{x}, WithName("tiny"))
	if err != nil {
		t.Fatal(err)
	}
	if opt == nil {
		opt = NewSGD(SGDConfig{})
	}
	m.Compile(opt, CategoricalCrossentropy{}, NewAccuracy())
	return m
}

// tinyData is n samples of 4 features with a learnable 3-class label.
func tinyData(n int) (*Tensor, *Tensor) {
	x, y := NewTensor(n, 4), NewTensor(n, 3)
	r := splitmix.FromString("tiny data")
	for i := 0; i < n; i++ {
		best, bestV := 0, float32(-1)
		for j := 0; j < 4; j++ {
			v := float32(r.U())
			x.Data[i*4+j] = v
			if j < 3 && v > bestV {
				best, bestV = j, v
			}
		}
		y.Data[i*3+best] = 1
	}
	return x, y
}

// Validation split: Keras validates on the last fraction, taken before
// shuffling; the val_ values are those of Evaluate on those samples.
func TestFitValidationSplitTakesLastFraction(t *testing.T) {
	x, y := tinyData(100)
	m := tinyModel(t, nil)
	h, err := m.Fit(context.Background(), arrays(t, x, y, 16, true, 0), FitOptions{Epochs: 2, ValidationSplit: 0.3, Verbose: VerboseSilent})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := m.Evaluate(context.Background(), arrays(t, x.Rows(70, 100), y.Rows(70, 100), 16, false, 0))
	if err != nil {
		t.Fatal(err)
	}
	if ev["loss"] != h.History["val_loss"][1] || ev["accuracy"] != h.History["val_accuracy"][1] {
		t.Errorf("Evaluate on the last 30%%: %v; history %v", ev, h.History)
	}
	if !reflect.DeepEqual(h.Epoch, []int{0, 1}) {
		t.Errorf("epochs %v", h.Epoch)
	}
	// Resuming: InitialEpoch 1 of 3 runs epochs 1 and 2.
	h, err = m.Fit(context.Background(), arrays(t, x, y, 32, true, 0), FitOptions{Epochs: 3, InitialEpoch: 1, Verbose: VerboseSilent})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h.Epoch, []int{1, 2}) {
		t.Errorf("resumed epochs %v", h.Epoch)
	}
}

// Class weights scale each sample's loss: weight 2 on every class doubles
// the loss Fit reports (the loss of the first batch, before any update, is
// the epoch's loss with a single batch) and weight 1 changes nothing.
func TestFitClassWeight(t *testing.T) {
	x, y := tinyData(30)
	loss := func(cw map[int]float64) float64 {
		m := tinyModel(t, nil)
		h, err := m.Fit(context.Background(), arrays(t, x, y, 30, false, 0), FitOptions{ClassWeight: cw, Verbose: VerboseSilent})
		if err != nil {
			t.Fatal(err)
		}
		return h.History["loss"][0]
	}
	plain := loss(nil)
	if l := loss(map[int]float64{0: 1, 1: 1, 2: 1}); math.Abs(l-plain) > 1e-6 {
		t.Errorf("unit class weights: %v, want %v", l, plain)
	}
	if l := loss(map[int]float64{0: 2, 1: 2, 2: 2}); math.Abs(l-2*plain) > 1e-6 {
		t.Errorf("class weights 2: %v, want %v", l, 2*plain)
	}
	// Weight only class 0: the loss is sum over its samples' losses * 3 /
	// n plus the others'.
	m := tinyModel(t, nil)
	preds, err := m.Predict(context.Background(), arrays(t, x, nil, 30, false, 0))
	if err != nil {
		t.Fatal(err)
	}
	pred := preds[0]
	want := 0.0
	for i := 0; i < 30; i++ {
		l, _ := CategoricalCrossentropy{}.Compute(pred.Rows(i, i+1), y.Rows(i, i+1), make([]float32, 3))
		if argmax(y.Data[i*3:i*3+3]) == 0 {
			l *= 3
		}
		want += l / 30
	}
	if l := loss(map[int]float64{0: 3}); math.Abs(l-want) > 1e-5 {
		t.Errorf("class 0 weighted 3: loss %v, want %v", l, want)
	}
}

// A fit cancelled mid-epoch returns promptly with the context's error and
// the history of the epochs that completed.
func TestFitCancelMidEpoch(t *testing.T) {
	x, y := tinyData(640)
	m := tinyModel(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var batches int
	hook := CallbackFuncs{BatchEnd: func(f *Fitting, b int, _ Logs) error {
		batches++
		if f.Epoch == 1 && b == 4 {
			cancel()
		}
		return nil
	}}
	h, err := m.Fit(ctx, arrays(t, x, y, 32, true, 0), FitOptions{Epochs: 5, Callbacks: []Callback{hook}, Verbose: VerboseSilent})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if batches != 20+5 || !reflect.DeepEqual(h.Epoch, []int{0}) {
		t.Errorf("%d batches, epochs %v", batches, h.Epoch)
	}

	// From another goroutine, during a long fit of a larger model.
	xb, yb := fashionSynthetic(512)
	mb := smallConvNet(t)
	ctx2, cancel2 := context.WithCancel(context.Background())
	var at time.Time
	go func() {
		time.Sleep(150 * time.Millisecond)
		at = time.Now()
		cancel2()
	}()
	_, err = mb.Fit(ctx2, arrays(t, xb, yb, 32, true, 0), FitOptions{Epochs: 1000, Verbose: VerboseSilent})
	lag := time.Since(at)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if lag > 500*time.Millisecond {
		t.Errorf("returned %v after the cancel", lag)
	}
	t.Logf("returned %v after the cancel", lag)
}

// fashionSynthetic is random 28x28 data with one-hot labels (for tests
// that need no real data).
func fashionSynthetic(n int) (*Tensor, *Tensor) {
	x, y := NewTensor(n, 28, 28, 1), NewTensor(n, 10)
	r := splitmix.FromString("synthetic")
	for i := range x.Data {
		x.Data[i] = float32(r.U())
	}
	for i := 0; i < n; i++ {
		y.Data[i*10+i%10] = 1
	}
	return x, y
}

func TestFitShuffleIsSeeded(t *testing.T) {
	x, y := tinyData(50)
	d1, _ := NewArrayDataset([]*Tensor{x}, []*Tensor{y}, 10, true, 3)
	d2, _ := NewArrayDataset([]*Tensor{x}, []*Tensor{y}, 10, true, 3)
	d3, _ := NewArrayDataset([]*Tensor{x}, []*Tensor{y}, 10, true, 4)
	d1.SetEpoch(2)
	d2.SetEpoch(2)
	d3.SetEpoch(2)
	if !reflect.DeepEqual(d1.order, d2.order) || reflect.DeepEqual(d1.order, d3.order) {
		t.Errorf("orders %v %v %v", d1.order, d2.order, d3.order)
	}
	seen := map[int]bool{}
	for _, i := range d1.order {
		seen[i] = true
	}
	if len(seen) != 50 {
		t.Errorf("not a permutation: %v", d1.order)
	}
	bx, by, err := d1.Batch(4)
	if err != nil {
		t.Fatal(err)
	}
	s := d1.order[40]
	if bx[0].Shape[0] != 10 || bx[0].Data[0] != x.Data[s*4] || by[0].Data[0] != y.Data[s*3] {
		t.Errorf("batch 4 does not start with sample %d", s)
	}
	if _, _, err := d1.Batch(5); err == nil {
		t.Error("batch past the end")
	}
}

func TestLogsKeys(t *testing.T) {
	l := Logs{"val_accuracy": 1, "lr": 1, "accuracy": 1, "loss": 1, "val_loss": 1}
	if got := fmt.Sprint(l.Keys()); got != "[loss accuracy val_loss val_accuracy lr]" {
		t.Errorf("keys %s", got)
	}
}
