package main

import (
	"testing"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/internal/hostile"
)

// FuzzParseAugment parses arbitrary --augment values and applies what parses
// to a small image: never a panic, never past hostile.FuzzAlloc.
func FuzzParseAugment(f *testing.F) {
	for _, s := range []string{
		"", "rotation_range=30,fill_mode=nearest", "zoom_range=0.2,horizontal_flip=true",
		"width_shift_range=0.1,height_shift_range=0.1,shear_range=10", "brightness_range=0.5:1.5,channel_shift_range=20,rescale=0.0039",
		"zoom_range=0.8:1.2,fill_mode=constant,cval=128,vertical_flip=1", "rotation_range=1e308,fill_mode=wrap",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hostile.CheckAlloc(t, func() {
			a, err := parseAugment(s)
			if err != nil || a == nil {
				return
			}
			const h, w = 5, 7
			x := make([]float32, h*w*3)
			for i := range x {
				x[i] = float32(i)
			}
			r := imagedata.NewRand(1)
			for range 3 {
				a.Apply(x, h, w, a.RandomTransform(r, h, w), nil)
			}
		})
	})
}
