package imagedata

import (
	"math"
	"slices"
	"testing"
)

func rampImage(h, w int) []float32 {
	x := make([]float32, 3*h*w)
	for i := range x {
		x[i] = float32((i * 37) % 256)
	}
	return x
}

func TestFlipTwiceIsIdentity(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {5, 4}, {8, 8}} {
		h, w := size[0], size[1]
		x := rampImage(h, w)
		var a Augment
		for _, tr := range []Transform{{Zx: 1, Zy: 1, FlipHorizontal: true}, {Zx: 1, Zy: 1, FlipVertical: true},
			{Zx: 1, Zy: 1, FlipHorizontal: true, FlipVertical: true}} {
			once := a.Apply(x, h, w, tr, nil)
			twice := a.Apply(once, h, w, tr, nil)
			if !slices.Equal(twice, x) {
				t.Errorf("%dx%d %+v: flipping twice changed the image", h, w, tr)
			}
			if h > 1 && w > 1 && slices.Equal(once, x) {
				t.Errorf("%dx%d %+v: flipping once changed nothing", h, w, tr)
			}
		}
	}
}

// TestZeroRangesChangeNothing: the zero Augment (and explicit zero or unit
// ranges) returns the input bit for bit, for any seed, and draws only the two
// flip numbers Keras always draws.
func TestZeroRangesChangeNothing(t *testing.T) {
	x := rampImage(9, 7)
	for _, a := range []Augment{{}, {ZoomRange: [2]float64{1, 1}, FillMode: FillConstant, Cval: 9}} {
		r := NewRand(5)
		for range 10 {
			tr := a.RandomTransform(r, 9, 7)
			if got := a.Apply(x, 9, 7, tr, nil); !slices.Equal(got, x) {
				t.Fatalf("%+v changed the image", a)
			}
		}
		r1, r2 := NewRand(5), NewRand(5)
		a.RandomTransform(r1, 9, 7)
		r2.Float64()
		r2.Float64()
		if r1.Uint32() != r2.Uint32() {
			t.Error("the zero Augment drew more than the two flip numbers")
		}
	}
}

func TestSameSeedSameTransforms(t *testing.T) {
	a := Augment{RotationRange: 40, WidthShiftRange: 0.2, HeightShiftRange: 3, ShearRange: 15,
		ZoomRange: [2]float64{0.5, 1.5}, HorizontalFlip: true, VerticalFlip: true,
		BrightnessRange: [2]float64{0.5, 1.5}, ChannelShiftRange: 30}
	r1, r2, r3 := NewRand(77), NewRand(77), NewRand(78)
	differs := false
	for range 20 {
		t1, t2, t3 := a.RandomTransform(r1, 20, 30), a.RandomTransform(r2, 20, 30), a.RandomTransform(r3, 20, 30)
		if t1 != t2 {
			t.Fatalf("same seed, different draws: %+v vs %+v", t1, t2)
		}
		differs = differs || t1 != t3
		if math.Abs(t1.Theta) > 40 || math.Abs(t1.Tx) > 3 || math.Abs(t1.Ty) > 0.2*30 ||
			t1.Zx < 0.5 || t1.Zx > 1.5 || t1.Brightness < 0.5 || t1.Brightness > 1.5 {
			t.Fatalf("draw outside its range: %+v", t1)
		}
	}
	if !differs {
		t.Error("another seed gave the same draws")
	}
}

// TestRotate90 checks a 90 degree rotation with fill nearest on a square
// image. Keras rotates about (n/2+0.5, n/2+0.5), not the true centre
// ((n-1)/2), so its result is the transposed, flipped image moved by two
// columns, with the first two columns repeating the edge (keras_preprocessing
// 1.1.0 gives exactly this).
func TestRotate90(t *testing.T) {
	const n = 8
	x := rampImage(n, n)
	a := Augment{FillMode: FillNearest}
	got := a.Apply(x, n, n, Transform{Theta: 90, Zx: 1, Zy: 1}, nil)
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			src := min(n+1-c, n-1) // transposed and flipped: out[r][c] = in[n-1-c][r], shifted by 2
			for k := 0; k < 3; k++ {
				want := x[3*(src*n+r)+k]
				if d := math.Abs(float64(got[3*(r*n+c)+k] - want)); d > 1e-3 {
					t.Fatalf("(%d,%d,%d): %v, want %v", r, c, k, got[3*(r*n+c)+k], want)
				}
			}
		}
	}
}

func TestPreprocessAndRescaleOrder(t *testing.T) {
	x := []float32{255, 0, 127.5}
	a := Augment{Preprocess: PreprocessTF, Rescale: 0.5}
	got := a.Apply(x, 1, 1, Transform{Zx: 1, Zy: 1}, nil)
	want := []float32{0.5, -0.5, 0} // (x/127.5 - 1) * 0.5
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestMapCoordinate(t *testing.T) {
	// Values from scipy 1.10's affine_transform on [0 10 20 30 40] (see
	// scripts/imagedata): the coordinate each mode reads.
	for _, c := range []struct {
		mode FillMode
		in   float64
		want float64
	}{
		{FillNearest, -3, 0}, {FillNearest, 7, 4},
		{FillConstant, -0.25, -1}, {FillConstant, 4.5, -1}, {FillConstant, 4, 4},
		{FillReflect, -1.25, 0.25}, {FillReflect, 5.5, 3.5}, {FillReflect, 4.5, 4.5},
		{FillWrap, -0.25, 3.75}, {FillWrap, 4.3, 0.3}, {FillWrap, 4, 4},
	} {
		if got := mapCoordinate(c.in, 5, c.mode); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%v %v: %v, want %v", c.mode, c.in, got, c.want)
		}
	}
}
