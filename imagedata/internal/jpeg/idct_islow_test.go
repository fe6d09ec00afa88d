package jpeg

import (
	"bytes"
	"image"
	stdjpeg "image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
)

// floatIDCT is the textbook 2-D inverse DCT, rounded.
func floatIDCT(in *block) (out [blockSize]float64) {
	c := func(u int) float64 {
		if u == 0 {
			return math.Sqrt2 / 2
		}
		return 1
	}
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			s := 0.0
			for v := 0; v < 8; v++ {
				for u := 0; u < 8; u++ {
					s += c(u) * c(v) * float64(in[8*v+u]) *
						math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) *
						math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
				}
			}
			out[8*y+x] = s / 4
		}
	}
	return out
}

// TestIDCTAccuracy: islow stays within one level of the exact transform, on
// dense blocks and on the sparse ones that take the zero shortcuts.
func TestIDCTAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		var b block
		for k := range b {
			switch {
			case i%3 == 0 && k%8 != 0: // only first column: the row shortcut
			case i%3 == 1 && k >= 8: // only first row: the column shortcut
			default:
				b[k] = int32(r.IntN(401) - 200)
			}
		}
		want := floatIDCT(&b)
		got := b
		idct(&got)
		for k := range got {
			if d := math.Abs(float64(got[k]) - want[k]); d > 1 {
				t.Fatalf("block %d, sample %d: %d, exact %.2f", i, k, got[k], want[k])
			}
		}
	}
}

// TestDecodeLikeStdlib: the copy decodes what the standard library decodes,
// to within the IDCTs' rounding.
func TestDecodeLikeStdlib(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 45, 29))
	for i := range m.Pix {
		m.Pix[i] = uint8(i*7 + i/97)
	}
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := stdjpeg.Encode(&buf, m, &stdjpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	ours, err := Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	std, _ := stdjpeg.Decode(bytes.NewReader(buf.Bytes()))
	a, b := ours.(*image.YCbCr), std.(*image.YCbCr)
	if a.Rect != b.Rect || a.SubsampleRatio != b.SubsampleRatio {
		t.Fatalf("layout %v %v, stdlib %v %v", a.Rect, a.SubsampleRatio, b.Rect, b.SubsampleRatio)
	}
	for y := 0; y < 29; y++ {
		for x := 0; x < 45; x++ {
			p, q := a.YCbCrAt(x, y), b.YCbCrAt(x, y)
			if d := int(p.Y) - int(q.Y); d < -2 || d > 2 {
				t.Fatalf("(%d,%d): Y %d, stdlib %d", x, y, p.Y, q.Y)
			}
		}
	}
	if _, err := Decode(bytes.NewReader(buf.Bytes()[:buf.Len()/2])); err == nil {
		t.Error("truncated file decoded without error")
	}
}
