package imagedata

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
)

// testPattern is a w x h image whose pixel (x, y) is (x*7, y*11, x+y) mod 256.
func testPattern(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 7), uint8(y * 11), uint8(x + y), 255})
		}
	}
	return m
}

func encode(t *testing.T, format string, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, m)
	case "jpeg":
		err = jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95})
	case "gif":
		err = gif.Encode(&buf, m, nil)
	case "bmp":
		err = bmp.Encode(&buf, m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecodeModes checks PIL's convert('RGB') rules on images the test makes:
// alpha dropped (not composited), grey replicated, palette looked up, 16-bit
// colour's high byte kept, 16-bit grey clipped.
func TestDecodeModes(t *testing.T) {
	nrgba := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	nrgba.SetNRGBA(0, 0, color.NRGBA{200, 100, 50, 0}) // fully transparent: colour kept
	nrgba.SetNRGBA(1, 0, color.NRGBA{10, 20, 30, 128})
	gray := image.NewGray(image.Rect(0, 0, 2, 1))
	gray.Pix = []uint8{7, 250}
	gray16 := image.NewGray16(image.Rect(0, 0, 2, 1))
	gray16.SetGray16(0, 0, color.Gray16{Y: 200})
	gray16.SetGray16(1, 0, color.Gray16{Y: 1000})
	rgb16 := image.NewRGBA64(image.Rect(0, 0, 2, 1))
	rgb16.SetRGBA64(0, 0, color.RGBA64{0x1234, 0xabcd, 0xff00, 0xffff})
	rgb16.SetRGBA64(1, 0, color.RGBA64{0, 0x00ff, 0x0100, 0xffff})
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{
		color.NRGBA{1, 2, 3, 255}, color.NRGBA{90, 80, 70, 0}})
	pal.Pix = []uint8{1, 0}
	for _, c := range []struct {
		name string
		img  image.Image
		want []uint8
	}{
		{"nrgba", nrgba, []uint8{200, 100, 50, 10, 20, 30}},
		{"gray", gray, []uint8{7, 7, 7, 250, 250, 250}},
		{"gray16", gray16, []uint8{200, 200, 200, 255, 255, 255}},
		{"rgb16", rgb16, []uint8{0x12, 0xab, 0xff, 0, 0, 1}},
		{"paletted", pal, []uint8{90, 80, 70, 1, 2, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeBytes(encode(t, "png", c.img), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Pix, c.want) {
				t.Errorf("got %v, want %v", got.Pix, c.want)
			}
		})
	}
}

// TestDecodeFormats decodes every format at awkward sizes (odd, 1 pixel,
// wider than a JPEG MCU) and checks size and, for lossless formats, pixels.
func TestDecodeFormats(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {17, 9}, {33, 40}} {
		src := testPattern(size[0], size[1])
		for _, format := range []string{"png", "jpeg", "gif", "bmp"} {
			got, err := DecodeBytes(encode(t, format, src), nil)
			if err != nil {
				t.Fatalf("%s %v: %v", format, size, err)
			}
			if got.W != size[0] || got.H != size[1] {
				t.Fatalf("%s: %dx%d, want %v", format, got.W, got.H, size)
			}
			if format == "png" || format == "bmp" {
				want := NewImage(size[0], size[1])
				toRGB(src, "png", want)
				if !bytes.Equal(got.Pix, want.Pix) {
					t.Errorf("%s %v: pixels differ", format, size)
				}
			}
		}
	}
}

// TestDecodeBadFiles: corrupt, truncated, empty and unknown files give an
// error naming the file; nothing panics.
func TestDecodeBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := encode(t, "jpeg", testPattern(64, 48))
	pngData := encode(t, "png", testPattern(64, 48))
	flipped := append([]byte(nil), good...)
	for i := len(flipped) / 3; i < len(flipped)-2; i += 7 {
		flipped[i] ^= 0x5a
	}
	huge := encode(t, "bmp", testPattern(4, 4))
	copy(huge[18:26], []byte{0xa0, 0x86, 0x01, 0x00, 0xa0, 0x86, 0x01, 0x00}) // 100000 x 100000
	cases := map[string][]byte{
		"truncated.jpg":   good[:len(good)/2],
		"truncated.png":   pngData[:len(pngData)-30],
		"garbage.jpg":     flipped,
		"empty.png":       nil,
		"text.png":        []byte("not an image at all"),
		"header_only.gif": []byte("GIF89a"),
		"huge.bmp":        huge,
	}
	for name, data := range cases {
		p := filepath.Join(dir, name)
		writeFile(t, p, data)
		_, err := Load(p)
		if err == nil {
			if name == "garbage.jpg" { // flipped entropy bits may still decode
				continue
			}
			t.Errorf("%s: no error", name)
			continue
		}
		var fe *FileError
		if !errors.As(err, &fe) || fe.Path != p || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.png")); err == nil {
		t.Error("missing file: no error")
	}
	_, err := Load(filepath.Join(dir, "huge.bmp"))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge.bmp: %v, want ErrTooLarge", err)
	}
}

// FuzzDecodeBytes: arbitrary bytes never panic.
func FuzzDecodeBytes(f *testing.F) {
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("\xff\xd8\xff\xdb"))
	// Mutated headers claim huge sizes; PIL's limit would let each allocate
	// gigabytes and crawl.
	defer func(old int) { MaxPixels = old }(MaxPixels)
	MaxPixels = 1 << 22
	// Every reference file, so mutations start from real JPEG, PNG, GIF, BMP
	// and WebP structure.
	files, _ := filepath.Glob(filepath.Join(refDir(f), "fmt_*.*"))
	for _, p := range files {
		if strings.HasSuffix(p, ".rgb.png") || strings.HasSuffix(p, ".ifast.png") {
			continue
		}
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = DecodeBytes(data, nil)
		_, _, _ = gifTransparentRGB(data)
	})
}

// TestGIFFrameOnScreen: a first frame smaller than the logical screen comes
// out at the screen's size, as PIL shows it (TestDecodeMatchesPIL compares the
// pixels of this file and of one with a transparent index).
func TestGIFFrameOnScreen(t *testing.T) {
	img := loadRef(t, "fmt_gif_offset.gif")
	if img.W != 40 || img.H != 50 {
		t.Fatalf("size %dx%d, PIL 40x50", img.W, img.H)
	}
}
