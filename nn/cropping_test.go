package nn

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestCropping2D checks the cropped values, that the gradient lands in the
// kept window with zeros in the cropped border, and the config both ways.
func TestCropping2D(t *testing.T) {
	const n, h, w, c = 2, 5, 6, 3
	top, bottom, left, right := 1, 2, 0, 3
	x := NewTensor(n, h, w, c)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	oh, ow := h-top-bottom, w-left-right
	dy := randomTensor("crop-dy", 1, n, oh, ow, c)
	l := NewCropping2D(top, bottom, left, right)
	r := runLayer(t, l, []*Tensor{x}, nil, dy, true, false)
	if got, want := r.y.Shape, []int{n, oh, ow, c}; !reflect.DeepEqual(got, want) {
		t.Fatalf("output shape %v, want %v", got, want)
	}
	for b := 0; b < n; b++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				for k := 0; k < c; k++ {
					in := ((b*h+i)*w+j)*c + k
					kept := i >= top && i < h-bottom && j >= left && j < w-right
					var wantDX float32
					if kept {
						out := ((b*oh+i-top)*ow+j-left)*c + k
						if r.y.Data[out] != x.Data[in] {
							t.Fatalf("y[%d,%d,%d,%d] = %v, want %v", b, i-top, j-left, k, r.y.Data[out], x.Data[in])
						}
						wantDX = dy.Data[out]
					}
					if r.dx[0].Data[in] != wantDX {
						t.Fatalf("dx[%d,%d,%d,%d] = %v, want %v", b, i, j, k, r.dx[0].Data[in], wantDX)
					}
				}
			}
		}
	}

	// Keras' config, and the int and symmetric-pair forms it also takes.
	enc, _ := json.Marshal(NewCropping2D(1, 0, 1, 0, WithName("cropping2d_1")).Config())
	var got map[string]any
	json.Unmarshal(enc, &got)
	want := map[string]any{"name": "cropping2d_1", "trainable": true, "dtype": "float32",
		"cropping": []any{[]any{1.0, 0.0}, []any{1.0, 0.0}}, "data_format": "channels_last"}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("config %s = %v, want %v", k, got[k], v)
		}
	}
	for _, tc := range []struct {
		cropping any
		want     [4]int
	}{
		{[]any{[]any{1.0, 0.0}, []any{2.0, 3.0}}, [4]int{1, 0, 2, 3}},
		{[]any{1.0, 2.0}, [4]int{1, 1, 2, 2}},
		{2.0, [4]int{2, 2, 2, 2}},
		{nil, [4]int{}},
	} {
		cfg := Config{"name": "c"}
		if tc.cropping != nil {
			cfg["cropping"] = tc.cropping
		}
		l, err := LayerFromConfig("Cropping2D", cfg)
		if err != nil {
			t.Fatal(err)
		}
		cl := l.(*Cropping2D)
		if g := [4]int{cl.top, cl.bottom, cl.left, cl.right}; g != tc.want {
			t.Errorf("cropping %v: got %v, want %v", tc.cropping, g, tc.want)
		}
	}
	if out := NewCropping2D(3, 2, 0, 0).Apply(Input([]int{5, 5, 1})); out.Err() == nil {
		t.Error("cropping every row: no error")
	}
}

// TestCropping2DGradients runs NASNet's shifted adjust path (pad, crop,
// strided 1x1 pooling, 1x1 convolution) beside the plain one, under central
// differences.
func TestCropping2DGradients(t *testing.T) {
	sc := NewNameScope()
	in := Input([]int{5, 6, 2}, WithScope(sc))
	p := NewActivation("tanh", WithScope(sc)).Apply(in)
	p1 := NewAveragePooling2D(1, 1, WithStrides(2), WithScope(sc)).Apply(p)
	p1 = NewConv2D(2, 1, 1, WithUseBias(false), WithScope(sc)).Apply(p1)
	p2 := NewZeroPadding2D(0, 1, 0, 1, WithScope(sc)).Apply(p)
	p2 = NewCropping2D(1, 0, 1, 0, WithScope(sc)).Apply(p2)
	p2 = NewAveragePooling2D(1, 1, WithStrides(2), WithScope(sc)).Apply(p2)
	p2 = NewConv2D(2, 1, 1, WithUseBias(false), WithScope(sc)).Apply(p2)
	out := NewConcatenate(WithScope(sc)).Apply(p1, p2)
	// An uneven crop too, straight off the input.
	out2 := NewCropping2D(2, 0, 1, 3, WithScope(sc)).Apply(in)
	m, err := NewModel([]*Node{in}, []*Node{out, out2})
	if err != nil {
		t.Fatal(err)
	}
	checkFiniteDifferences(t, m, 2)
}
