package nn

import "testing"

// cachedPlan runs m on x and returns the plan the run used.
func cachedPlan(t *testing.T, m *Model, x *Tensor) *plan {
	t.Helper()
	if _, err := m.Run(x); err != nil {
		t.Fatal(err)
	}
	return m.plans[planKey{batch: x.Batch()}]
}

// TestPlansInvalidatedPerModel checks that changing a trainable flag
// rebuilds the plans of the models containing the layer, and only those.
func TestPlansInvalidatedPerModel(t *testing.T) {
	a, b := smallCNN(t), smallCNN(t)
	in := Input([]int{8, 8, 3})
	outer, err := NewModel([]*Node{in}, []*Node{a.ApplyInference(in)})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := trainBatch(2)
	pa, pb, po := cachedPlan(t, a, x), cachedPlan(t, b, x), cachedPlan(t, outer, x)
	if cachedPlan(t, a, x) != pa {
		t.Fatal("an unchanged model rebuilt its plan")
	}
	a.Layer("conv2").SetTrainable(false)
	if cachedPlan(t, b, x) != pb {
		t.Error("freezing a layer of another model rebuilt the plan")
	}
	if cachedPlan(t, a, x) == pa {
		t.Error("freezing a layer kept the plan of its model")
	}
	if cachedPlan(t, outer, x) == po {
		t.Error("freezing a layer kept the plan of a model nesting its model")
	}
	pb = cachedPlan(t, b, x)
	if err := a.FreezeUntil("bn1"); err != nil {
		t.Fatal(err)
	}
	if cachedPlan(t, b, x) != pb {
		t.Error("FreezeUntil on another model rebuilt the plan")
	}
}
