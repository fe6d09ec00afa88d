package report

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"slices"

	"github.com/keelml/keel/imagedata"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The error grid: at most maxMistakes tiles, gridCols to a row, each a
// thumbnail above a three-line caption.
const (
	maxMistakes = 16
	gridCols    = 4
	thumbSide   = 180
	captionH    = 48
	tileGap     = 8
	tileW       = thumbSide + tileGap
	tileH       = thumbSide + captionH + tileGap
)

var (
	gridBackground  = color.RGBA{0xff, 0xff, 0xff, 0xff}
	thumbBackground = color.RGBA{0xee, 0xee, 0xee, 0xff}
	captionColor    = color.RGBA{0x22, 0x22, 0x22, 0xff}
	wrongColor      = color.RGBA{0xc0, 0x1c, 0x28, 0xff}
)

// mostConfident is the n mistakes with the highest probability, highest
// first (ties by path, so the grid is the same every run).
func mostConfident(ms []Mistake, n int) []Mistake {
	sorted := slices.Clone(ms)
	slices.SortStableFunc(sorted, func(a, b Mistake) int {
		if c := cmp.Compare(b.Prob, a.Prob); c != 0 {
			return c
		}
		return cmp.Compare(a.Path, b.Path)
	})
	return sorted[:min(n, len(sorted))]
}

// errorGrid is errors.png. A file that cannot be read gets a grey tile
// that says so: one moved image should not cost the whole report.
func errorGrid(ms []Mistake) image.Image {
	shown := mostConfident(ms, maxMistakes)
	cols := min(gridCols, len(shown))
	rows := (len(shown) + cols - 1) / cols
	grid := image.NewRGBA(image.Rect(0, 0, cols*tileW+tileGap, rows*tileH+tileGap))
	xdraw.Draw(grid, grid.Bounds(), image.NewUniform(gridBackground), image.Point{}, xdraw.Src)
	for i, m := range shown {
		origin := image.Pt(tileGap+(i%cols)*tileW, tileGap+(i/cols)*tileH)
		thumb := image.Rectangle{Min: origin, Max: origin.Add(image.Pt(thumbSide, thumbSide))}
		xdraw.Draw(grid, thumb, image.NewUniform(thumbBackground), image.Point{}, xdraw.Src)
		img, err := imagedata.Load(m.Path)
		if err != nil {
			writeLine(grid, thumb.Min.Add(image.Pt(6, thumbSide/2)), "cannot read image", wrongColor)
		} else {
			src := rgbaOf(img)
			xdraw.CatmullRom.Scale(grid, fitInside(src.Bounds().Size(), thumb), src, src.Bounds(), xdraw.Src, nil)
		}
		line := thumb.Max.Y + 14
		writeLine(grid, image.Pt(origin.X, line), "true: "+m.True, captionColor)
		writeLine(grid, image.Pt(origin.X, line+14), "pred: "+m.Pred, wrongColor)
		writeLine(grid, image.Pt(origin.X, line+28), fmt.Sprintf("p = %.3f", m.Prob), captionColor)
	}
	return grid
}

// fitInside is the largest rectangle of size's aspect ratio centred in box.
func fitInside(size image.Point, box image.Rectangle) image.Rectangle {
	bw, bh := box.Dx(), box.Dy()
	w, h := bw, size.Y*bw/max(size.X, 1)
	if h > bh {
		w, h = size.X*bh/max(size.Y, 1), bh
	}
	w, h = max(w, 1), max(h, 1)
	topLeft := box.Min.Add(image.Pt((bw-w)/2, (bh-h)/2))
	return image.Rectangle{Min: topLeft, Max: topLeft.Add(image.Pt(w, h))}
}

// rgbaOf is img as an image.Image the draw packages can read.
func rgbaOf(img *imagedata.Image) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, img.W, img.H))
	for i := 0; i < img.W*img.H; i++ {
		copy(out.Pix[4*i:4*i+3], img.Pix[3*i:3*i+3])
		out.Pix[4*i+3] = 0xff
	}
	return out
}

// writeLine draws text with its baseline at dot, cut to fit a thumbnail's
// width (the 7x13 font has ASCII only; other runes show as boxes).
func writeLine(dst *image.RGBA, dot image.Point, text string, c color.Color) {
	face := basicfont.Face7x13
	if limit := thumbSide / face.Advance; len([]rune(text)) > limit {
		text = string([]rune(text)[:limit-3]) + "..."
	}
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face, Dot: fixed.P(dot.X, dot.Y)}
	d.DrawString(text)
}
