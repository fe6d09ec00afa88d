package modelfile

import (
	"slices"
	"testing"
)

func TestTransposeArray(t *testing.T) {
	// (2, 3) -> (3, 2)
	a := transposeArray(array{[]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}}, []int{1, 0})
	if !slices.Equal(a.shape, []int{3, 2}) || !slices.Equal(a.data, []float32{1, 4, 2, 5, 3, 6}) {
		t.Errorf("got %v %v", a.shape, a.data)
	}
	// Keras 1 th kernel (filters 2, inputs 1, rows 1, cols 2) -> (1, 2, 1, 2):
	// out[0][c][0][f] = in[f][0][0][c].
	a = transposeArray(array{[]int{2, 1, 1, 2}, []float32{1, 2, 3, 4}}, []int{2, 3, 1, 0})
	if !slices.Equal(a.shape, []int{1, 2, 1, 2}) || !slices.Equal(a.data, []float32{1, 3, 2, 4}) {
		t.Errorf("th kernel: got %v %v", a.shape, a.data)
	}
}

// Theano's kernels are reversed along rows and columns, never along the
// input and filter axes.
func TestFlipSpatial(t *testing.T) {
	// (2, 2, 1, 2): values 10*row + 5*col + filter.
	in := array{[]int{2, 2, 1, 2}, []float32{0, 1, 5, 6, 10, 11, 15, 16}}
	got := flipSpatial(in)
	want := []float32{15, 16, 10, 11, 5, 6, 0, 1}
	if !slices.Equal(got.data, want) {
		t.Errorf("got %v, want %v", got.data, want)
	}
}

// Keras 1's LSTM keeps (W, U, b) per gate in order i, c, f, o; Keras 2
// joins them in order i, f, c, o.
func TestKeras1LSTMGates(t *testing.T) {
	var a []array
	for g := range 4 { // i, c, f, o
		a = append(a,
			array{[]int{2, 1}, []float32{float32(10*g + 1), float32(10*g + 2)}}, // W: (inputs 2, units 1)
			array{[]int{1, 1}, []float32{float32(10*g + 3)}},                    // U
			array{[]int{1}, []float32{float32(10*g + 4)}})                       // b
	}
	lg := &legacyLayouts{keras1: true}
	out, err := lg.convert("LSTM", "lstm_1", a, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Gate values: i=0, f=20, c=10, o=30.
	wantKernel := []float32{1, 21, 11, 31, 2, 22, 12, 32}
	if len(out) != 3 || !slices.Equal(out[0].shape, []int{2, 4}) || !slices.Equal(out[0].data, wantKernel) {
		t.Fatalf("kernel %v", out)
	}
	if !slices.Equal(out[1].data, []float32{3, 23, 13, 33}) || !slices.Equal(out[2].data, []float32{4, 24, 14, 34}) {
		t.Errorf("recurrent kernel %v, bias %v", out[1].data, out[2].data)
	}
}

func TestKeras1GRUAndConv1D(t *testing.T) {
	var a []array
	for g := range 3 { // z, r, h
		a = append(a, array{[]int{1, 1}, []float32{float32(g)}}, array{[]int{1, 1}, []float32{float32(10 + g)}}, array{[]int{1}, []float32{float32(20 + g)}})
	}
	lg := &legacyLayouts{keras1: true}
	out, _ := lg.convert("GRU", "gru", a, nil)
	if len(out) != 3 || !slices.Equal(out[0].data, []float32{0, 1, 2}) || !slices.Equal(out[2].data, []float32{20, 21, 22}) {
		t.Errorf("GRU %v", out)
	}
	// Keras 1.2 Conv1D kernel (length 2, 1, inputs 1, filters 2) drops its
	// second axis; Keras 1.1's (filters 2, inputs 1, length 2, 1) is
	// transposed first.
	k, _ := lg.convert("Conv1D", "c", []array{{[]int{2, 1, 1, 2}, []float32{1, 2, 3, 4}}}, [][]int{{2, 1, 2}})
	if !slices.Equal(k[0].shape, []int{2, 1, 2}) || !slices.Equal(k[0].data, []float32{1, 2, 3, 4}) {
		t.Errorf("Keras 1.2 Conv1D %v", k[0])
	}
	k, _ = lg.convert("Conv1D", "c", []array{{[]int{2, 1, 2, 1}, []float32{1, 2, 3, 4}}}, [][]int{{2, 1, 2}})
	if !slices.Equal(k[0].shape, []int{2, 1, 2}) || !slices.Equal(k[0].data, []float32{1, 3, 2, 4}) {
		t.Errorf("Keras 1.1 Conv1D %v", k[0])
	}
}
