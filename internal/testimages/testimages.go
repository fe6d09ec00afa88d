// Package testimages writes small labelled image folders for tests: one
// sub-folder per class, as Keras' flow_from_directory reads them.
package testimages

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// ColourClasses are the classes ColourFolder writes, in folder order.
var ColourClasses = []string{"blue", "green", "red"}

// ColourFolder writes perClass noisy PNG images (w x h) per class into a
// temporary folder and returns it. The classes differ by their dominant
// colour, which any pretrained backbone tells apart.
func ColourFolder(t testing.TB, perClass, w, h int, seed uint64) string {
	t.Helper()
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(seed, seed))
	for c, name := range ColourClasses {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < perClass; i++ {
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					v := [3]uint8{uint8(r.IntN(60)), uint8(r.IntN(60)), uint8(r.IntN(60))}
					v[2-c] += 180 // blue is channel 2, green 1, red 0
					img.Set(x, y, color.RGBA{v[0], v[1], v[2], 255})
				}
			}
			f, err := os.Create(filepath.Join(dir, name, fmt.Sprintf("%03d.png", i)))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	return dir
}
