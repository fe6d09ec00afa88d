package imagedata

import (
	"image"
	"math"
	"testing"
)

// TestTFBilinearKnownValues: tf.image.resize([[0, 255]], [1, 4]) is
// [0, 63.75, 191.25, 255] with half-pixel centres; shrinking takes two-tap
// samples with no antialiasing.
func TestTFBilinearKnownValues(t *testing.T) {
	src := &Image{W: 2, H: 1, Pix: []uint8{0, 0, 0, 255, 255, 255}}
	got := ResizeTFBilinear(src, 4, 1, nil)
	want := []float32{0, 63.75, 191.25, 255}
	for i, v := range want {
		if got[3*i] != v || got[3*i+2] != v {
			t.Fatalf("upscale: %v, want %v per channel", got, want)
		}
	}
	row := &Image{W: 8, H: 1, Pix: make([]uint8, 24)}
	for i := range 8 {
		row.Pix[3*i] = uint8(10 * i)
	}
	// 8 -> 2: centres at 1.5 and 5.5: (10+20)/2 and (50+60)/2.
	got = ResizeTFBilinear(row, 2, 1, nil)
	if got[0] != 15 || got[3] != 55 {
		t.Fatalf("downscale: %v, want 15 and 55", []float32{got[0], got[3]})
	}
}

func TestResizeSameSizeIsCopy(t *testing.T) {
	src := &Image{W: 3, H: 2, Pix: []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}}
	for interp := Nearest; interp <= Lanczos; interp++ {
		got := ResizePIL(src, 3, 2, interp)
		if string(got.Pix) != string(src.Pix) {
			t.Errorf("%v changed a same-size image", interp)
		}
	}
	tf := ResizeTFBilinear(src, 3, 2, nil)
	for i, v := range src.Pix {
		if tf[i] != float32(v) {
			t.Fatalf("TF same size: %v", tf)
		}
	}
}

// TestResizeConstantStaysConstant: every filter preserves a flat colour at
// any scale (the weights are normalised), including 1-pixel outputs.
func TestResizeConstantStaysConstant(t *testing.T) {
	src := NewImage(37, 23)
	for i := range src.Pix {
		src.Pix[i] = []uint8{200, 17, 99}[i%3]
	}
	for interp := Nearest; interp <= Lanczos; interp++ {
		for _, size := range [][2]int{{1, 1}, {5, 80}, {74, 3}, {224, 224}} {
			got := ResizePIL(src, size[0], size[1], interp)
			for i, v := range got.Pix {
				if v != src.Pix[i%3] {
					t.Fatalf("%v to %v: pixel value %d at %d", interp, size, v, i)
				}
			}
		}
	}
	tf := ResizeTFBilinear(src, 9, 50, nil)
	for i, v := range tf {
		if math.Abs(float64(v)-float64(src.Pix[i%3])) > 1e-4 {
			t.Fatalf("TF: %v at %d", v, i)
		}
	}
}

func TestParseNames(t *testing.T) {
	for i := Nearest; i <= Lanczos; i++ {
		if p, err := ParseInterpolation(i.String()); err != nil || p != i {
			t.Errorf("%v: %v %v", i, p, err)
		}
	}
	for m := FillNearest; m <= FillWrap; m++ {
		if p, err := ParseFillMode(m.String()); err != nil || p != m {
			t.Errorf("%v: %v %v", m, p, err)
		}
	}
	if _, err := ParseInterpolation("area"); err == nil {
		t.Error("area: no error")
	}
}

// TestNearestYCbCrFused: the fused JPEG path gives exactly toRGB followed by
// the nearest resize, for every layout it takes and awkward sizes.
func TestNearestYCbCrFused(t *testing.T) {
	r := NewRand(9)
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444,
		image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420} {
		for _, size := range [][4]int{{1, 1, 3, 2}, {2, 3, 1, 1}, {17, 9, 5, 13}, {500, 375, 224, 224}, {31, 33, 31, 33}} {
			m := image.NewYCbCr(image.Rect(0, 0, size[0], size[1]), ratio)
			for _, p := range [][]uint8{m.Y, m.Cb, m.Cr} {
				for i := range p {
					p[i] = uint8(r.Uint32())
				}
			}
			want := ResizePIL(toRGB(m, "jpeg", nil), size[2], size[3], Nearest)
			got := NewImage(size[2], size[3])
			if !nearestYCbCr(m, false, m.Rect, got) {
				t.Fatalf("%v: not handled", ratio)
			}
			if d, n := diff8(got.Pix, want.Pix); n > 0 {
				t.Fatalf("%v %v: %d values differ, by up to %d", ratio, size, n, d)
			}
		}
	}
}

func TestAspectCrops(t *testing.T) {
	for _, c := range []struct {
		srcW, srcH, w, h int
		want             image.Rectangle
	}{
		{500, 375, 224, 224, image.Rect(62, 0, 437, 375)},
		{375, 500, 224, 224, image.Rect(0, 62, 375, 437)},
		{61, 47, 10, 30, image.Rect(23, 0, 38, 47)},
		{100, 100, 200, 100, image.Rect(0, 25, 100, 75)},
	} {
		if got := KeepAspectCrop(c.srcW, c.srcH, c.w, c.h); got != c.want {
			t.Errorf("KeepAspectCrop%v = %v, want %v", c, got, c.want)
		}
		if got := SmartResizeCrop(c.srcW, c.srcH, c.w, c.h); got != c.want {
			t.Errorf("SmartResizeCrop%v = %v, want %v", c, got, c.want)
		}
	}
}

// TestLoaderCropToAspectRatio: the loader's crop (fused JPEG path included)
// equals ResizePILBox on the decoded image.
func TestLoaderCropToAspectRatio(t *testing.T) {
	dir := t.TempDir()
	src := testPattern(50, 30)
	writeFile(t, dir+"/a/x.jpg", encode(t, "jpeg", src))
	list, _ := ListDirectory(dir, ListOptions{})
	img, err := Load(list.Paths[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, interp := range []Interpolation{Nearest, Bilinear} {
		ld, _ := NewLoader(list, Options{Height: 8, Width: 8, Interpolation: interp, CropToAspectRatio: true})
		xs, _, _ := collect(t, ld, 0)
		want := ResizePILBox(img, KeepAspectCrop(50, 30, 8, 8), 8, 8, interp)
		for i, v := range want.Pix {
			if xs[0][i] != float32(v) {
				t.Fatalf("%v: value %d is %v, want %v", interp, i, xs[0][i], v)
			}
		}
	}
}
