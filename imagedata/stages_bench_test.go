package imagedata

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"

	ourjpeg "github.com/keelml/keel/imagedata/internal/jpeg"
)

// benchJPEG is a photo-like 500x375 JPEG, the size `keel bench data` uses.
func benchJPEG(b *testing.B) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, 500, 375))
	for y := 0; y < 375; y++ {
		for x := 0; x < 500; x++ {
			w := 60 * math.Sin(float64(x)*0.03) * math.Cos(float64(y)*0.02)
			v := func(c float64) uint8 { return uint8(max(0, min(255, 120+w*c+r.NormFloat64()*8))) }
			img.SetRGBA(x, y, color.RGBA{v(1), v(0.5), v(-1), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkStageDecodeJPEG(b *testing.B) {
	data := benchJPEG(b)
	var dst *Image
	for b.Loop() {
		var err error
		if dst, err = DecodeBytes(data, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStageGoJPEGOnly(b *testing.B) {
	data := benchJPEG(b)
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStageResize(b *testing.B) {
	src, _ := DecodeBytes(benchJPEG(b), nil)
	for _, interp := range []Interpolation{Nearest, Bilinear} {
		b.Run(interp.String(), func(b *testing.B) {
			var r resizer
			var dst *Image
			for b.Loop() {
				dst = r.resizePIL(src, src.bounds(), 224, 224, interp, dst)
			}
		})
	}
}

func BenchmarkStageAugment(b *testing.B) {
	x := make([]float32, 224*224*3)
	for i := range x {
		x[i] = float32(i % 251)
	}
	a := &Augment{RotationRange: 20, WidthShiftRange: 0.1, HeightShiftRange: 0.1,
		ZoomRange: [2]float64{0.9, 1.1}, HorizontalFlip: true, Preprocess: PreprocessTF}
	r := NewRand(1)
	dst := make([]float32, len(x))
	for b.Loop() {
		a.Apply(x, 224, 224, a.RandomTransform(r, 224, 224), dst)
	}
}

// BenchmarkLoader runs the whole pipeline over 64 generated JPEGs per epoch.
func BenchmarkLoader(b *testing.B) {
	dir := b.TempDir()
	data := benchJPEG(b)
	writeFile(b, dir+"/a/x.jpg", nil)
	for i := range 64 {
		writeFile(b, dir+"/a/"+string(rune('a'+i/26))+string(rune('a'+i%26))+".jpg", data)
	}
	list, err := ListDirectory(dir, ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	list.Paths, list.Labels = list.Paths[1:], list.Labels[1:]
	a := &Augment{RotationRange: 20, WidthShiftRange: 0.1, HeightShiftRange: 0.1,
		ZoomRange: [2]float64{0.9, 1.1}, HorizontalFlip: true, Preprocess: PreprocessTF}
	ld, err := NewLoader(list, Options{Height: 224, Width: 224, BatchSize: 32, Shuffle: true, Augment: a})
	if err != nil {
		b.Fatal(err)
	}
	epoch := 0
	for b.Loop() {
		ep := ld.Epoch(b.Context(), epoch)
		for {
			if _, err := ep.Next(); err != nil {
				break
			}
		}
		ep.Close()
		epoch++
	}
	b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkStageYCbCrToRGB(b *testing.B) {
	m, err := jpeg.Decode(bytes.NewReader(benchJPEG(b)))
	if err != nil {
		b.Fatal(err)
	}
	dst := NewImage(500, 375)
	for b.Loop() {
		toRGB(m, "jpeg", dst)
	}
}

func BenchmarkStageOurJPEGOnly(b *testing.B) {
	data := benchJPEG(b)
	for b.Loop() {
		if _, err := ourjpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
