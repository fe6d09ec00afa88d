// Command genimages writes a folder of synthetic JPEG photos for timing
// keel-beam against keel predict: CLASSES sub-folders of PER images each,
// 256 to 320 pixels a side, the size of the photos a backbone is fed.
//
//	go run ./internal/genimages -out /tmp/thr/images -classes 4 -per 128
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", "", "folder to write")
	classes := flag.Int("classes", 4, "class folders")
	per := flag.Int("per", 128, "images per class")
	flag.Parse()
	if *out == "" {
		log.Fatal("genimages: -out DIR is required")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for c := range *classes {
		dir := filepath.Join(*out, fmt.Sprintf("class%d", c))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		for i := range *per {
			w, h := 256+r.IntN(64), 256+r.IntN(64)
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			for y := range h {
				for x := range w {
					img.Set(x, y, color.RGBA{uint8(x + c*40), uint8(y + r.IntN(30)), uint8(x*y/64 + r.IntN(20)), 255})
				}
			}
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%03d.jpg", i)))
			if err != nil {
				log.Fatal(err)
			}
			if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
				log.Fatal(err)
			}
			if err := f.Close(); err != nil {
				log.Fatal(err)
			}
		}
	}
}
