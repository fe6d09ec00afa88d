package nn

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestJSONRoundTrip writes models as Keras JSON and builds them back.
func TestJSONRoundTrip(t *testing.T) {
	seq, err := Sequential([]int{6, 6, 2},
		NewConv2D(3, 3, 3, WithName("c1"), WithActivation("relu")),
		NewBatchNormalization(WithName("bn"), WithMomentum(0.9)),
		NewFlatten(WithName("f")),
		NewDropout(0.5, WithName("drop")),
		NewDense(2, WithActivation("softmax"), WithName("out")))
	if err != nil {
		t.Fatal(err)
	}
	nested, _ := cnn3(t, true)
	for _, m := range []*Model{seq, nested, smallCNN(t)} {
		t.Run(m.ClassName()+"/"+m.Name(), func(t *testing.T) {
			raw, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ModelFromJSON(raw)
			if err != nil {
				t.Fatalf("%v\n%s", err, raw)
			}
			if back.ClassName() != m.ClassName() {
				t.Errorf("class %s, want %s", back.ClassName(), m.ClassName())
			}
			a, b := m.flatLayers(), back.flatLayers()
			if len(a) != len(b) {
				t.Fatalf("%d layers, want %d", len(b), len(a))
			}
			for i := range a {
				if m.ClassName() == "Sequential" && i == 0 && a[i].ClassName() == "InputLayer" && b[i].ClassName() == "InputLayer" {
					// Keras' Sequential config has no InputLayer: the rebuilt
					// one takes the next automatic name, whatever ran before.
					continue
				}
				if a[i].Name() != b[i].Name() || a[i].ClassName() != b[i].ClassName() {
					t.Errorf("layer %d: %s %s, want %s %s", i, b[i].ClassName(), b[i].Name(), a[i].ClassName(), a[i].Name())
					continue
				}
				if _, ok := a[i].(*Model); ok {
					continue
				}
				if !reflect.DeepEqual(a[i].Config(), b[i].Config()) {
					t.Errorf("%s: config %v, want %v", a[i].Name(), b[i].Config(), a[i].Config())
				}
			}
			again, _ := json.Marshal(back)
			if string(again) != string(raw) {
				t.Errorf("second round trip differs:\n%s\n%s", raw, again)
			}
		})
	}
}

func TestEvalBatch(t *testing.T) {
	m := smallCNN(t)
	acc := NewAccuracy()
	m.Compile(NewSGD(SGDConfig{}), CategoricalCrossentropy{}, acc)
	x, y := trainBatch(6)
	before := m.Layer("head").Weight("kernel").Value()[0]
	loss, err := m.EvalBatch([]*Tensor{x}, []*Tensor{y}, nil)
	if err != nil {
		t.Fatal(err)
	}
	trainLoss, err := m.TrainStep(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if before == m.Layer("head").Weight("kernel").Value()[0] {
		t.Error("TrainStep did not update")
	}
	t.Logf("eval loss %.6f, train loss %.6f (batch statistics), accuracy %.2f", loss, trainLoss, acc.Result())
	if loss <= 0 || acc.Result() < 0 || acc.Result() > 1 {
		t.Errorf("loss %v accuracy %v", loss, acc.Result())
	}
}
