package weightsio

import (
	"bytes"
	"slices"
	"testing"

	"github.com/keelml/keel/weightsio/h5write"
)

// An int8 dataset (h5write.DatasetInt8) reads back as numpy's int8 with
// its bytes, beside a float32 one.
func TestInt8DatasetRoundTrip(t *testing.T) {
	f := h5write.New()
	mw := f.Root().Group("model_weights")
	mw.SetStrings("layer_names", []string{"conv"})
	g := mw.Group("conv")
	g.SetStrings("weight_names", []string{"conv/kernel:0", "conv/kernel_scale:0"})
	want := []int8{-127, -1, 0, 1, 5, 127}
	if _, err := g.DatasetInt8("conv/kernel:0", []int{1, 1, 2, 3}, want); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Dataset("conv/kernel_scale:0", []int{3}, []float32{0.5, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.DatasetInt8("conv/bad:0", []int{4}, want); err == nil {
		t.Error("6 values for shape [4]: no error")
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	h, err := NewFile(bytes.NewReader(b.Bytes()), int64(b.Len()), "int8.h5")
	if err != nil {
		t.Fatal(err)
	}
	weight := func(name string) *Weight {
		t.Helper()
		for _, l := range h.Layers() {
			for i := range l.Weights {
				if l.Weights[i].Name == name {
					return &l.Weights[i]
				}
			}
		}
		t.Fatalf("no weight %s in %+v", name, h.Layers())
		return nil
	}
	ds := weight("conv/kernel:0").Dataset()
	if ds.Type.Name() != "int8" || !slices.Equal(ds.Shape, []int{1, 1, 2, 3}) {
		t.Fatalf("type %s shape %v", ds.Type.Name(), ds.Shape)
	}
	raw, err := ds.ReadRaw()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range want {
		if int8(raw[i]) != v {
			t.Errorf("value %d: %d, want %d", i, int8(raw[i]), v)
		}
	}
	fl, err := ds.ReadFloat32()
	if err != nil || fl[0] != -127 || fl[5] != 127 {
		t.Errorf("as float32: %v, %v", fl, err)
	}
	if v, err := weight("conv/kernel_scale:0").Float32(); err != nil || !slices.Equal(v, []float32{0.5, 1, 2}) {
		t.Errorf("scales %v, %v", v, err)
	}
}
