package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// dpi is the resolution charts are drawn at: 96, a browser's CSS pixel.
const dpi = 96

// pixelCanvas is a white w x h pixel image to draw charts on, with the
// conversion from the chart's coordinates (points, origin bottom left) to
// pixels (origin top left).
type pixelCanvas struct {
	img  *vgimg.Canvas
	w, h int
}

func newPixelCanvas(w, h int) pixelCanvas {
	c := vgimg.NewWith(vgimg.UseWH(pixels(w), pixels(h)), vgimg.UseDPI(dpi))
	return pixelCanvas{img: c, w: w, h: h}
}

// pixels is the length of n pixels.
func pixels(n int) vg.Length { return vg.Length(n) * vg.Inch / dpi }

// draw is the whole canvas as plot draws on it.
func (c pixelCanvas) draw() draw.Canvas { return draw.New(c.img) }

// at is the pixel under the chart point (x, y).
func (c pixelCanvas) at(x, y vg.Length) image.Point {
	return image.Pt(int(float64(x/vg.Inch)*dpi), c.h-1-int(float64(y/vg.Inch)*dpi))
}

func (c pixelCanvas) image() image.Image { return c.img.Image() }

// encodePNG is img as PNG bytes.
func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}

// The colours of the curves: matplotlib's first two, which Keras users know
// from their own plots.
var (
	trainColor    = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	valColor      = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	fineTuneColor = color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
)
