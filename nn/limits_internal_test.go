package nn

import "testing"

// The limits hold while a config is built, not afterwards: the layers of a
// loaded model are the caller's to apply again.
func TestLimitsEndWithTheBuild(t *testing.T) {
	cfg := `{"class_name": "Sequential", "config": {"layers": [
{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 4, 3]}},
{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 4, 3]}},
 {"class_name": "Dense", "config": {"name": "inner", "units": 2}}]}},
{"class_name": "Dense", "config": {"name": "outer", "units": 2}}]}}`
	m, err := ModelFromJSONWithin([]byte(cfg), Limits{MaxWeights: 100, MaxInputValues: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"inner", "outer"} {
		if m.Layer(name).core().budget != nil {
			t.Errorf("layer %s still charges the build's budget", name)
		}
	}
}
